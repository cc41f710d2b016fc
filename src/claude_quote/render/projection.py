"""How a :class:`~claude_quote.projections.Projection` and a :class:`~claude_quote.projections.Comparison` look."""

from __future__ import annotations

import decimal
from datetime import date
from decimal import Decimal
from typing import Any

from claude_quote.money import decimal_str
from claude_quote.projections import (
    AVERAGE_MONTH_DAYS,
    Comparison,
    MonthLength,
    MonthRows,
    MonthTotal,
    Projection,
    WorkloadProjection,
    WorkloadSummary,
    YearTotal,
    month_starts,
)
from claude_quote.usage import Usage

from . import format as fmt
from .document import Cell, Chart, Document, Series, Table
from .json import SCHEMA_VERSION, JsonRows

__all__ = [
    "comparison_document",
    "comparison_json",
    "describe_workload",
    "projection_chart",
    "projection_document",
    "projection_json",
]

_MODE_LABELS = {
    "realtime": "real time",
    "batch": "batch",
    "batch+cache": "batch + cache",
    "hybrid": "hybrid",
}


def _month(day: Any) -> str:
    return str(day.isoformat()[:7])


def _length_json(length: MonthLength) -> dict[str, Any]:
    return {
        "month_length": length,
        "average_month_days": AVERAGE_MONTH_DAYS if length == "average" else None,
        "price_date": "first day of each month",
        "requests_rounding": "half-even to whole requests each month",
    }


def _summary_json(w: WorkloadSummary) -> dict[str, Any]:
    return {
        "name": w.name,
        "requested_model": w.requested_model,
        "usage": w.usage,
        "sample_requests": w.sample_requests,
        "requests": w.requests,
        "per": w.per,
        "growth_percent": w.growth_percent,
        "batch_share": w.batch_share,
        "cache_hit_rate": w.cache_hit_rate,
    }


_MONTH_KEYS = (
    "month",
    "days",
    "requests_unrounded",
    "requests",
    "batch_requests",
    "input_tokens",
    "output_tokens",
    "realtime_cost",
    "batch_cost",
    "blended_cost",
    "savings",
    "price_effective_from",
    "retired",
)
"""A workload month's keys: :class:`WorkloadMonth`'s fields, in order (``month`` as ``YYYY-MM``)."""


def _workload_months_json(rows: MonthRows) -> JsonRows:
    """The months of a workload, written as they are computed (none kept)."""
    return JsonRows(_MONTH_KEYS, ((_month(v[0]), *v[1:]) for v in rows.values()))


def _workload_json(w: WorkloadProjection) -> dict[str, Any]:
    return {
        **_summary_json(w),
        "model": w.model,
        "model_name": w.model_name,
        "totals": {
            "requests": w.total_requests,
            "realtime_cost": w.realtime_cost,
            "batch_cost": w.batch_cost,
            "blended_cost": w.blended_cost,
            "savings": w.savings,
        },
        "months": _workload_months_json(w.months),
    }


def _total_json(m: MonthTotal) -> dict[str, Any]:
    return {
        "month": _month(m.month),
        "days": m.days,
        "requests": m.requests,
        "input_tokens": m.input_tokens,
        "output_tokens": m.output_tokens,
        "realtime_cost": m.realtime_cost,
        "batch_cost": m.batch_cost,
        "blended_cost": m.blended_cost,
        "savings": m.savings,
        "cumulative_savings": m.cumulative_savings,
        "retired": list(m.retired),
    }


def _year_json(y: YearTotal) -> dict[str, Any]:
    return {
        "year": y.year,
        "first_month": _month(y.first_month),
        "last_month": _month(y.last_month),
        "months": y.months,
        "requests": y.requests,
        "input_tokens": y.input_tokens,
        "output_tokens": y.output_tokens,
        "realtime_cost": y.realtime_cost,
        "batch_cost": y.batch_cost,
        "blended_cost": y.blended_cost,
        "savings": y.savings,
    }


