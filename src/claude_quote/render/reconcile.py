"""How ``claude-quote reconcile`` reports look: batch actuals, estimate vs actual, organisation bills."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from claude_quote.engine import Cost
from claude_quote.reconcile import (
    BatchActuals,
    ModelActual,
    Reconciliation,
    RequestComparison,
)
from claude_quote.usage import Usage

if TYPE_CHECKING:  # imported where used: a batch's report needs nothing of the Admin exports
    from claude_quote.reconcile import OrgLine, OrgReconciliation

from . import format as fmt
from .document import Cell, Document, Table
from .json import SCHEMA_VERSION
from .quote import cost_json

__all__ = [
    "actuals_document",
    "actuals_json",
    "org_document",
    "org_json",
    "reconciliation_document",
    "reconciliation_json",
]


# --- JSON ------------------------------------------------------------------------------------------


def _actual_block(batch: Cost, realtime: Cost) -> dict[str, Any]:
    return {"batch": cost_json(batch), "realtime_equivalent": cost_json(realtime)}


def _model_json(m: ModelActual) -> dict[str, Any]:
    return {
        "model": m.model,
        "model_name": m.model_name,
        "requests": m.requests,
        "usage": m.usage,
        "actual": _actual_block(m.batch, m.realtime),
    }


def actuals_json(a: BatchActuals) -> dict[str, Any]:
    """The JSON contract of ``reconcile RESULTS``: ``actual`` (batch and real-time equivalent)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "reconcile",
        "source": "batch_results",
        "pricing_version": a.pricing_version,
        "pricing_sha256": a.pricing_sha256,
        "pricing_checked": a.pricing_checked,
        "file": a.path,
        "at": a.at,
        "results": {
            "succeeded": a.counts.succeeded,
            "errored": a.counts.errored,
            "canceled": a.counts.canceled,
            "expired": a.counts.expired,
            "total": a.counts.total,
        },
        "errors_by_type": a.errors_by_type,
        "billed_requests": a.billed_requests,
        "usage": a.usage,
        "actual": _actual_block(a.batch, a.realtime),
        "savings": {"amount": a.savings.amount, "percent": a.savings.percent},
        "by_model": [_model_json(m) for m in a.by_model],
        "cache_split_missing": a.cache_split_missing,
        "skipped": {"count": a.skipped, "lines": [s.model_dump() for s in a.skipped_lines]},
        "estimate": None,
        "error": None,
        "error_percent": None,
        "comparison": None,
        "warnings": list(a.warnings),
    }


def _request_json(r: RequestComparison) -> dict[str, Any]:
    return {
        "custom_id": r.custom_id,
        "line": r.line,
        "model": r.model,
        "estimate_model": r.estimate_model,
        "estimate": r.estimate,
        "actual": r.actual,
        "error": r.error,
        "error_percent": r.error_percent,
        "estimate_usage": r.estimate_usage,
        "actual_usage": r.actual_usage,
    }


def reconciliation_json(r: Reconciliation) -> dict[str, Any]:
    """``reconcile RESULTS --request-file REQUESTS``: the actuals plus ``estimate``, ``error_percent``."""
    out = actuals_json(r.actuals)
    out["estimate"] = r.estimate
    out["error"] = r.error
    out["error_percent"] = r.error_percent
    out["comparison"] = {
        "requests": r.compared,
        "estimate": {"total": r.estimate, "usage": r.estimate_usage},
        "actual": {"total": r.actual, "usage": r.actual_usage},
        "error": r.error,
        "error_percent": r.error_percent,
        "by_model": [m.model_dump() for m in r.by_model],
        "worst": [_request_json(w) for w in r.worst],
        "not_billed": {"by_type": r.not_billed, "estimate": r.not_billed_estimate},
        "missing_results": {"count": r.missing_results, "custom_ids": list(r.missing_result_ids)},
        "unestimated": {"count": r.unestimated, "actual": r.unestimated_actual},
    }
    out["warnings"] = [*r.actuals.warnings, *r.warnings]
    return out


# --- documents -------------------------------------------------------------------------------------


