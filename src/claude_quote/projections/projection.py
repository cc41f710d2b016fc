"""The monthly projection (:func:`project`): each workload priced month by month on its own model,
then totals per month (with cumulative savings), per year of the horizon and overall.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal

from claude_quote.money import plain
from claude_quote.pricing import PriceTable
from claude_quote.workload_spec import Workload

from .arithmetic import _sub, _sum
from .engine import _cache_warnings, _Engine, _price_months, _setup
from .months import MonthLength, _days, monthly_requests
from .results import MonthTotal, Projection, WorkloadMonth, WorkloadProjection, YearTotal, _summary_fields


def project(
    workloads: Workload | Iterable[Workload],
    *,
    start: str | date | None = None,
    months: int = 12,
    month_length: MonthLength = "calendar",
    table: PriceTable | None = None,
) -> Projection:
    """Project the monthly requests, tokens and costs of ``workloads`` (see the module docstring).

    Args:
        workloads: one :class:`~claude_quote.workload_spec.Workload` or several (names unique).
        start: first month, ``YYYY-MM`` or a date (default: the month after today, UTC).
        months: the horizon, 1 to 1,200 months.
        month_length: ``calendar`` (real days of each month) or ``average`` (30.4375 days).
        table: the price table (default: the bundled one).

    Raises:
        UsageError: a bad option; UnknownModelError, PriceNotAvailableError: a model cannot be priced
        in some month of the horizon.
    """
    items, first, starts, length, engine = _setup(workloads, start, months, month_length, table)
    results = [
        _workload_projection(engine, index, workload, first, starts, length)
        for index, workload in enumerate(items)
    ]
    totals = _month_totals(results, starts, length)
    return Projection(
        start=first,
        horizon=len(starts),
        month_length=length,
        pricing_version=engine.table.version,
        pricing_checked=engine.table.checked,
        pricing_sha256=engine.table.sha256,
        workloads=tuple(results),
        months=totals,
        years=_years(totals),
        requests=sum(m.requests for m in totals),
        input_tokens=sum(m.input_tokens for m in totals),
        output_tokens=sum(m.output_tokens for m in totals),
        realtime_cost=_sum(m.realtime_cost for m in totals),
        batch_cost=_sum(m.batch_cost for m in totals),
        blended_cost=_sum(m.blended_cost for m in totals),
        savings=_sum(m.savings for m in totals),
        warnings=tuple(engine.warnings),
    )


def _workload_projection(
    engine: _Engine, index: int, workload: Workload, first: date, starts: list[date], length: MonthLength
) -> WorkloadProjection:
    """One workload over the horizon, on the model its name resolves to on the first day."""
    info = engine.resolve(workload.model, first)
    engine.check_model(workload, info, starts)
    _cache_warnings(engine, workload)
    volumes = monthly_requests(workload, starts, length)
    costs = _price_months(engine, index, workload, info, starts, volumes)
    rows = tuple(
        WorkloadMonth(
            month=c.month,
            days=_days(c.month, length),
            requests_unrounded=exact,
            requests=c.requests,
            batch_requests=c.batch_requests,
            input_tokens=c.tokens[0] + c.tokens[1] + c.tokens[2] + c.tokens[3],
            output_tokens=c.tokens[4],
            realtime_cost=plain(c.realtime),
            batch_cost=plain(c.cached),
            blended_cost=plain(c.blended),
            savings=_sub(c.realtime, c.blended),
            price_effective_from=c.effective_from,
            retired=c.retired,
        )
        for c, (exact, _) in zip(costs, volumes, strict=True)
    )
    return WorkloadProjection(
        **_summary_fields(workload),
        model=info.id,
        model_name=info.name,
        months=rows,
        realtime_cost=_sum(m.realtime_cost for m in rows),
        batch_cost=_sum(m.batch_cost for m in rows),
        blended_cost=_sum(m.blended_cost for m in rows),
        savings=_sum(m.savings for m in rows),
        total_requests=sum(m.requests for m in rows),
    )


def _month_totals(
    results: Sequence[WorkloadProjection], starts: Sequence[date], length: MonthLength
) -> tuple[MonthTotal, ...]:
    out: list[MonthTotal] = []
    cumulative = Decimal(0)
    for k, month in enumerate(starts):
        rows = [w.months[k] for w in results]
        savings = _sum(r.savings for r in rows)
        cumulative = _sub(cumulative, -savings)
        out.append(
            MonthTotal(
                month=month,
                days=_days(month, length),
                requests=sum(r.requests for r in rows),
                input_tokens=sum(r.input_tokens for r in rows),
                output_tokens=sum(r.output_tokens for r in rows),
                realtime_cost=_sum(r.realtime_cost for r in rows),
                batch_cost=_sum(r.batch_cost for r in rows),
                blended_cost=_sum(r.blended_cost for r in rows),
                savings=savings,
                cumulative_savings=cumulative,
                retired=tuple(sorted({w.model for w, r in zip(results, rows, strict=True) if r.retired})),
            )
        )
    return tuple(out)


def _years(months: Sequence[MonthTotal]) -> tuple[YearTotal, ...]:
    out: list[YearTotal] = []
    for year, first in enumerate(range(0, len(months), 12), start=1):
        chunk = months[first : first + 12]
        out.append(
            YearTotal(
                year=year,
                first_month=chunk[0].month,
                last_month=chunk[-1].month,
                months=len(chunk),
                requests=sum(m.requests for m in chunk),
                input_tokens=sum(m.input_tokens for m in chunk),
                output_tokens=sum(m.output_tokens for m in chunk),
                realtime_cost=_sum(m.realtime_cost for m in chunk),
                batch_cost=_sum(m.batch_cost for m in chunk),
                blended_cost=_sum(m.blended_cost for m in chunk),
                savings=_sum(m.savings for m in chunk),
            )
        )
    return tuple(out)
