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
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING, Literal, get_args

from pydantic import BaseModel, ConfigDict

from .cost import Mode, cost, today
from .errors import PriceNotAvailableError, UsageError
from .money import EXACT, PER_MTOK, PER_THOUSAND, plain
from .pricing import ModelInfo, PriceTable, load_pricing, resolve_model
from .usage import Usage
from .workload_spec import Workload

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "AVERAGE_MONTH_DAYS",
    "MAX_MONTHS",
    "Comparison",
    "MonthLength",
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

MonthLength = Literal["calendar", "average"]
ScenarioMode = Literal["realtime", "batch", "batch+cache", "hybrid"]
SCENARIO_MODES: tuple[ScenarioMode, ...] = get_args(ScenarioMode)

AVERAGE_MONTH_DAYS = Decimal("30.4375")
"""Days in an average month: 365.25 ÷ 12 (the Gregorian year is 365.2425 days; we use the Julian 365.25)."""

MAX_MONTHS = 1200
"""The longest horizon accepted (100 years)."""

_GROWTH = decimal.Context(prec=60, rounding=ROUND_HALF_EVEN)
"""Volumes and compounding: 60 significant digits, then rounded half-even to whole requests."""

_DAYS_PER_UNIT = {"day": Decimal(1), "week": Decimal(7)}


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


# --------------------------------------------------------------------------------------------------
# Months and volumes


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
        raise UsageError(f"start {value!r} is not a month; write YYYY-MM, e.g. 2026-12") from None


def month_starts(start: date, months: int) -> list[date]:
    """The first day of each of ``months`` months from ``start``'s month.

    >>> [d.isoformat() for d in month_starts(date(2026, 11, 1), 3)]
    ['2026-11-01', '2026-12-01', '2027-01-01']
    """
    first = start.year * 12 + start.month - 1
    return [date((first + k) // 12, (first + k) % 12 + 1, 1) for k in range(months)]


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _days(month: date, month_length: MonthLength) -> Decimal:
    if month_length == "average":
        return AVERAGE_MONTH_DAYS
    return Decimal((_next_month(month) - month).days)


def monthly_requests(
    workload: Workload, months: Sequence[date], month_length: MonthLength = "calendar"
) -> list[tuple[Decimal, int]]:
    """``(unrounded, rounded)`` requests of ``workload`` in each month: compounding, then half-even.

    >>> from claude_quote.usage import Usage
    >>> w = Workload(name="w", model="sonnet", usage=Usage(), requests=1_000, per="day", growth_percent=5)
    >>> monthly_requests(w, month_starts(date(2027, 2, 1), 3))
    [(Decimal('28000'), 28000), (Decimal('32550'), 32550), (Decimal('33075'), 33075)]
    """
    growth = _GROWTH.add(1, _GROWTH.divide(workload.growth_percent, 100))
    factor = Decimal(1)
    out: list[tuple[Decimal, int]] = []
    for month in months:
        if workload.per == "month":
            base = workload.requests
        else:
            days = _days(month, month_length)
            base = _GROWTH.divide(_GROWTH.multiply(workload.requests, days), _DAYS_PER_UNIT[workload.per])
        exact = _GROWTH.multiply(base, factor)
        out.append((plain(exact), int(exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN, context=_GROWTH))))
        factor = _GROWTH.multiply(factor, growth)
    return out


# --------------------------------------------------------------------------------------------------
# Results


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
        return cls(**_summary_fields(workload))


def _summary_fields(workload: Workload) -> dict[str, object]:
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
    months: tuple[WorkloadMonth, ...]
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


# --------------------------------------------------------------------------------------------------
# The engine: rates once per (workload, model, mode, price regime), then exact arithmetic per month

_Buckets = tuple[int, int, int, int, int, int]
"""input, cache_write_5m, cache_write_1h, cache_read, output, web searches."""
_Rates = tuple[Decimal, Decimal, Decimal, Decimal, Decimal, Decimal]
_KIND_INDEX = {
    "input": 0,
    "cache_write_5m": 1,
    "cache_write_1h": 2,
    "cache_read": 3,
    "output": 4,
    "web_search": 5,
}
_RateKind = Literal["realtime", "batch", "cached"]


def _buckets(usage: Usage) -> _Buckets:
    return (
        usage.input_tokens,
        usage.cache_write_5m_tokens,
        usage.cache_write_1h_tokens,
        usage.cache_read_tokens,
        usage.output_tokens,
        usage.web_search_requests,
    )


def _round_ratio(numerator: int, denominator: int) -> int:
    """``numerator ÷ denominator`` rounded half-even, in integers (both non-negative, denominator > 0)."""
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


def _scale(sample: _Buckets, requests: int, sample_requests: int) -> _Buckets:
    if sample_requests == 1:
        return (
            sample[0] * requests,
            sample[1] * requests,
            sample[2] * requests,
            sample[3] * requests,
            sample[4] * requests,
            sample[5] * requests,
        )
    i, w5, w1, r, o, s = (_round_ratio(b * requests, sample_requests) for b in sample)
    return (i, w5, w1, r, o, s)


def _part(tokens: _Buckets, part: int, whole: int) -> _Buckets:
    """The share ``part / whole`` of each bucket, half-even (so the two parts add up to the whole)."""
    if part == whole:
        return tokens
    if part == 0 or whole == 0:
        return (0, 0, 0, 0, 0, 0)
    i, w5, w1, r, o, s = (_round_ratio(b * part, whole) for b in tokens)
    return (i, w5, w1, r, o, s)


def _minus(a: _Buckets, b: _Buckets) -> _Buckets:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3], a[4] - b[4], a[5] - b[5])


