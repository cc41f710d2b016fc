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
from .projections import Comparison, Projection, compare, project
from .reconcile import BatchActuals, Reconciliation, reconcile_results
from .reconcile_org import OrgReconciliation, reconcile_usage_report
from .render import render
from .tokens_exact import count_exact
from .usage import Usage, parse_token_count
from .workload_spec import Workload, WorkloadSpec, load_workload_spec, workloads_from_estimate

__all__ = [
    "BatchActuals",
    "ClaudeQuoteError",
    "Comparison",
    "ConfigError",
    "Cost",
    "CostLine",
    "Estimate",
    "ModelDetail",
    "ModelInfo",
    "ModelList",
    "OrgReconciliation",
    "PriceEntry",
    "PriceNotAvailableError",
    "PriceTable",
    "PricingDataError",
    "Projection",
    "Quote",
    "Reconciliation",
    "Savings",
    "TokenizerUnavailableError",
    "UnknownModelError",
    "Usage",
    "UsageError",
    "Workload",
    "WorkloadError",
    "WorkloadSpec",
    "__version__",
    "compare",
    "cost",
    "count_exact",
    "describe_model",
    "estimate",
    "list_models",
    "load_pricing",
    "load_workload_spec",
    "parse_token_count",
    "project",
    "quote",
    "reconcile_results",
    "reconcile_usage_report",
    "render",
    "resolve_model",
    "today",
    "workloads_from_estimate",
]


def __dir__() -> list[str]:
    return list(__all__)
