"""Monthly projections and what-if comparisons: what work costs per month and per year as it grows.

How a month is computed (``docs/projections.md`` explains each choice):

- **Months** run from ``start`` (a first day of a month) for ``months`` months. A volume per day or
  per week is turned into a volume per month with the month's length: ``calendar`` uses the real
  days of each month (31 for December, 28 or 29 for February), ``average`` uses 30.4375 days
  (365.25 ÷ 12) for every month. A volume per month ignores the month length.
- **Growth** compounds monthly on the exact volume: month *k* (0 for the first) has
  ``requests × (days ÷ unit) × (1 + growth_percent/100)^k`` requests, computed to 60 significant
  digits, then **rounded half-even to whole requests**. The rounding never feeds the next month.
- **Tokens** are the request's tokens × the month's requests (whole numbers; an estimate's average
  request is scaled exactly and rounded half-even to whole tokens per bucket).
- **Prices** are those in effect on the **first day of each month**: a price change dated inside a
  month applies from the next month. The tier of a request is chosen from its own prompt, as ever.
  The amounts are exact Decimals; nothing is rounded here.
- **Retirement**: a month containing or after a model's ``retired`` date is flagged (and warned
  about); it is still priced at the model's last list price. A month before a model's first price
  is an error.
- **Batch** prices every request through the Message Batches API; with a ``cache_hit_rate`` *h*,
  *h* of the cacheable prompt (cache reads + cache writes of the request) is read from the cache and
  the rest written to the 1-hour cache. **Blended** sends ``batch_share`` of the requests (rounded
  half-even) through batch and the rest in real time. **Savings** = real-time − blended.

The compounding of 1,000 requests a day growing 5% a month, from December 2026:

>>> from claude_quote.usage import Usage
>>> from claude_quote.workload_spec import Workload
>>> chat = Workload(name="chat", model="sonnet-4.6", usage=Usage(input_tokens=2_000, output_tokens=500),
...                 requests=1_000, per="day", growth_percent=5)
>>> p = project(chat, start="2026-12", months=4)
>>> [(m.month.isoformat(), m.requests, str(m.realtime_cost)) for m in p.months]
[('2026-12-01', 31000, '418.5'), ('2027-01-01', 32550, '439.425'), ('2027-02-01', 30870, '416.745'), ('2027-03-01', 35886, '484.461')]

December: 1,000 × 31 days = 31,000; January: 1,000 × 1.05 × 31 = 32,550; February: 1,000 × 1.05² × 28 =
30,870; March: 1,000 × 1.05³ × 31 = 35,886.375 → 35,886. Each request costs 2,000 × $3/MTok + 500 ×
$15/MTok = $0.0135 in real time, so December costs 31,000 × $0.0135 = $418.50.

pandas is imported only inside :meth:`Projection.to_frame` and :meth:`Comparison.to_frame`.

The package, by responsibility: ``months`` (months, days and volumes), ``arithmetic`` (usage buckets
and exact sums), ``engine`` (rates and the month-by-month pricing), ``projection`` (:func:`project`),
``comparison`` (:func:`compare`) and ``results`` (the result types).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .months import AVERAGE_MONTH_DAYS, MAX_MONTHS, MonthLength, month_starts, monthly_requests, parse_month
from .projection import project

if TYPE_CHECKING:
    from .comparison import compare

from .results import (
    Comparison,
    MonthRows,
    MonthTotal,
    Projection,
    Scenario,
    ScenarioMode,
    WorkloadMonth,
    WorkloadProjection,
    WorkloadSummary,
    YearTotal,
)

__all__ = [
    "AVERAGE_MONTH_DAYS",
    "MAX_MONTHS",
    "Comparison",
    "MonthLength",
    "MonthRows",
    "MonthTotal",
    "Projection",
    "Scenario",
    "ScenarioMode",
    "WorkloadMonth",
    "WorkloadProjection",
    "WorkloadSummary",
    "YearTotal",
    "compare",
    "month_starts",
    "monthly_requests",
    "parse_month",
    "project",
]


def __getattr__(name: str) -> Any:
    """:func:`compare` is imported on first use (a projection alone does not need it)."""
    if name == "compare":
        from .comparison import compare

        return compare
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