def projection_json(p: Projection) -> dict[str, Any]:
    """The JSON contract of ``project``: exact decimal strings, months, years, totals and warnings."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "projection",
        "pricing_version": p.pricing_version,
        "pricing_sha256": p.pricing_sha256,
        "pricing_checked": p.pricing_checked,
        "start": _month(p.start),
        "months_count": p.horizon,
        **_length_json(p.month_length),
        "workloads": [_workload_json(w) for w in p.workloads],
        "months": [_total_json(m) for m in p.months],
        "years": [_year_json(y) for y in p.years],
        "totals": {
            "requests": p.requests,
            "input_tokens": p.input_tokens,
            "output_tokens": p.output_tokens,
            "realtime_cost": p.realtime_cost,
            "batch_cost": p.batch_cost,
            "blended_cost": p.blended_cost,
            "savings": p.savings,
        },
        "warnings": list(p.warnings),
    }


def comparison_json(c: Comparison) -> dict[str, Any]:
    """The JSON contract of ``project --compare``: scenarios ranked cheapest first, with monthly costs."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "comparison",
        "pricing_version": c.pricing_version,
        "pricing_sha256": c.pricing_sha256,
        "pricing_checked": c.pricing_checked,
        "start": _month(c.start),
        "months_count": c.horizon,
        **_length_json(c.month_length),
        "ranked_by": "average_monthly_cost",
        "modes": list(c.modes),
        "workloads": [_summary_json(w) for w in c.workloads],
        "scenarios": [
            {
                "rank": s.rank,
                "model": s.model,
                "model_name": s.model_name,
                "requested_model": s.requested_model,
                "mode": s.mode,
                "first_month_cost": s.monthly_costs[0],
                "average_monthly_cost": s.average_monthly_cost,
                "total_cost": s.total_cost,
                "vs_cheapest_percent": s.vs_cheapest_percent,
                "retired_months": s.retired_months,
                "monthly_costs": list(s.monthly_costs),
            }
            for s in c.scenarios
        ],
        "warnings": list(c.warnings),
    }


# --------------------------------------------------------------------------------------------------
# Documents


def _table(version: str, checked: date) -> str:
    return f"table {version}, checked {checked.isoformat()}"


def _tokens_text(usage: Usage) -> str:
    parts = [
        (usage.input_tokens, "input"),
        (usage.cache_write_5m_tokens, "5m cache write"),
        (usage.cache_write_1h_tokens, "1h cache write"),
        (usage.cache_read_tokens, "cache read"),
        (usage.output_tokens, "output"),
    ]
    text = " + ".join(f"{fmt.tokens(n)} {label}" for n, label in parts if n) or "0"
    text += " tokens"
    if usage.web_search_requests:
        searches = usage.web_search_requests
        text += f" + {fmt.tokens(searches)} web search{'es' if searches != 1 else ''}"
    return text


def _number(value: Decimal) -> str:
    return fmt.quantity(value)


def describe_workload(w: WorkloadSummary, model: str | None = None) -> str:
    """One line: model, tokens per request, volume, growth, batch share and cache hit rate."""
    if w.sample_requests == 1:
        size = f"{_tokens_text(w.usage)} per request"
    else:
        size = f"{_tokens_text(w.usage)} over {fmt.tokens(w.sample_requests)} estimated requests"
    parts = [f"{model or w.requested_model}: {size}", f"{_number(w.requests)} requests/{w.per}"]
    if not w.growth_percent.is_zero():
        sign = "+" if w.growth_percent > 0 else ""
        parts.append(f"{sign}{_number(w.growth_percent)}%/month compounding")
    if w.batch_share is not None:
        parts.append(f"batch share {_number(w.batch_share)}")
    if w.cache_hit_rate is not None:
        parts.append(f"cache hit rate {_number(w.cache_hit_rate)} in batch")
    return ", ".join(parts)


