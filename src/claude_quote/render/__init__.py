"""Renderers: every report type in every output format. The only code that rounds numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, get_args

from .document import Document
from .json import to_json
from .text import to_csv, to_markdown, to_table

__all__ = ["FORMATS", "Format", "register", "render"]

Format = Literal["table", "json", "csv", "markdown"]
FORMATS: tuple[str, ...] = get_args(Format)

_BUILDERS: dict[type, tuple[Callable[[Any], dict[str, Any]], Callable[[Any], Document]]] = {}


def register(
    report_type: type,
    to_json_dict: Callable[[Any], dict[str, Any]],
    to_doc: Callable[[Any], Document],
) -> None:
    """Teach the renderers a report type: how it looks as JSON and as a document."""
    _BUILDERS[report_type] = (to_json_dict, to_doc)


def _ensure_registered() -> None:
    if _BUILDERS:
        return
    from claude_quote.budget import CheckReport
    from claude_quote.catalog import ModelDetail, ModelList, UncertainFacts
    from claude_quote.cost import Quote
    from claude_quote.estimate import Estimate
    from claude_quote.projections import Comparison, Projection

    from .catalog import (
        detail_document,
        detail_json,
        list_document,
        list_json,
        uncertain_document,
        uncertain_json,
    )
    from .check import check_document, check_json
    from .estimate import estimate_document, estimate_json
    from .projection import comparison_document, comparison_json, projection_document, projection_json
    from .quote import quote_document, quote_json

    register(Quote, quote_json, quote_document)
    register(Projection, projection_json, projection_document)
    register(Comparison, comparison_json, comparison_document)
    register(Estimate, estimate_json, estimate_document)
    register(ModelList, list_json, list_document)
    register(ModelDetail, detail_json, detail_document)
    register(UncertainFacts, uncertain_json, uncertain_document)
    register(CheckReport, check_json, check_document)
    _register_reconcile()


def _register_reconcile() -> None:
    from claude_quote.reconcile import BatchActuals, Reconciliation
    from claude_quote.reconcile_org import OrgReconciliation

    from .reconcile import (
        actuals_document,
        actuals_json,
        org_document,
        org_json,
        reconciliation_document,
        reconciliation_json,
    )

    register(BatchActuals, actuals_json, actuals_document)
    register(Reconciliation, reconciliation_json, reconciliation_document)
    register(OrgReconciliation, org_json, org_document)


def render(report: object, fmt: Format | str, *, width: int | None = None) -> str:
    """Text of ``report`` in ``fmt`` (``table``, ``json``, ``csv`` or ``markdown``)."""
    _ensure_registered()
    for kind in type(report).__mro__:
        if kind in _BUILDERS:
            to_json_dict, to_doc = _BUILDERS[kind]
            break
    else:
        raise TypeError(f"no renderer for {type(report).__name__}")
    if fmt == "json":
        return to_json(to_json_dict(report))
    document = to_doc(report)
    if fmt == "table":
        return to_table(document, width=width)
    if fmt == "markdown":
        return to_markdown(document)
    if fmt == "csv":
        return to_csv(document)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
