"""claude-quote: what Claude API work will cost before you run it, and what it did cost after.

The public API, by what it answers (docs/python-api.md has examples of each): quotes and volumes
(``quote``, ``cost``, ``price_requests``, and the pricing engine's ``Engine``/``Ledger``/``Modifiers``
for mixed workloads), estimates of request files and corpora (``estimate``), batch plans (``plan``),
projections (``project``, ``compare``), what work did cost (``reconcile_results``,
``reconcile_with_estimates``, ``reconcile_usage_report``, ``calibrate``), budget checks (``check``),
the price table (``load_pricing``, ``list_models``, ``describe_model``), ``render`` for every format, and
one error hierarchy rooted at ``ClaudeQuoteError``. Everything else lives in submodules.

>>> from datetime import date
>>> from claude_quote import Usage, quote
>>> q = quote(Usage(input_tokens=5_000_000, output_tokens=2_000_000), "sonnet-4.6", at=date(2026, 11, 25))
>>> print(q.realtime.total, q.batch.total, q.savings.percent)
45 22.5 50
"""

import importlib as _importlib
import sys as _sys
import types as _types
import typing as _typing

from ._version import __version__

if _typing.TYPE_CHECKING:
    from .budget import CheckReport
    from .calibrate import CalibrationReport, calibrate
    from .catalog import ModelDetail, ModelList, describe_model, list_models
    from .check import check
    from .cost import Quote, cost, price_requests, quote
    from .engine import Cost, Engine, Ledger, Modifiers, Savings
    from .errors import (
        ClaudeQuoteError,
        ConfigError,
        ExactCountError,
        PriceNotAvailableError,
        PricingDataError,
        TokenizerUnavailableError,
        UnknownModelError,
        UsageError,
        WorkloadError,
    )
    from .estimate import Estimate, EstimateOptions, RequestEstimate, estimate, estimate_requests
    from .plan import Plan, plan, write_parts
    from .pricing import PriceTable, load_pricing
    from .projections import Comparison, Projection, compare, project
    from .reconcile import (
        BatchActuals,
        OrgReconciliation,
        Reconciliation,
        reconcile_results,
        reconcile_usage_report,
        reconcile_with_estimates,
    )
    from .render import render
    from .tokens_exact import count_exact
    from .usage import Usage, parse_token_count
    from .workload_spec import Workload, load_workload_spec, workloads_from_estimate

_WHERE: dict[str, str] = {
    # Quotes and volumes
    "Usage": "usage",
    "parse_token_count": "usage",
    "quote": "cost",
    "Quote": "cost",
    "cost": "cost",
    "Cost": "engine",
    "Savings": "engine",
    "price_requests": "cost",
    "Engine": "engine",
    "Ledger": "engine",
    "Modifiers": "engine",
    # Estimates
    "estimate": "estimate",
    "EstimateOptions": "estimate",
    "Estimate": "estimate",
    "estimate_requests": "estimate",
    "RequestEstimate": "estimate",
    "count_exact": "tokens_exact",
    # Plans
    "plan": "plan",
    "Plan": "plan",
    "write_parts": "plan",
    # Projections
    "project": "projections",
    "Projection": "projections",
    "compare": "projections",
    "Comparison": "projections",
    "Workload": "workload_spec",
    "load_workload_spec": "workload_spec",
    "workloads_from_estimate": "workload_spec",
    # What it cost
    "reconcile_results": "reconcile",
    "BatchActuals": "reconcile",
    "reconcile_with_estimates": "reconcile",
    "Reconciliation": "reconcile",
    "reconcile_usage_report": "reconcile",
    "OrgReconciliation": "reconcile",
    "calibrate": "calibrate",
    "CalibrationReport": "calibrate",
    # Budgets
    "check": "check",
    "CheckReport": "budget",
    # The price table
    "load_pricing": "pricing",
    "PriceTable": "pricing",
    "list_models": "catalog",
    "ModelList": "catalog",
    "describe_model": "catalog",
    "ModelDetail": "catalog",
    # Output
    "render": "render",
    # Errors
    "ClaudeQuoteError": "errors",
    "ConfigError": "errors",
    "ExactCountError": "errors",
    "PriceNotAvailableError": "errors",
    "PricingDataError": "errors",
    "TokenizerUnavailableError": "errors",
    "UnknownModelError": "errors",
    "UsageError": "errors",
    "WorkloadError": "errors",
}
"""Where each public name lives. Names are imported on first use (PEP 562), so ``claude-quote price``
loads only the modules it needs."""

__all__ = [
    "BatchActuals",
    "CalibrationReport",
    "CheckReport",
    "ClaudeQuoteError",
    "Comparison",
    "ConfigError",
    "Cost",
    "Engine",
    "Estimate",
    "EstimateOptions",
    "ExactCountError",
    "Ledger",
    "ModelDetail",
    "ModelList",
    "Modifiers",
    "OrgReconciliation",
    "Plan",
    "PriceNotAvailableError",
    "PriceTable",
    "PricingDataError",
    "Projection",
    "Quote",
    "Reconciliation",
    "RequestEstimate",
    "Savings",
    "TokenizerUnavailableError",
    "UnknownModelError",
    "Usage",
    "UsageError",
    "Workload",
    "WorkloadError",
    "__version__",
    "calibrate",
    "check",
    "compare",
    "cost",
    "count_exact",
    "describe_model",
    "estimate",
    "estimate_requests",
    "list_models",
    "load_pricing",
    "load_workload_spec",
    "parse_token_count",
    "plan",
    "price_requests",
    "project",
    "quote",
    "reconcile_results",
    "reconcile_usage_report",
    "reconcile_with_estimates",
    "render",
    "workloads_from_estimate",
    "write_parts",
]


def __getattr__(name: str) -> _typing.Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)


class _Package(_types.ModuleType):
    """Keeps ``claude_quote.cost`` (and ``render``, ``estimate``) the public function.

    Importing a submodule binds it on its package under its own name; for the submodules that share a
    name with the function they define, that would replace the function with the module. The module is
    still importable (``from claude_quote.cost import Cost``): it lives in ``sys.modules``.
    """

    def __setattr__(self, name: str, value: _typing.Any) -> None:
        if isinstance(value, _types.ModuleType) and _WHERE.get(name, "") == name:
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package
