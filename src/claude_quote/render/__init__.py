"""Renderers: every report type in every output format. The only code that rounds numbers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Literal, get_args

from .json import iter_json, to_json

if TYPE_CHECKING:
    from .document import Document

__all__ = ["FORMATS", "Format", "register", "render", "render_chunks", "warnings_of"]

Format = Literal["table", "json", "csv", "markdown"]
FORMATS: tuple[str, ...] = get_args(Format)

_Builders = tuple[
    Callable[[Any], dict[str, Any]], Callable[[Any], "Document"], Callable[[Any], list[str]] | None
]
"""A report type's JSON builder, its document builder and (optional) its document's warnings without
the document."""

_BUILDERS: dict[type, _Builders] = {}


def register(
    report_type: type,
    to_json_dict: Callable[[Any], dict[str, Any]],
    to_doc: Callable[[Any], Document],
    to_warnings: Callable[[Any], list[str]] | None = None,
) -> None:
    """Teach the renderers a report type: how it looks as JSON and as a document (and, optionally, the
    document's warnings without making it, which :func:`warnings_of` then uses)."""
    _BUILDERS[report_type] = (to_json_dict, to_doc, to_warnings)


_BUILTIN: dict[str, tuple[str, ...]] = {
    # report class (module.qualname) → (builder module in claude_quote.render, JSON builder, document
    # builder[, the document's warnings without the document: calibrate --format json then needs no
    # document types])
    "claude_quote.cost.Quote": ("quote", "quote_json", "quote_document"),
    "claude_quote.catalog.ModelList": ("catalog", "list_json", "list_document"),
    "claude_quote.catalog.ModelDetail": ("catalog", "detail_json", "detail_document"),
    "claude_quote.catalog.UncertainFacts": ("catalog", "uncertain_json", "uncertain_document"),
    "claude_quote.estimate.models.Estimate": ("estimate", "estimate_json", "estimate_document"),
    "claude_quote.projections.results.Projection": ("projection", "projection_json", "projection_document"),
    "claude_quote.projections.results.Comparison": ("projection", "comparison_json", "comparison_document"),
    "claude_quote.reconcile.results.BatchActuals": ("reconcile", "actuals_json", "actuals_document"),
    "claude_quote.reconcile.compare.Reconciliation": (
        "reconcile",
        "reconciliation_json",
        "reconciliation_document",
    ),
    "claude_quote.reconcile.org.OrgReconciliation": ("reconcile", "org_json", "org_document"),
    "claude_quote.budget.CheckReport": ("check", "check_json", "check_document"),
    "claude_quote.calibrate.CalibrationReport": (
        "calibrate",
        "calibration_json",
        "calibration_document",
        "calibration_warnings",
    ),
    "claude_quote.plan.models.Plan": ("plan", "plan_json", "plan_document"),
}
"""The built-in report types, by name, so rendering a quote imports only the quote's builders."""


def _builders(report: object) -> _Builders:
    import importlib

    for kind in type(report).__mro__:
        if kind in _BUILDERS:
            return _BUILDERS[kind]
        found = _BUILTIN.get(f"{kind.__module__}.{kind.__qualname__}")
        if found is not None:
            module = importlib.import_module(f"{__name__}.{found[0]}")
            json_name, document_name, *warnings_name = found[1:]
            to_warnings = getattr(module, warnings_name[0]) if warnings_name else None
            _BUILDERS[kind] = (getattr(module, json_name), getattr(module, document_name), to_warnings)
            return _BUILDERS[kind]
    raise TypeError(f"no renderer for {type(report).__name__}")


def render(report: object, fmt: Format | str, *, width: int | None = None, warnings: bool = True) -> str:
    """Text of ``report`` in ``fmt`` (``table``, ``json``, ``csv`` or ``markdown``).

    ``width``: the table's width (default: the terminal's; 240 in a pipe). ``warnings=False`` leaves
    the warning lines out of the table (``--quiet``); JSON and Markdown always carry them.
    """
    to_json_dict, to_doc, _ = _builders(report)
    if fmt == "json":
        return to_json(to_json_dict(report))
    from .text import to_csv, to_markdown, to_table

    document = to_doc(report)
    if fmt == "table":
        return to_table(document, width=width, warnings=warnings)
    if fmt == "markdown":
        return to_markdown(document)
    if fmt == "csv":
        return to_csv(document)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def render_chunks(report: object, fmt: Format | str, *, width: int | None = None) -> Iterator[str]:
    """:func:`render` in pieces: JSON and CSV are written as they are made (a large report is never
    whole in memory); a table and Markdown come in one piece."""
    to_json_dict, to_doc, _ = _builders(report)
    if fmt == "json":
        yield from iter_json(to_json_dict(report))
        yield "\n"
    elif fmt == "csv":
        from .text import iter_csv

        yield from iter_csv(to_doc(report))
    else:
        yield render(report, fmt, width=width)


def warnings_of(report: object) -> list[str]:
    """Every warning the report's table would show, in order (what the CLI copies to stderr when stdout
    carries JSON, CSV or Markdown)."""
    _, to_doc, to_warnings = _builders(report)
    return to_warnings(report) if to_warnings is not None else list(to_doc(report).warnings)