def _cached(tokens: _Buckets, hit: tuple[int, int]) -> _Buckets:
    """Cacheable prompt split: ``hit`` of it read from the cache, the rest written to the 1-hour cache."""
    cacheable = tokens[1] + tokens[2] + tokens[3]
    reads = _round_ratio(cacheable * hit[0], hit[1])
    return (tokens[0], 0, cacheable - reads, reads, tokens[4], tokens[5])


def _amount(rates: _Rates, tokens: _Buckets) -> Decimal:
    """Exact cost of ``tokens`` at ``rates`` (per million tokens; web searches per thousand).

    Call it inside ``decimal.localcontext(EXACT)``: any rounding then raises instead of happening.
    """
    per_token = (
        rates[0] * tokens[0]
        + rates[1] * tokens[1]
        + rates[2] * tokens[2]
        + rates[3] * tokens[3]
        + rates[4] * tokens[4]
    )
    amount = per_token / PER_MTOK
    return amount + rates[5] * tokens[5] / PER_THOUSAND if tokens[5] else amount


@dataclass(frozen=True)
class _Priced:
    rates: _Rates
    effective_from: date
    tier: str | None
    uncertain: str | None


class _Engine:
    """Prices workloads month by month; caches rates per (workload, model, kind, price regime)."""

    def __init__(self, table: PriceTable) -> None:
        self.table = table
        self._rates: dict[tuple[int, str, _RateKind, tuple[date, bool, bool]], _Priced] = {}
        self._regimes: dict[tuple[str, date], tuple[date, bool, bool]] = {}
        self.warnings: list[str] = []

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    def priced(self, index: int, workload: Workload, info: ModelInfo, kind: _RateKind, at: date) -> _Priced:
        regime = self._regimes.get((info.id, at))
        if regime is None:
            regime = self._regimes[(info.id, at)] = self._regime(workload, info, at)
        key = (index, info.id, kind, regime)
        found = self._rates.get(key)
        if found is None:
            entry = info.price_at(at)
            assert entry is not None  # _regime checked
            found = self._rates[key] = self._probe(workload, info, kind, at, entry.uncertain)
        return found

    def _regime(self, workload: Workload, info: ModelInfo, at: date) -> tuple[date, bool, bool]:
        """What decides the rates on ``at``: the price entry, and whether batch and web search existed."""
        entry = info.price_at(at)
        if entry is None:
            month = _next_month(info.released) if info.released.day > 1 else info.released
            raise PriceNotAvailableError(
                f"workload {workload.name!r}: {info.id} was released on {info.released.isoformat()}; there is "
                f"no price for {at.isoformat()} (months are priced on their first day: start in "
                f"{month.isoformat()[:7]} or later)"
            )
        return (
            entry.effective_from,
            at >= self.table.batch.effective_from,
            at >= self.table.web_search.effective_from,
        )

    def _probe(
        self, workload: Workload, info: ModelInfo, kind: _RateKind, at: date, uncertain: str | None
    ) -> _Priced:
        usage, requests = workload.usage, workload.sample_requests
        mode: Mode = "realtime" if kind == "realtime" else "batch"
        if kind == "cached":
            # Two copies of the sample: one reads the whole cacheable prompt, one writes it to the
            # 1-hour cache. Every line then has a rate and each request's prompt is unchanged (tier).
            cacheable = workload.cacheable_tokens
            usage = Usage(
                input_tokens=2 * usage.input_tokens,
                cache_read_tokens=cacheable,
                cache_write_1h_tokens=cacheable,
                output_tokens=2 * usage.output_tokens,
                web_search_requests=2 * usage.web_search_requests,
            )
            requests *= 2
        try:
            priced = cost(usage, info, mode=mode, requests=requests, at=at, table=self.table)
        except PriceNotAvailableError as exc:
            raise PriceNotAvailableError(f"workload {workload.name!r}, {at.isoformat()[:7]}: {exc}") from None
        rates = [Decimal(0)] * 6
        tier = None
        for line in priced.lines:
            rates[_KIND_INDEX[line.kind]] = line.rate
            tier = tier or line.tier
        entry = info.price_at(at)
        assert entry is not None
        return _Priced(
            rates=(rates[0], rates[1], rates[2], rates[3], rates[4], rates[5]),
            effective_from=entry.effective_from,
            tier=tier,
            uncertain=uncertain,
        )

    def resolve(self, name: str, start: date) -> ModelInfo:
        return resolve_model(self.table, name, start)

    def check_model(self, workload: Workload, info: ModelInfo, months: Sequence[date]) -> None:
        """Warnings about the model over the horizon: retirement, and requests over its context window."""
        last_day = _next_month(months[-1]) - timedelta(days=1)
        if info.retired is not None and info.retired <= last_day:
            first = max(info.retired.replace(day=1), months[0])
            self.warn(
                f"{info.id} was retired on {info.retired.isoformat()}: the Claude API no longer serves it; "
                f"months from {first.isoformat()[:7]} are flagged retired and priced at its last list price"
            )
        elif info.retires_not_before is not None and info.retires_not_before <= last_day:
            self.warn(
                f"{info.id} may be retired from {info.retires_not_before.isoformat()} on (the earliest date "
                "Anthropic has committed to); the projection assumes it is still served"
            )
        total = Decimal(workload.usage.total_tokens) / workload.sample_requests
        window = info.context_window_at(months[0])
        if window is not None and total > window:
            self.warn(
                f"workload {workload.name!r}: {total:,.0f} tokens per request exceed {info.id}'s "
                f"{window:,}-token context window, so the API would reject such a request"
            )

    def note_rates(self, workload: Workload, info: ModelInfo, priced: _Priced) -> None:
        """Warnings about the rates used: marked UNCERTAIN, or a whole-request tier."""
        if priced.uncertain:
            self.warn(
                f"the {info.id} rates in effect from {priced.effective_from.isoformat()} are marked "
                f"UNCERTAIN in the price data: {priced.uncertain}"
            )
        if priced.tier:
            prompt = Decimal(workload.usage.prompt_tokens) / workload.sample_requests
            self.warn(
                f"workload {workload.name!r}: {prompt:,.0f} prompt tokens per request on {info.id} is in "
                f"the tier '{priced.tier}': every token of each request, output included, is billed at "
                "the tier's rates"
            )


