"""claude-quote: what Claude API work will cost before you run it, and what it did cost after.

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
    from .calibrate import CalibrationReport, calibrate
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
    from .estimate import Estimate, EstimateOptions, RequestEstimate, estimate, estimate_requests
    from .plan import Plan, plan, write_parts
    from .pricing import ModelInfo, PriceEntry, PriceTable, load_pricing, resolve_model
    from .projections import Comparison, Projection, compare, project
    from .reconcile import (
        BatchActuals,
        OrgReconciliation,
        Reconciliation,
        reconcile_results,
        reconcile_usage_report,
    )
    from .render import render
    from .tokens_exact import count_exact
    from .usage import Usage, parse_token_count
    from .workload_spec import Workload, WorkloadSpec, load_workload_spec, workloads_from_estimate

_WHERE: dict[str, str] = {
    "BatchActuals": "reconcile",
    "CalibrationReport": "calibrate",
    "ClaudeQuoteError": "errors",
    "Comparison": "projections",
    "ConfigError": "errors",
    "Cost": "cost",
    "CostLine": "cost",
    "Estimate": "estimate",
    "EstimateOptions": "estimate",
    "ModelDetail": "catalog",
    "ModelInfo": "pricing",
    "ModelList": "catalog",
    "OrgReconciliation": "reconcile",
    "Plan": "plan",
    "PriceEntry": "pricing",
    "PriceNotAvailableError": "errors",
    "PriceTable": "pricing",
    "PricingDataError": "errors",
    "Projection": "projections",
    "Quote": "cost",
    "Reconciliation": "reconcile",
    "RequestEstimate": "estimate",
    "Savings": "cost",
    "TokenizerUnavailableError": "errors",
    "UnknownModelError": "errors",
    "Usage": "usage",
    "UsageError": "errors",
    "Workload": "workload_spec",
    "WorkloadError": "errors",
    "WorkloadSpec": "workload_spec",
    "calibrate": "calibrate",
    "compare": "projections",
    "cost": "cost",
    "count_exact": "tokens_exact",
    "describe_model": "catalog",
    "estimate": "estimate",
    "estimate_requests": "estimate",
    "list_models": "catalog",
    "load_pricing": "pricing",
    "load_workload_spec": "workload_spec",
    "parse_token_count": "usage",
    "plan": "plan",
    "project": "projections",
    "quote": "cost",
    "reconcile_results": "reconcile",
    "reconcile_usage_report": "reconcile",
    "render": "render",
    "resolve_model": "pricing",
    "today": "cost",
    "workloads_from_estimate": "workload_spec",
    "write_parts": "plan",
}
"""Where each public name lives. Names are imported on first use (PEP 562), so ``claude-quote price``
loads only the modules it needs."""

__all__ = [
    "BatchActuals",
    "CalibrationReport",
    "ClaudeQuoteError",
    "Comparison",
    "ConfigError",
    "Cost",
    "CostLine",
    "Estimate",
    "EstimateOptions",
    "ModelDetail",
    "ModelInfo",
    "ModelList",
    "OrgReconciliation",
    "Plan",
    "PriceEntry",
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
    "WorkloadSpec",
    "__version__",
    "calibrate",
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
    "project",
    "quote",
    "reconcile_results",
    "reconcile_usage_report",
    "render",
    "resolve_model",
    "today",
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