def _months(count: int) -> str:
    """``1 month``, ``12 months``."""
    return f"{count:,} month{'s' if count != 1 else ''}"


def _horizon_facts(start: Any, horizon: int, last: Any, length: MonthLength) -> list[tuple[str, str]]:
    span = f"{_month(start)} to {_month(last)} ({_months(horizon)})"
    if length == "calendar":
        days = "calendar: the real days of each month"
    else:
        days = f"average: {decimal_str(AVERAGE_MONTH_DAYS)} days (365.25 ÷ 12)"
    return [
        ("months", span),
        ("month length", days),
        ("requests", "growth compounds monthly; rounded half-even to whole requests each month"),
    ]


def _percent_of(part: Decimal, whole: Decimal) -> str:
    if whole.is_zero():
        return fmt.percent(Decimal(0))
    with decimal.localcontext(prec=28):
        return fmt.percent(part * 100 / whole)


def projection_document(p: Projection) -> Document:
    """The human-readable projection: months, years, workloads, and what batch saves."""
    tables = [_months_table(p), _years_table(p)]
    if len(p.workloads) > 1:
        tables.append(_workloads_table(p))
    return Document(
        title=f"Projection: {_months(p.horizon)} from {_month(p.start)}",
        facts=_projection_facts(p),
        tables=tables,
        notes=_projection_notes(p),
        warnings=list(p.warnings),
        csv=_projection_csv(p),
        charts=[projection_chart(p)],
    )


def _prices_fact(version: str, checked: date) -> tuple[str, str]:
    return ("prices", f"in effect on the first day of each month ({_table(version, checked)})")


def _projection_facts(p: Projection) -> list[tuple[str, str]]:
    """Each workload, the months and how they are counted, the prices."""
    facts: list[tuple[str, str]] = []
    for w in p.workloads:
        label = "workload" if len(p.workloads) == 1 else f"workload {w.name}"
        facts.append((label, describe_workload(w, f"{w.model} ({w.model_name})")))
    facts += _horizon_facts(p.start, p.horizon, p.months[-1].month, p.month_length)
    facts.append(_prices_fact(p.pricing_version, p.pricing_checked))
    return facts


def _money_columns(blended: bool) -> list[str]:
    return ["real-time", "batch", *(["blended"] if blended else []), "savings"]


def _months_table(p: Projection) -> Table:
    """Month by month, with the cumulative savings; a flag column when a model retires in the horizon."""
    blended = p.blended
    flagged = any(m.retired for m in p.months)
    table = Table(
        columns=[
            "month",
            "days",
            "requests",
            "input tokens",
            "output tokens",
            *_money_columns(blended),
            "cumulative savings",
            *(["flag"] if flagged else []),
        ],
        title="By month",
    )
    table.rows.extend(_month_row(m, blended, flagged) for m in p.months)
    table.footer = [
        "total",
        "",
        Cell.tokens(p.requests),
        Cell.tokens(p.input_tokens),
        Cell.tokens(p.output_tokens),
        *_money(p.realtime_cost, p.batch_cost, p.blended_cost, p.savings, blended),
        "",
        *([""] if flagged else []),
    ]
    return table


def _month_row(m: MonthTotal, blended: bool, flagged: bool) -> list[Cell | str]:
    row: list[Cell | str] = [
        _month(m.month),
        Cell(m.days, "count"),
        Cell.tokens(m.requests),
        Cell.tokens(m.input_tokens),
        Cell.tokens(m.output_tokens),
        *_money(m.realtime_cost, m.batch_cost, m.blended_cost, m.savings, blended),
        Cell.usd(m.cumulative_savings),
    ]
    if flagged:
        row.append("retired: " + ", ".join(m.retired) if m.retired else "")
    return row


def _years_table(p: Projection) -> Table:
    table = Table(columns=["year", "months", "requests", *_money_columns(p.blended)], title="By year")
    for y in p.years:
        table.rows.append(
            [
                f"{y.year}: {_month(y.first_month)} to {_month(y.last_month)}",
                Cell(y.months, "count"),
                Cell.tokens(y.requests),
                *_money(y.realtime_cost, y.batch_cost, y.blended_cost, y.savings, p.blended),
            ]
        )
    return table