@dataclass
class _MonthCosts:
    month: date
    requests: int
    batch_requests: int
    tokens: _Buckets
    realtime: Decimal
    batch: Decimal
    cached: Decimal
    blended: Decimal
    effective_from: date
    retired: bool


def _ratio(value: Decimal | None) -> tuple[int, int] | None:
    if value is None:
        return None
    numerator, denominator = value.as_integer_ratio()
    return numerator, denominator


def _price_months(
    engine: _Engine,
    index: int,
    workload: Workload,
    info: ModelInfo,
    months: Sequence[date],
    volumes: Sequence[tuple[Decimal, int]],
) -> list[_MonthCosts]:
    """Every month of one workload on one model: real time, batch, batch+cache and the blended plan."""
    sample = _buckets(workload.usage)
    hit = _ratio(workload.cache_hit_rate)
    share = Decimal(1) if workload.batch_share is None else workload.batch_share
    out: list[_MonthCosts] = []
    with decimal.localcontext(EXACT):
        for month, (_, requests) in zip(months, volumes, strict=True):
            out.append(_price_month(engine, index, workload, info, month, requests, sample, hit, share))
    return out


def _price_month(
    engine: _Engine,
    index: int,
    workload: Workload,
    info: ModelInfo,
    month: date,
    requests: int,
    sample: _Buckets,
    hit: tuple[int, int] | None,
    share: Decimal,
) -> _MonthCosts:
    """One month of one workload on one model (inside an EXACT context)."""
    realtime_rates = engine.priced(index, workload, info, "realtime", month)
    batch_rates = engine.priced(index, workload, info, "batch", month)
    engine.note_rates(workload, info, realtime_rates)
    tokens = _scale(sample, requests, workload.sample_requests)
    realtime = _amount(realtime_rates.rates, tokens)
    batch = _amount(batch_rates.rates, tokens)
    if hit is not None:
        cached_rates = engine.priced(index, workload, info, "cached", month)
        cached = _amount(cached_rates.rates, _cached(tokens, hit))
    else:
        cached_rates, cached = batch_rates, batch
    batch_requests = int((requests * share).quantize(Decimal(1), rounding=ROUND_HALF_EVEN, context=_GROWTH))
    if batch_requests == requests:
        blended = cached
    else:
        in_batch = _part(tokens, batch_requests, requests)
        batch_side = _cached(in_batch, hit) if hit is not None else in_batch
        blended = _amount(realtime_rates.rates, _minus(tokens, in_batch)) + _amount(
            cached_rates.rates, batch_side
        )
    return _MonthCosts(
        month=month,
        requests=requests,
        batch_requests=batch_requests,
        tokens=tokens,
        realtime=realtime,
        batch=batch,
        cached=cached,
        blended=blended,
        effective_from=realtime_rates.effective_from,
        retired=info.retired is not None and info.retired < _next_month(month),
    )


