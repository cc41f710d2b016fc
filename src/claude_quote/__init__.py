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
from .pricing import ModelInfo, PriceEntry, PriceTable, load_pricing, resolve_model
from .reconcile import BatchActuals, Reconciliation, reconcile_results
from .reconcile_org import OrgReconciliation, reconcile_usage_report
from .render import render
from .tokens_exact import count_exact
from .usage import Usage, parse_token_count

__all__ = [
    "BatchActuals",
    "ClaudeQuoteError",
    "ConfigError",
    "Cost",
    "CostLine",
    "ModelDetail",
    "ModelInfo",
    "ModelList",
    "OrgReconciliation",
    "PriceEntry",
    "PriceNotAvailableError",
    "PriceTable",
    "PricingDataError",
    "Quote",
    "Reconciliation",
    "Savings",
    "TokenizerUnavailableError",
    "UnknownModelError",
    "Usage",
    "UsageError",
    "WorkloadError",
    "__version__",
    "cost",
    "count_exact",
    "describe_model",
    "list_models",
    "load_pricing",
    "parse_token_count",
    "quote",
    "reconcile_results",
    "reconcile_usage_report",
    "render",
    "resolve_model",
    "today",
]


def __dir__() -> list[str]:
    return list(__all__)
