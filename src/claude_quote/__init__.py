"""claude-quote: what Claude API work will cost before you run it, and what it did cost after.

>>> from datetime import date
>>> from claude_quote import Usage, quote
>>> q = quote(Usage(input_tokens=5_000_000, output_tokens=2_000_000), "sonnet-4.6", at=date(2026, 11, 25))
>>> print(q.realtime.total, q.batch.total, q.savings.percent)
45 22.5 50
"""

from ._version import __version__
from .catalog import ModelDetail, ModelList, describe_model, list_models
from .cost import Cost, CostLine, Quote, Savings, cost, quote, today
from .errors import (
    ClaudeQuoteError,
    ConfigError,
    PriceNotAvailableError,
    PricingDataError,
    TokenizerUnavailableError,
    UnknownModelError,
    UsageError,
    WorkloadError,
)
from .estimate import Estimate, estimate
from .pricing import ModelInfo, PriceEntry, PriceTable, load_pricing, resolve_model
from .render import render
from .usage import Usage, parse_token_count

__all__ = [
    "ClaudeQuoteError",
    "ConfigError",
    "Cost",
    "CostLine",
    "Estimate",
    "ModelDetail",
    "ModelInfo",
    "ModelList",
    "PriceEntry",
    "PriceNotAvailableError",
    "PriceTable",
    "PricingDataError",
    "Quote",
    "Savings",
    "TokenizerUnavailableError",
    "UnknownModelError",
    "Usage",
    "UsageError",
    "WorkloadError",
    "__version__",
    "cost",
    "describe_model",
    "estimate",
    "list_models",
    "load_pricing",
    "parse_token_count",
    "quote",
    "render",
    "resolve_model",
    "today",
]


def __dir__() -> list[str]:
    return list(__all__)