def _usage_cells(u: Usage, searches: bool) -> list[Cell | str]:
    cells: list[Cell | str] = [
        Cell.tokens(u.input_tokens),
        Cell.tokens(u.cache_write_5m_tokens),
        Cell.tokens(u.cache_write_1h_tokens),
        Cell.tokens(u.cache_read_tokens),
        Cell.tokens(u.output_tokens),
    ]
    if searches:
        cells.append(Cell.tokens(u.web_search_requests))
    return cells


_USAGE_COLUMNS = ["input", "5m cache writes", "1h cache writes", "cache reads", "output"]


def _counts_text(a: BatchActuals) -> str:
    c = a.counts
    parts = [f"{c.succeeded:,} succeeded", f"{c.errored:,} errored", f"{c.canceled:,} canceled"]
    parts.append(f"{c.expired:,} expired")
    text = f"{c.total:,} ({', '.join(parts)})"
    if a.errors_by_type:
        kinds = ", ".join(f"{kind} {n:,}" for kind, n in a.errors_by_type.items())
        text += f"; errors: {kinds}"
    return text


def _model_table(a: BatchActuals) -> Table:
    searches = a.usage.web_search_requests > 0
    columns = ["model", "requests", *_USAGE_COLUMNS, *(["web searches"] if searches else [])]
    columns += ["batch (actual)", "real time (equivalent)"]
    table = Table(columns=columns, title="Succeeded requests by model")
    for m in a.by_model:
        table.rows.append(
            [
                m.model,
                Cell(m.requests, "count"),
                *_usage_cells(m.usage, searches),
                Cell.usd(m.batch.total),
                Cell.usd(m.realtime.total),
            ]
        )
    table.footer = [
        "total",
        Cell(a.billed_requests, "count"),
        *_usage_cells(a.usage, searches),
        Cell.usd(a.batch.total),
        Cell.usd(a.realtime.total),
    ]
    return table


def _actuals_parts(a: BatchActuals) -> tuple[list[tuple[str, str]], list[str]]:
    facts = [
        ("file", a.path),
        ("results", _counts_text(a)),
        (
            "billed",
            f"{a.billed_requests:,} succeeded request(s); errored, canceled and expired are not billed",
        ),
        (
            "prices",
            f"as of {a.at.isoformat()}, table {a.pricing_version}, checked {a.pricing_checked.isoformat()} "
            "(results carry no dates: --at the day the batch ran)",
        ),
    ]
    if a.skipped:
        facts.append(("skipped", f"{a.skipped:,} invalid line(s)"))
    amounts = [a.batch.total, a.realtime.total, *(c.total for m in a.by_model for c in (m.batch, m.realtime))]
    (batch, saved), realtime, added_up = fmt.usd_terms(
        [a.batch.total, a.savings.amount], a.realtime.total, fmt.usd_places(amounts)
    )
    notes = [
        f"Actual batch cost {batch}; the same usage in real time would have cost {realtime}: batch saved "
        f"{saved} ({fmt.percent(a.savings.percent)}{_ROUNDED if not added_up else ''}).",
    ]
    return facts, notes


def actuals_document(a: BatchActuals) -> Document:
    """The human-readable actuals of a batch."""
    facts, notes = _actuals_parts(a)
    return Document(
        title="Batch results: what it cost",
        facts=facts,
        tables=[_model_table(a)],
        notes=notes,
        warnings=list(a.warnings),
    )


_ROUNDED = "; figures rounded"


def _pct(value: Decimal | None) -> Cell:
    return Cell.change(value)


def _signed(value: Decimal | None) -> str:
    return "n/a" if value is None else fmt.change_percent(value)


def reconciliation_document(r: Reconciliation) -> Document:
    """Actuals, then estimate vs actual per model and the worst misses."""
    a = r.actuals
    facts, notes = _actuals_parts(a)
    facts.append(
        (
            "compared",
            f"{r.compared:,} request(s) with an estimate and a succeeded result (batch prices)",
        )
    )
    notes.append(_comparison_note(r))
    csv = Table(
        columns=list(_REQUEST_COLUMNS),
        rows=_RowsWhenRead(lambda: (_request_row(x) for x in r.requests), len(r.requests)),
    )
    return Document(
        title="Batch results: estimate vs actual",
        facts=facts,
        tables=[_model_table(a), _comparison_table(r), _worst_table(r)],
        notes=notes,
        warnings=[*a.warnings, *r.warnings],
        csv=csv,
    )