def _workloads_table(p: Projection) -> Table:
    table = Table(columns=["workload", "model", "requests", *_money_columns(p.blended)], title="By workload")
    for w in p.workloads:
        table.rows.append(
            [
                w.name,
                w.model,
                Cell.tokens(w.total_requests),
                *_money(w.realtime_cost, w.batch_cost, w.blended_cost, w.savings, p.blended),
            ]
        )
    return table


def _projection_notes(p: Projection) -> list[str]:
    """The verdict over the horizon, then what the figures mean."""
    plan = "the blended plan" if p.blended else "batch"
    (cost, saved), realtime, added_up = fmt.usd_terms([p.blended_cost, p.savings], p.realtime_cost)
    rounded = "" if added_up else "; figures rounded"
    if p.savings < 0:  # batch can cost more: e.g. cache reads turned into 1-hour cache writes
        verdict = f"{plan} costs {saved.lstrip('-')} more ({_percent_of(-p.savings, p.realtime_cost)} more{rounded})"
    else:
        verdict = f"{plan} saves {saved} ({_percent_of(p.savings, p.realtime_cost)}{rounded})"
    notes = [
        f"Over {_months(p.horizon)}: real time {realtime}, {plan} {cost}; {verdict}.",
        "Input tokens are the whole prompt: uncached input + cache writes + cache reads.",
    ]
    if p.blended:
        notes.append(
            "Blended: each workload's batch share of requests through the Batch API, the rest in real "
            "time. Savings = real-time − blended."
        )
    else:
        notes.append("Savings = real-time − batch.")
    if any(w.cache_hit_rate is not None for w in p.workloads):
        notes.append(
            "Batch with a cache hit rate: that share of the cacheable prompt is read from the cache, "
            "the rest written to the 1-hour cache."
        )
    return notes


def projection_chart(p: Projection) -> Chart:
    """Monthly cost: real time as bars, batch (or the blended plan) as a line."""
    plan = "blended plan" if p.blended else "batch"
    months = [_month(m.month) for m in p.months]
    retired = [_month(m.month) for m in p.months if m.retired]
    caption = f"Monthly cost in USD, {months[0]} to {months[-1]}: real time as bars, {plan} as a line."
    if retired:
        caption += f" Months with a retired model (priced at its last list price): {', '.join(retired)}."
    return Chart(
        title=f"Monthly cost: real time (bars) vs {plan} (line)",
        x=months,
        y_label="USD per month",
        series=[
            Series("bar", "real time", [m.realtime_cost for m in p.months]),
            Series("line", plan, [m.blended_cost if p.blended else m.batch_cost for m in p.months]),
        ],
        caption=caption,
    )


def _money(realtime: Decimal, batch: Decimal, blended: Decimal, savings: Decimal, show: bool) -> list[Cell]:
    cells = [Cell.usd(realtime), Cell.usd(batch)]
    if show:
        cells.append(Cell.usd(blended))
    return [*cells, Cell.usd(savings)]


def _projection_csv(p: Projection) -> Table:
    columns = [
        "month",
        "days",
        "requests",
        "input_tokens",
        "output_tokens",
        "realtime_cost",
        "batch_cost",
        "blended_cost",
        "savings",
        "cumulative_savings",
        "retired",
    ]
    rows: list[list[Cell | str]] = [
        [
            _month(m.month),
            Cell(m.days, "count"),
            Cell(m.requests, "count"),
            Cell(m.input_tokens, "count"),
            Cell(m.output_tokens, "count"),
            Cell.usd(m.realtime_cost),
            Cell.usd(m.batch_cost),
            Cell.usd(m.blended_cost),
            Cell.usd(m.savings),
            Cell.usd(m.cumulative_savings),
            " ".join(m.retired),
        ]
        for m in p.months
    ]
    return Table(columns=columns, rows=rows)


