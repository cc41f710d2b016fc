"""What :func:`~claude_quote.projections.project` and :func:`~claude_quote.projections.compare`
return: the frozen :class:`Projection` (per workload and month, month totals, years) and
:class:`Comparison` (ranked scenarios), each with ``to_frame`` (pandas imported only there).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, cast, get_args, overload

from pydantic import BaseModel, ConfigDict

from claude_quote.model_rows import ModelRows
from claude_quote.usage import Usage
from claude_quote.workload_spec import Workload

from .months import MonthLength

if TYPE_CHECKING:
    import pandas as pd

ScenarioMode = Literal["realtime", "batch", "batch+cache", "hybrid"]
SCENARIO_MODES: tuple[ScenarioMode, ...] = get_args(ScenarioMode)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class WorkloadMonth(_Frozen):
    """One workload in one month."""

    month: date
    """First day of the month; its prices are the ones in effect on this day."""
    days: Decimal
    """Days counted for the month (calendar days, or 30.4375)."""
    requests_unrounded: Decimal
    """The compounding volume before rounding (60 significant digits)."""
    requests: int
    """Requests in the month: ``requests_unrounded`` rounded half-even."""
    batch_requests: int
    """Of which the blended plan sends through batch (``requests × batch_share``, rounded half-even)."""
    input_tokens: int
    """Prompt tokens (uncached input + cache writes + cache reads) of the month's requests, as given."""
    output_tokens: int
    """Output tokens of the month's requests."""
    realtime_cost: Decimal
    """Every request in real time."""
    batch_cost: Decimal
    """Every request through the Batch API (with the cache hit rate, if any)."""
    blended_cost: Decimal
    """``batch_requests`` in batch, the rest in real time."""
    savings: Decimal
    """``realtime_cost - blended_cost``."""
    price_effective_from: date
    """Start of the price entry that applied on the month's first day."""
    retired: bool
    """The model is retired on or before the month's last day (priced at its last list price)."""


MonthValues = tuple[
    date, Decimal, Decimal, int, int, int, int, Decimal, Decimal, Decimal, Decimal, date, bool
]
"""A :class:`WorkloadMonth`'s fields in order, as :meth:`MonthRows.values` yields them."""

_MONTH_FIELDS = tuple(WorkloadMonth.model_fields)


class MonthRows(ModelRows[WorkloadMonth]):
    """The months of one workload, computed when they are read rather than kept.

    A projection of 500 workloads over 1,200 months has 600,000 of them; iterating prices them again
    (exactly as the first time), and indexing keeps this workload's months once it has made them.
    Equal to any sequence of the same :class:`WorkloadMonth` s.
    """

    __slots__ = ("_kept", "_length", "_make")
    item = WorkloadMonth
    what = "months"

    def __init__(self, make: Callable[[], Iterator[MonthValues]], length: int) -> None:
        self._make = make
        self._length = length
        self._kept: tuple[WorkloadMonth, ...] | None = None

    @classmethod
    def of(cls, months: Iterable[WorkloadMonth]) -> MonthRows:
        """Months already made."""
        kept = tuple(months)
        rows = cls(
            lambda: (cast(MonthValues, tuple(getattr(m, f) for f in _MONTH_FIELDS)) for m in kept), len(kept)
        )
        rows._kept = kept
        return rows

    def values(self) -> Iterator[MonthValues]:
        """Each month's field values in order, without making :class:`WorkloadMonth` objects."""
        return self._make()

    def __iter__(self) -> Iterator[WorkloadMonth]:
        if self._kept is not None:
            return iter(self._kept)
        fields: Any = _MONTH_FIELDS
        return (WorkloadMonth.model_construct(**dict(zip(fields, v, strict=True))) for v in self._make())

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> WorkloadMonth: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[WorkloadMonth]: ...
    def __getitem__(self, index: int | slice) -> WorkloadMonth | Sequence[WorkloadMonth]:
        if self._kept is None:
            self._kept = tuple(iter(self))
        return self._kept[index]


class WorkloadSummary(_Frozen):
    """What a workload is: its usage per request, volume, growth and batch plan."""

    name: str
    requested_model: str
    """The model name as given (``sonnet``, ``sonnet-4.6``, ...)."""
    usage: Usage
    """Usage of ``sample_requests`` requests (one request, unless from an estimate)."""
    sample_requests: int
    requests: Decimal
    """Volume per ``per`` in the first month."""
    per: str
    growth_percent: Decimal
    batch_share: Decimal | None
    """Share of requests in batch in the blended plan (None: all of them)."""
    cache_hit_rate: Decimal | None

    @classmethod
    def of(cls, workload: Workload) -> WorkloadSummary:
        """The summary of ``workload``."""
        return cls(**summary_fields(workload))


def summary_fields(workload: Workload) -> dict[str, object]:
    return {
        "name": workload.name,
        "requested_model": workload.model,
        "usage": workload.usage,
        "sample_requests": workload.sample_requests,
        "requests": workload.requests,
        "per": workload.per,
        "growth_percent": workload.growth_percent,
        "batch_share": workload.batch_share,
        "cache_hit_rate": workload.cache_hit_rate,
    }


class WorkloadProjection(WorkloadSummary):
    """One workload over the horizon."""

    model: str
    """Canonical id the model resolved to on the start date."""
    model_name: str
    months: MonthRows
    """Month by month (computed again when read: see :class:`MonthRows`)."""
    total_requests: int
    realtime_cost: Decimal
    batch_cost: Decimal
    blended_cost: Decimal
    savings: Decimal