def _comparison_table(r: Reconciliation) -> Table:
    """Estimate beside actual per model, the total as footer."""
    table = Table(
        columns=["model", "requests", "estimate", "actual", "error", "error %"],
        title="Estimate vs actual by model",
    )
    for m in r.by_model:
        table.rows.append(
            [
                m.model,
                Cell(m.requests, "count"),
                Cell.usd(m.estimate),
                Cell.usd(m.actual),
                Cell.usd(m.error),
                _pct(m.error_percent),
            ]
        )
    table.footer = [
        "total",
        Cell(r.compared, "count"),
        Cell.usd(r.estimate),
        Cell.usd(r.actual),
        Cell.usd(r.error),
        _pct(r.error_percent),
    ]
    return table


_REQUEST_COLUMNS = [
    "custom_id",
    "line",
    "model",
    "est. prompt",
    "prompt",
    "est. output",
    "output",
    "estimate",
    "actual",
    "error",
    "error %",
]
"""A compared request's columns: the worst misses' table and the CSV of every request."""


def _worst_table(r: Reconciliation) -> Table:
    table = Table(
        columns=list(_REQUEST_COLUMNS),
        title=f"Worst misses (largest dollar error first, {len(r.worst)} shown)",
    )
    for w in r.worst:
        table.rows.append(_request_row(w))
    return table


def _comparison_note(r: Reconciliation) -> str:
    """Estimate against actual, in figures rounded alike (and said so when they no longer add up)."""
    amounts = [
        r.estimate,
        r.actual,
        r.error,
        *(v for m in r.by_model for v in (m.estimate, m.actual, m.error)),
    ]
    (actual, error), estimate, added_up = fmt.usd_terms(
        [r.actual, r.error], r.estimate, fmt.usd_places(amounts)
    )
    return (
        f"Estimate {estimate} against actual {actual}: error {error} ({_signed(r.error_percent)}; "
        f"positive means the estimate was too high{_ROUNDED if not added_up else ''})."
    )


class _RowsWhenRead(list[list[Cell | str]]):
    """The CSV's rows (every compared request, maybe a million): made each time they are read, never
    kept (only the CSV writer reads them, in order)."""

    def __init__(self, make: Callable[[], Iterator[list[Cell | str]]], length: int) -> None:
        super().__init__()
        self._make, self._length = make, length

    def __iter__(self) -> Iterator[list[Cell | str]]:
        return self._make()

    def __len__(self) -> int:
        return self._length

    def __bool__(self) -> bool:
        return self._length > 0


def _request_row(w: RequestComparison) -> list[Cell | str]:
    return [
        w.custom_id,
        Cell(w.line, "count"),
        w.model,
        Cell.tokens(w.estimate_usage.prompt_tokens),
        Cell.tokens(w.actual_usage.prompt_tokens),
        Cell.tokens(w.estimate_usage.output_tokens),
        Cell.tokens(w.actual_usage.output_tokens),
        Cell.usd(w.estimate),
        Cell.usd(w.actual),
        Cell.usd(w.error),
        _pct(w.error_percent),
    ]


# --- organisation bills ----------------------------------------------------------------------------


def _org_line_json(line: OrgLine) -> dict[str, Any]:
    return {
        "kind": line.kind,
        "model": line.model,
        "model_name": line.model_name,
        "service_tier": line.service_tier,
        "rows": line.rows,
        "usage": line.usage,
        "priced": cost_json(line.cost),
        "unpriced_reason": line.unpriced_reason,
        "lower_bound": line.lower_bound,
        "estimate": line.estimate,
        "actual": line.actual,
        "error": line.error,
        "error_percent": line.error_percent,
        # Before 2026.12 these two were the only names of actual and error; kept for old readers.
        "billed": line.actual,
        "difference": line.error,
    }


