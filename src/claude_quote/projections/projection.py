"""The monthly projection (:func:`project`): each workload priced month by month on its own model,
then totals per month (with cumulative savings), per year of the horizon and overall.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from functools import partial

from claude_quote.money import from_units
from claude_quote.pricing import ModelInfo, PriceTable
from claude_quote.workload_spec import Workload

from .arithmetic import MoneyColumns, exact_difference, exact_sum
from .engine import MonthPricer, cache_warnings, month_rows, setup_projection
from .months import MonthLength, days_in, month_volumes, monthly_requests
from .results import (
    MonthRows,
    MonthTotal,
    MonthValues,
    Projection,
    WorkloadProjection,
    YearTotal,
    summary_fields,
)


def project(
    workloads: Workload | Iterable[Workload],
    *,
    start: str | date | None = None,
    months: int = 12,
    month_length: MonthLength = "calendar",
    table: PriceTable | None = None,
) -> Projection:
    """Project the monthly requests, tokens and costs of ``workloads`` (see the module docstring).

    Each workload's months (:attr:`WorkloadProjection.months`) are computed again when they are read,
    not kept: the totals are summed as the months are priced, so memory does not grow with workloads
    × months.

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
    items, first, starts, length, engine = setup_projection(workloads, start, months, month_length, table)
    sums = _MonthSums(len(starts))
    results = [_workload_projection(engine, workload, first, starts, length, sums) for workload in items]
    totals = sums.totals(starts, length)
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
        realtime_cost=exact_sum(m.realtime_cost for m in totals),
        batch_cost=exact_sum(m.batch_cost for m in totals),
        blended_cost=exact_sum(m.blended_cost for m in totals),
        savings=exact_sum(m.savings for m in totals),
        warnings=tuple(engine.warnings),
    )


class _MonthSums:
    """All workloads month by month, summed as their months are priced."""

    def __init__(self, months: int) -> None:
        self.counts = [[0, 0, 0] for _ in range(months)]  # requests, input tokens, output tokens
        self.money = MoneyColumns(3, months)  # real time, batch (with caching), blended
        self.retired: list[set[str]] = [set() for _ in range(months)]

    def totals(self, starts: Sequence[date], length: MonthLength) -> tuple[MonthTotal, ...]:
        out: list[MonthTotal] = []
        realtime, batch, blended = self.money.columns
        exponent = self.money.exponent
        cumulative = Decimal(0)
        for k, month in enumerate(starts):
            savings = from_units(realtime[k] - blended[k], exponent)
            cumulative = exact_difference(
                cumulative, -savings
            )  # ``-savings`` in the caller's context, as always
            requests, input_tokens, output_tokens = self.counts[k]
            out.append(
                MonthTotal(
                    month=month,
                    days=days_in(month, length),
                    requests=requests,
                    input_tokens=input_tokens,
                    output_tokens=output_tokens,
                    realtime_cost=from_units(realtime[k], exponent),
                    batch_cost=from_units(batch[k], exponent),
                    blended_cost=from_units(blended[k], exponent),
                    savings=savings,
                    cumulative_savings=cumulative,
                    retired=tuple(sorted(self.retired[k])),
                )
            )
        return tuple(out)


def _workload_projection(
    engine: MonthPricer,
    workload: Workload,
    first: date,
    starts: list[date],
    length: MonthLength,
    sums: _MonthSums,
) -> WorkloadProjection:
    """One workload over the horizon, on the model its name resolves to on the first day; its months
    are added to ``sums`` as they are priced, then forgotten (read again from :class:`MonthRows`)."""
    info = engine.resolve(workload.model, first)
    engine.check_model(workload, info, starts)
    cache_warnings(engine, workload)
    own, total_requests = _add_months(engine, workload, info, starts, length, sums)
    return WorkloadProjection(
        **summary_fields(workload),
        model=info.id,
        model_name=info.name,
        months=MonthRows(partial(_month_values, engine, workload, info, starts, length), len(starts)),
        realtime_cost=own.decimal(0, 0),
        batch_cost=own.decimal(1, 0),
        blended_cost=own.decimal(2, 0),
        savings=from_units(own.columns[0][0] - own.columns[2][0], own.exponent),
        total_requests=total_requests,
    )


def _add_months(
    engine: MonthPricer,
    workload: Workload,
    info: ModelInfo,
    starts: list[date],
    length: MonthLength,
    sums: _MonthSums,
) -> tuple[MoneyColumns, int]:
    """Price the workload's months, adding each to ``sums``; its own totals (real time, batch,
    blended, in one column each) and its requests."""
    own = MoneyColumns(3, 1)
    total_requests = 0
    money = sums.money
    realtime, batch, blended = money.columns
    for k, _, requests, _, prompt, output, rt, _, cached, mixed, exponent, _, retired in month_rows(
        engine, workload, info, month_volumes(workload, starts, length, unrounded=False)
    ):
        counts = sums.counts[k]
        counts[0] += requests
        counts[1] += prompt
        counts[2] += output
        if exponent != money.exponent:
            factor = money.scale(exponent)
            realtime, batch, blended = money.columns
        else:
            factor = 1
        realtime[k] += rt * factor
        batch[k] += cached * factor
        blended[k] += mixed * factor
        if retired:
            sums.retired[k].add(info.id)
        own_factor = own.scale(exponent)
        mine = own.columns
        mine[0][0] += rt * own_factor
        mine[1][0] += cached * own_factor
        mine[2][0] += mixed * own_factor
        total_requests += requests
    return own, total_requests


def _month_values(
    engine: MonthPricer, workload: Workload, info: ModelInfo, starts: list[date], length: MonthLength
) -> Iterator[MonthValues]:
    """The workload's months again, as :class:`MonthRows` reads them (priced without warnings)."""
    days = [days_in(month, length) for month in starts]
    for (
        k,
        exact,
        requests,
        batch_requests,
        prompt,
        output,
        rt,
        _,
        cached,
        mixed,
        exponent,
        effective,
        retired,
    ) in month_rows(engine, workload, info, monthly_requests(workload, starts, length), warn=False):
        yield (
            starts[k],
            days[k],
            exact,
            requests,
            batch_requests,
            prompt,
            output,
            from_units(rt, exponent),
            from_units(cached, exponent),
            from_units(mixed, exponent),
            from_units(rt - mixed, exponent),
            effective,
            retired,
        )


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
                realtime_cost=exact_sum(m.realtime_cost for m in chunk),
                batch_cost=exact_sum(m.batch_cost for m in chunk),
                blended_cost=exact_sum(m.blended_cost for m in chunk),
                savings=exact_sum(m.savings for m in chunk),
            )
        )
    return tuple(out)