class MonthTotal(_Frozen):
    """All workloads in one month."""

    month: date
    days: Decimal
    requests: int
    input_tokens: int
    output_tokens: int
    realtime_cost: Decimal
    batch_cost: Decimal
    blended_cost: Decimal
    savings: Decimal
    cumulative_savings: Decimal
    """Savings of this month and every month before it in the horizon."""
    retired: tuple[str, ...]
    """Models flagged retired in this month."""


class YearTotal(_Frozen):
    """Twelve months of the horizon (the last year may be shorter)."""

    year: int
    """1 for the first twelve months, 2 for the next, ..."""
    first_month: date
    last_month: date
    months: int
    requests: int
    input_tokens: int
    output_tokens: int
    realtime_cost: Decimal
    batch_cost: Decimal
    blended_cost: Decimal
    savings: Decimal


class Projection(_Frozen):
    """Monthly requests, tokens and costs of one or more workloads, with yearly and grand totals."""

    start: date
    horizon: int
    """Number of months."""
    month_length: MonthLength
    pricing_version: str
    pricing_sha256: str
    pricing_checked: date
    """When the price table was last checked against its sources (its ``checked`` date)."""
    workloads: tuple[WorkloadProjection, ...]
    months: tuple[MonthTotal, ...]
    years: tuple[YearTotal, ...]
    requests: int
    input_tokens: int
    output_tokens: int
    realtime_cost: Decimal
    batch_cost: Decimal
    blended_cost: Decimal
    savings: Decimal
    warnings: tuple[str, ...] = ()

    @property
    def blended(self) -> bool:
        """Whether any workload sends only part of its requests through batch."""
        return any(w.batch_share is not None and w.batch_share != 1 for w in self.workloads)

    def to_frame(self, *, by_workload: bool = False) -> pd.DataFrame:
        """The months as a pandas DataFrame (money columns hold exact ``Decimal`` objects).

        Indexed by month (a monthly ``Period``); with ``by_workload`` by (workload, month), one row
        per workload and month.
        """
        import pandas as pd

        columns: dict[str, list[object]] = {}

        def add(key: str, value: object) -> None:
            columns.setdefault(key, []).append(value)

        if by_workload:
            names: list[str] = []
            periods: list[date] = []
            for w in self.workloads:
                for m in w.months:
                    names.append(w.name)
                    periods.append(m.month)
                    add("model", w.model)
                    for key in _FRAME_WORKLOAD_COLUMNS:
                        add(key, getattr(m, key))
            index: pd.Index = pd.MultiIndex.from_arrays(
                [names, pd.PeriodIndex(periods, freq="M")], names=["workload", "month"]
            )
        else:
            for t in self.months:
                for key in _FRAME_TOTAL_COLUMNS:
                    add(key, getattr(t, key))
                add("retired", bool(t.retired))
            index = pd.PeriodIndex([t.month for t in self.months], freq="M", name="month")
        return pd.DataFrame(columns, index=index)


_MONEY_COLUMNS = ("realtime_cost", "batch_cost", "blended_cost", "savings")
_FRAME_WORKLOAD_COLUMNS = (
    "days",
    "requests",
    "batch_requests",
    "input_tokens",
    "output_tokens",
    *_MONEY_COLUMNS,
    "retired",
)
_FRAME_TOTAL_COLUMNS = (
    "days",
    "requests",
    "input_tokens",
    "output_tokens",
    *_MONEY_COLUMNS,
    "cumulative_savings",
)


class Scenario(_Frozen):
    """One model in one mode, for every workload together."""

    rank: int
    """1 for the cheapest over the horizon."""
    model: str
    """Canonical id."""
    model_name: str
    requested_model: str
    """The name as given to ``compare``."""
    mode: ScenarioMode
    monthly_costs: tuple[Decimal, ...]
    """Cost of each month of the horizon."""
    total_cost: Decimal
    average_monthly_cost: Decimal
    """``total_cost ÷ months`` to 28 significant digits: the ranking key."""
    vs_cheapest_percent: Decimal
    """How much more than the cheapest scenario, in % (0 for the cheapest); 28 significant digits."""
    retired_months: int
    """Months in which the model is flagged retired."""


class Comparison(_Frozen):
    """The same workloads across models and modes, ranked by average monthly cost."""

    start: date
    horizon: int
    month_length: MonthLength
    pricing_version: str
    pricing_sha256: str
    pricing_checked: date
    """When the price table was last checked against its sources (its ``checked`` date)."""
    workloads: tuple[WorkloadSummary, ...]
    """The workloads priced together in every scenario (each on the scenario's model)."""
    modes: tuple[ScenarioMode, ...]
    scenarios: tuple[Scenario, ...]
    """Cheapest first."""
    warnings: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The ranked scenarios as a pandas DataFrame indexed by rank (money as ``Decimal`` objects)."""
        import pandas as pd

        index = pd.Index([s.rank for s in self.scenarios], name="rank")
        return pd.DataFrame(
            {
                "model": pd.Series([s.model for s in self.scenarios], index=index, dtype=object),
                "mode": pd.Series([s.mode for s in self.scenarios], index=index, dtype=object),
                "first_month_cost": pd.Series(
                    [s.monthly_costs[0] for s in self.scenarios], index=index, dtype=object
                ),
                "average_monthly_cost": pd.Series(
                    [s.average_monthly_cost for s in self.scenarios], index=index, dtype=object
                ),
                "total_cost": pd.Series([s.total_cost for s in self.scenarios], index=index, dtype=object),
                "vs_cheapest_percent": pd.Series(
                    [s.vs_cheapest_percent for s in self.scenarios], index=index, dtype=object
                ),
            }
        )