def _setup(
    workloads: Workload | Iterable[Workload],
    start: str | date | None,
    months: int,
    month_length: str,
    table: PriceTable | None,
) -> tuple[list[Workload], date, list[date], MonthLength, _Engine]:
    items = [workloads] if isinstance(workloads, Workload) else list(workloads)
    if not items:
        raise UsageError("no workloads to project")
    names = [w.name for w in items]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise UsageError(f"workload names must be unique; repeated: {', '.join(duplicates)}")
    if type(months) is not int or not 1 <= months <= MAX_MONTHS:
        raise UsageError(f"months must be a whole number from 1 to {MAX_MONTHS}, got {months!r}")
    if month_length not in ("calendar", "average"):
        raise UsageError(f"month_length must be 'calendar' or 'average', got {month_length!r}")
    length: MonthLength = "calendar" if month_length == "calendar" else "average"
    first = parse_month(start)
    return items, first, month_starts(first, months), length, _Engine(table or load_pricing())


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
    results: list[WorkloadProjection] = []
    for index, workload in enumerate(items):
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
        results.append(
            WorkloadProjection(
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
        )
    totals = _month_totals(results, starts, length)
    return Projection(
        start=first,
        horizon=len(starts),
        month_length=length,
        pricing_version=engine.table.version,
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


def _cache_warnings(engine: _Engine, workload: Workload, *, comparing: bool = False) -> None:
    batched = comparing or workload.batch_share is None or not workload.batch_share.is_zero()
    if batched and workload.cache_hit_rate is None and workload.usage.cache_read_tokens:
        engine.warn(
            f"workload {workload.name!r}: cache hits inside a batch are best-effort (Anthropic reports "
            "typically 30% to 98%); batch prices its cache reads as given: give a cache hit rate to "
            "price the misses as cache writes"
        )
    if workload.cache_hit_rate is not None and workload.cacheable_tokens == 0:
        engine.warn(
            f"workload {workload.name!r} has a cache hit rate but no cacheable prompt (cache read or "
            "cache write tokens), so batch with caching costs the same as batch"
        )


def _sum(values: Iterable[Decimal]) -> Decimal:
    """The exact sum, without trailing zeros (``209.25 + 219.7125 + 208.3725`` is ``637.335``)."""
    with decimal.localcontext(EXACT):
        return plain(sum(values, Decimal(0)))


def _sub(a: Decimal, b: Decimal) -> Decimal:
    with decimal.localcontext(EXACT):
        return plain(a - b)


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


# --------------------------------------------------------------------------------------------------
# What-if


def compare(
    workloads: Workload | Iterable[Workload],
    models: Sequence[str],
    *,
    modes: Sequence[ScenarioMode] | None = None,
    start: str | date | None = None,
    months: int = 12,
    month_length: MonthLength = "calendar",
    table: PriceTable | None = None,
) -> Comparison:
    """Price the same workloads on each of ``models`` in each mode, ranked by average monthly cost.

    Every workload's model is replaced by each model in turn (family names resolve to the newest
    model on the start date); volumes, growth and tokens per request stay the same. Modes:

    - ``realtime``: every request in real time;
    - ``batch``: every request through the Batch API, tokens as given;
    - ``batch+cache``: batch with each workload's ``cache_hit_rate`` (workloads without one keep
      their tokens as given);
    - ``hybrid``: ``batch_share`` of the requests in batch (with the cache hit rate, if any), the
      rest in real time (workloads without a share are all batch).

    By default: realtime and batch, plus batch+cache when a workload has a cache hit rate and hybrid
    when one has a batch share. Scenarios are ranked by their total over the horizon (the same order
    as the average month); a model the Batch API does not take has no batch scenarios (warned).
    """
    items, first, starts, length, engine = _setup(workloads, start, months, month_length, table)
    if not models:
        raise UsageError("compare needs at least one model")
    chosen = _modes(items, modes)
    infos: list[tuple[str, ModelInfo]] = []
    for name in models:
        info = engine.resolve(name, first)
        if info.id not in {i.id for _, i in infos}:
            infos.append((name, info))
    tokenizers = {info.tokenizer for _, info in infos}
    if len(tokenizers) > 1:
        engine.warn(
            "token counts are used as given for every model, but these models use different tokenizers ("
            + ", ".join(sorted(tokenizers))
            + "): the claude-4.7 tokenizer counts about 30% more tokens for the same text"
        )
    for workload in items:
        _cache_warnings(engine, workload, comparing=True)
    volumes = [monthly_requests(w, starts, length) for w in items]
    found: list[tuple[str, ModelInfo, ScenarioMode, list[Decimal], int]] = []
    for requested, info in infos:
        per_mode: dict[ScenarioMode, list[Decimal]] = {mode: [Decimal(0)] * len(starts) for mode in chosen}
        modes_here = list(chosen)
        if not info.batch:
            engine.warn(f"{info.id} is not available in the Message Batches API: only real time is compared")
            modes_here = [m for m in chosen if m == "realtime"]
        retired_months = 0
        for index, workload in enumerate(items):
            engine.check_model(workload, info, starts)
            if not info.batch:
                costs = _realtime_only(engine, index, workload, info, starts, volumes[index])
            else:
                costs = _price_months(engine, index, workload, info, starts, volumes[index])
            with decimal.localcontext(EXACT):
                for k, c in enumerate(costs):
                    for mode in modes_here:
                        per_mode[mode][k] += _mode_cost(c, mode)
            retired_months = max(retired_months, sum(c.retired for c in costs))
        for mode in modes_here:
            found.append((requested, info, mode, per_mode[mode], retired_months))
    return Comparison(
        start=first,
        horizon=len(starts),
        month_length=length,
        pricing_version=engine.table.version,
        pricing_sha256=engine.table.sha256,
        workloads=tuple(WorkloadSummary.of(w) for w in items),
        modes=tuple(chosen),
        scenarios=_rank(found),
        warnings=tuple(engine.warnings),
    )


def _modes(items: Sequence[Workload], modes: Sequence[ScenarioMode] | None) -> list[ScenarioMode]:
    has_hit = any(w.cache_hit_rate is not None for w in items)
    has_share = any(w.batch_share is not None for w in items)
    if modes is None:
        chosen: list[ScenarioMode] = ["realtime", "batch"]
        if has_hit:
            chosen.append("batch+cache")
        if has_share:
            chosen.append("hybrid")
        return chosen
    out: list[ScenarioMode] = []
    for mode in modes:
        if mode not in SCENARIO_MODES:
            raise UsageError(f"unknown mode {mode!r}; choose from {', '.join(SCENARIO_MODES)}")
        if mode == "batch+cache" and not has_hit:
            raise UsageError("mode 'batch+cache' needs a cache hit rate (--cache-hit-rate / cache_hit_rate)")
        if mode not in out:
            out.append(mode)
    if not out:
        raise UsageError("compare needs at least one mode")
    return out


def _mode_cost(costs: _MonthCosts, mode: ScenarioMode) -> Decimal:
    if mode == "realtime":
        return costs.realtime
    if mode == "batch":
        return costs.batch
    if mode == "batch+cache":
        return costs.cached
    return costs.blended


def _realtime_only(
    engine: _Engine,
    index: int,
    workload: Workload,
    info: ModelInfo,
    starts: Sequence[date],
    volumes: Sequence[tuple[Decimal, int]],
) -> list[_MonthCosts]:
    sample = _buckets(workload.usage)
    out = []
    for month, (_, requests) in zip(starts, volumes, strict=True):
        priced = engine.priced(index, workload, info, "realtime", month)
        engine.note_rates(workload, info, priced)
        tokens = _scale(sample, requests, workload.sample_requests)
        with decimal.localcontext(EXACT):
            amount = _amount(priced.rates, tokens)
        out.append(
            _MonthCosts(
                month=month,
                requests=requests,
                batch_requests=0,
                tokens=tokens,
                realtime=amount,
                batch=amount,
                cached=amount,
                blended=amount,
                effective_from=priced.effective_from,
                retired=info.retired is not None and info.retired < _next_month(month),
            )
        )
    return out


def _rank(found: Sequence[tuple[str, ModelInfo, ScenarioMode, list[Decimal], int]]) -> tuple[Scenario, ...]:
    totals = [_sum(monthly) for _, _, _, monthly, _ in found]
    order = sorted(range(len(found)), key=lambda i: (totals[i], i))
    cheapest = totals[order[0]] if order else Decimal(0)
    out = []
    for rank, i in enumerate(order, start=1):
        requested, info, mode, monthly, retired = found[i]
        with decimal.localcontext(prec=28):
            average = plain(totals[i] / len(monthly))
            above = Decimal(0) if cheapest.is_zero() else plain((totals[i] - cheapest) * 100 / cheapest)
        out.append(
            Scenario(
                rank=rank,
                model=info.id,
                model_name=info.name,
                requested_model=requested,
                mode=mode,
                monthly_costs=tuple(plain(m) for m in monthly),
                total_cost=totals[i],
                average_monthly_cost=average,
                vs_cheapest_percent=above,
                retired_months=retired,
            )
        )
    return tuple(out)
