"""Months and volumes: the first day of each month of the horizon, the days a month counts
(``calendar`` or ``average``), and each month's requests of a workload, compounded at 60 significant
digits and rounded half-even to whole requests.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal

from claude_quote.cost import today
from claude_quote.errors import UsageError
from claude_quote.money import MAX_COUNT, plain
from claude_quote.workload_spec import AVERAGE_MONTH_DAYS as AVERAGE_MONTH_DAYS
from claude_quote.workload_spec import Workload

MonthLength = Literal["calendar", "average"]

MAX_MONTHS = 1200
"""The longest horizon accepted (100 years)."""

GROWTH_CONTEXT = decimal.Context(prec=60, rounding=ROUND_HALF_EVEN)
"""Volumes and compounding: 60 significant digits, then rounded half-even to whole requests."""

_DAYS_PER_UNIT = {"day": Decimal(1), "week": Decimal(7)}


def parse_month(value: str | date | None) -> date:
    """The first day of a month from ``YYYY-MM`` (or a date, whose month is taken).

    None means the month after today (UTC): the first whole month ahead.

    >>> parse_month("2026-12"), parse_month(date(2027, 2, 14))
    (datetime.date(2026, 12, 1), datetime.date(2027, 2, 1))
    """
    if value is None:
        now = today()
        return date(now.year + now.month // 12, now.month % 12 + 1, 1)
    if isinstance(value, date):
        return value.replace(day=1)
    text = value.strip()
    try:
        year, month = text.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        return date(int(year), int(month), 1)
    except ValueError:
        raise UsageError(
            f"start {value!r} is not a month; write YYYY-MM, e.g. 2026-12", field="start"
        ) from None


def month_starts(start: date, months: int) -> list[date]:
    """The first day of each of ``months`` months from ``start``'s month.

    >>> [d.isoformat() for d in month_starts(date(2026, 11, 1), 3)]
    ['2026-11-01', '2026-12-01', '2027-01-01']
    """
    first = start.year * 12 + start.month - 1
    if first + months > 9999 * 12 + 11:  # the month after the horizon must be a date too (its length)
        raise UsageError(
            f"start {start:%Y-%m} with a {months}-month horizon runs past November 9999, the last month a "
            "projection can reach; start earlier or shorten the horizon",
            field="start",
        )
    return [date((first + k) // 12, (first + k) % 12 + 1, 1) for k in range(months)]


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def days_in(month: date, month_length: MonthLength) -> Decimal:
    if month_length == "average":
        return AVERAGE_MONTH_DAYS
    return Decimal((next_month(month) - month).days)


def monthly_requests(
    workload: Workload, months: Sequence[date], month_length: MonthLength = "calendar"
) -> list[tuple[Decimal, int]]:
    """``(unrounded, rounded)`` requests of ``workload`` in each month: compounding, then half-even.

    >>> from claude_quote.usage import Usage
    >>> w = Workload(name="w", model="sonnet", usage=Usage(), requests=1_000, per="day", growth_percent=5)
    >>> monthly_requests(w, month_starts(date(2027, 2, 1), 3))
    [(Decimal('28000'), 28000), (Decimal('32550'), 32550), (Decimal('33075'), 33075)]
    """
    return month_volumes(workload, months, month_length)


def month_volumes(
    workload: Workload, months: Sequence[date], month_length: MonthLength, *, unrounded: bool = True
) -> list[tuple[Decimal, int]]:
    """:func:`monthly_requests`; without ``unrounded``, the first of each pair is left as computed
    (not written plain): for sums that only need the rounded requests."""
    growth = GROWTH_CONTEXT.add(1, GROWTH_CONTEXT.divide(workload.growth_percent, 100))
    factor = Decimal(1)
    out: list[tuple[Decimal, int]] = []
    bases: dict[Decimal, Decimal] = {}
    multiply, quantize, one = GROWTH_CONTEXT.multiply, GROWTH_CONTEXT.quantize, Decimal(1)
    for month in months:
        if workload.per == "month":
            base = workload.requests
        else:
            days = days_in(month, month_length)
            found = bases.get(days)
            if found is None:
                found = bases[days] = GROWTH_CONTEXT.divide(
                    multiply(workload.requests, days), _DAYS_PER_UNIT[workload.per]
                )
            base = found
        exact = multiply(base, factor)
        if exact > MAX_COUNT:
            raise UsageError(
                f"workload {workload.name!r} grows to {exact:,.0f} requests in {month:%Y-%m}, more than "
                f"{MAX_COUNT:,} a month; lower the growth or shorten the horizon",
                field="growth_percent",
            )
        rounded = int(quantize(exact, one))  # half-even: the context's rounding
        out.append((plain(exact) if unrounded else exact, rounded))
        factor = multiply(factor, growth)
    return out