def comparison_document(c: Comparison) -> Document:
    """The what-if matrix: every model in every mode, cheapest first."""
    notes = ["Ranked by average monthly cost over the horizon (the same order as the total)."]
    notes += [f"{_MODE_EXPLAINED[mode][0].upper()}{_MODE_EXPLAINED[mode][1:]}." for mode in c.modes]
    return Document(
        title=f"What-if: {_months(c.horizon)} from {_month(c.start)}, cheapest first",
        facts=_comparison_facts(c),
        tables=[_scenarios_table(c)],
        notes=notes,
        warnings=list(c.warnings),
        csv=_comparison_csv(c),
        charts=[_comparison_chart(c)],
    )


_MODE_EXPLAINED = {
    "realtime": "real time: every request through the Messages API",
    "batch": "batch: every request through the Message Batches API, tokens as given",
    "batch+cache": "batch + cache: batch, with the cache hit rate applied to the cacheable prompt "
    "(the rest written to the 1-hour cache)",
    "hybrid": "hybrid: the batch share of requests in batch (with the cache hit rate, if any), the rest "
    "in real time",
}
"""What each mode of a comparison means (a note per mode compared)."""


def _comparison_facts(c: Comparison) -> list[tuple[str, str]]:
    """Each workload (on every model), the months and how they are counted, the prices."""
    facts: list[tuple[str, str]] = []
    for w in c.workloads:
        label = "workload" if len(c.workloads) == 1 else f"workload {w.name}"
        facts.append((label, describe_workload(w, "each model")))
    last = month_starts(c.start, c.horizon)[-1]
    facts += _horizon_facts(c.start, c.horizon, last, c.month_length)
    facts.append(_prices_fact(c.pricing_version, c.pricing_checked))
    return facts


def _scenarios_table(c: Comparison) -> Table:
    """One row per model and mode, cheapest first; a flag column when a model retires in the horizon."""
    flagged = any(s.retired_months for s in c.scenarios)
    table = Table(
        columns=[
            "rank",
            "model",
            "mode",
            "first month",
            "average month",
            _months(c.horizon),
            "vs cheapest",
            *(["flag"] if flagged else []),
        ],
        keys=3,
    )
    for s in c.scenarios:
        row: list[Cell | str] = [
            Cell(s.rank, "count"),
            s.model,
            _MODE_LABELS[s.mode],
            Cell.usd(s.monthly_costs[0]),
            Cell.usd(s.average_monthly_cost),
            Cell.usd(s.total_cost),
            "cheapest" if s.rank == 1 else Cell.change(s.vs_cheapest_percent),
        ]
        if flagged:
            row.append(f"retired {_months(s.retired_months)}" if s.retired_months else "")
        table.rows.append(row)
    return table


def _comparison_csv(c: Comparison) -> Table:
    return Table(
        columns=[
            "rank",
            "model",
            "mode",
            "first_month_cost",
            "average_monthly_cost",
            "total_cost",
            "vs_cheapest_percent",
            "retired_months",
        ],
        rows=[
            [
                Cell(s.rank, "count"),
                s.model,
                s.mode,
                Cell.usd(s.monthly_costs[0]),
                Cell.usd(s.average_monthly_cost),
                Cell.usd(s.total_cost),
                Cell.percent(s.vs_cheapest_percent),
                Cell(s.retired_months, "count"),
            ]
            for s in c.scenarios
        ],
    )


def _comparison_chart(c: Comparison) -> Chart:
    return Chart(
        title="Average monthly cost by model and mode",
        x=[f"{s.model} {_MODE_LABELS[s.mode]}" for s in c.scenarios],
        y_label="USD per month",
        series=[Series("bar", "average month", [s.average_monthly_cost for s in c.scenarios])],
        caption=f"Average monthly cost in USD over {_months(c.horizon)}, cheapest first.",
    )
