"""What work did cost: batch results and organisation bills priced exactly, against estimates and bills.

- :func:`reconcile_results` → :class:`BatchActuals`: a Message Batches results file priced from each
  succeeded request's ``usage`` (:mod:`.results`).
- :func:`compare` / :func:`reconcile_with_estimates` → :class:`Reconciliation`: those actuals set against
  an estimate per ``custom_id`` (:mod:`.compare`).
- :func:`reconcile_usage_report` → :class:`OrgReconciliation`: Usage & Cost Admin API exports priced with
  our table, against what Anthropic billed (:mod:`.org`).

Every figure comes from the pricing engine (:mod:`claude_quote.engine`); the readers in
:mod:`claude_quote.workloads` only read. Both comparisons name their sides ``estimate`` (our figure) and
``actual`` (what was billed), with ``error = estimate − actual`` and ``error_percent`` of the actual.
"""

from typing import TYPE_CHECKING, Any

from .compare import (
    WORST_DEFAULT,
    EstimateRecords,
    ModelComparison,
    Reconciliation,
    RequestComparison,
    RequestRows,
    compare,
    compare_totals,
    error_percent,
    reconcile_with_estimates,
)
from .results import (
    BatchActuals,
    ModelActual,
    ResultCounts,
    actuals_and_reader,
    read_actuals,
    reconcile_results,
)

if TYPE_CHECKING:
    from .org import OrgLine, OrgReconciliation, reconcile_usage_report

__all__ = [
    "WORST_DEFAULT",
    "BatchActuals",
    "EstimateRecords",
    "ModelActual",
    "ModelComparison",
    "OrgLine",
    "OrgReconciliation",
    "Reconciliation",
    "RequestComparison",
    "RequestRows",
    "ResultCounts",
    "actuals_and_reader",
    "compare",
    "compare_totals",
    "error_percent",
    "read_actuals",
    "reconcile_results",
    "reconcile_usage_report",
    "reconcile_with_estimates",
]

_LAZY = {"OrgLine", "OrgReconciliation", "reconcile_usage_report"}
"""Names of :mod:`.org`, imported on first use: ``reconcile RESULTS`` needs none of the Admin exports."""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import org

        return getattr(org, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
