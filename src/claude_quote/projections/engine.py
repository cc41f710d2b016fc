"""The engine that prices workloads month by month: rates found once per (workload, model, kind, price
regime) with :func:`~claude_quote.cost.cost`, then exact arithmetic per month for real time, batch,
batch with caching and the blended plan; the warnings about models and rates; and the option checks
:func:`~claude_quote.projections.project` and :func:`~claude_quote.projections.compare` share.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal

from claude_quote.cost import Mode, cost
from claude_quote.errors import PriceNotAvailableError, UsageError
from claude_quote.money import EXACT
from claude_quote.pricing import ModelInfo, PriceTable, load_pricing, resolve_model
from claude_quote.usage import Usage
from claude_quote.workload_spec import Workload

from .arithmetic import _KIND_INDEX, _amount, _Buckets, _buckets, _cached, _minus, _part, _Rates, _scale
from .months import _GROWTH, MAX_MONTHS, MonthLength, _next_month, month_starts, parse_month

_RateKind = Literal["realtime", "batch", "cached"]


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