def org_json(r: OrgReconciliation) -> dict[str, Any]:
    """``reconcile --usage-report U [--cost-report C]``: ``actual`` = our prices on the usage, and the bill."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "reconcile",
        "source": "admin_api",
        "pricing_version": r.pricing_version,
        "pricing_sha256": r.pricing_sha256,
        "pricing_checked": r.pricing_checked,
        "usage_report": r.usage_report,
        "cost_report": r.cost_report,
        "period": {"first_day": r.first_day, "last_day": r.last_day},
        "buckets": r.buckets,
        "rows": r.rows,
        "usage": r.usage,
        "comparison": {
            "estimate": {"total": r.estimate, "usage": r.usage},
            "actual": {"total": r.actual},
            "error": r.error,
            "error_percent": r.error_percent,
        },
        "estimate": r.estimate,
        "error": r.error,
        "error_percent": r.error_percent,
        # Before 2026.12: {"priced": estimate, "billed": actual} and "difference" (= error); kept.
        "actual": {"priced": r.estimate, "billed": r.actual},
        "difference": r.error,
        "lines": [_org_line_json(line) for line in r.lines],
        "billed_not_compared": r.billed_not_compared,
        "skipped": {"count": r.skipped, "lines": [s.model_dump() for s in r.skipped_lines]},
        "warnings": list(r.warnings),
    }


def _org_note(line: OrgLine) -> str:
    if line.unpriced_reason is not None:
        return "not priced"
    return "lower bound" if line.lower_bound else ""


def org_document(r: OrgReconciliation) -> Document:
    """The organisation's usage at our prices, beside the bill."""
    return Document(
        title="Organisation usage: our prices vs the bill",
        facts=_org_facts(r),
        tables=[_org_table(r)],
        notes=_org_notes(r),
        warnings=list(r.warnings),
    )


def _org_facts(r: OrgReconciliation) -> list[tuple[str, str]]:
    """The reports read, the period they cover, the prices."""
    period = "no usage rows"
    if r.first_day is not None and r.last_day is not None:
        period = r.first_day.isoformat()
        if r.last_day != r.first_day:
            period += f" to {r.last_day.isoformat()}"
    facts = [
        ("usage report", f"{r.usage_report} ({r.buckets:,} bucket(s), {r.rows:,} row(s))"),
        ("cost report", r.cost_report or "none (--cost-report FILE to compare with the bill)"),
        ("period", f"{period} (UTC bucket starts; each row priced at its day's prices)"),
        ("prices", f"table {r.pricing_version}, checked {r.pricing_checked.isoformat()}"),
    ]
    if r.skipped:
        facts.append(("skipped", f"{r.skipped:,} invalid row(s)"))
    return facts


def _org_table(r: OrgReconciliation) -> Table:
    """Per model and service tier: usage, our price and (with a cost report) the bill."""
    searches = any(line.usage.web_search_requests for line in r.lines)
    billed = r.cost_report is not None
    columns = ["model", "service tier", *_USAGE_COLUMNS, *(["web searches"] if searches else [])]
    columns += ["our price", *(["billed", "difference", "error %"] if billed else []), "note"]
    table = Table(columns=columns, title="Usage by model and service tier", keys=2)
    for line in r.lines:
        searches_only = line.kind == "web_search"
        row: list[Cell | str] = [
            "web search (all models)" if searches_only else line.model or "(not grouped)",
            "" if searches_only else line.service_tier or "(not grouped)",
            *_usage_cells(line.usage, searches),
            Cell.usd(line.estimate),
        ]
        if billed:
            row += [Cell.usd(line.actual), Cell.usd(line.error), _pct(line.error_percent)]
        table.rows.append([*row, _org_note(line)])
    footer: list[Cell | str] = ["total priced", "", *_usage_cells(r.usage, searches), Cell.usd(r.estimate)]
    if billed:
        footer += [Cell.usd(r.actual), Cell.usd(r.error), _pct(r.error_percent)]
    table.footer = [*footer, ""]
    return table


def _org_notes(r: OrgReconciliation) -> list[str]:
    """Our prices on the usage; beside the bill, when there is one."""
    if r.actual is None:
        return [f"Our prices on this usage: {fmt.usd(r.estimate)}."]
    error = r.error or Decimal(0)
    (bill, diff), priced, added_up = fmt.usd_terms([r.actual, error], r.estimate)
    return [
        f"Our prices on this usage: {priced}.",
        f"Billed for the same models and tiers: {bill}; difference {diff} "
        f"({_signed(r.error_percent)}; positive means our prices come out higher"
        f"{_ROUNDED if not added_up else ''}).",
    ]
