"""Pricing workloads month by month: each month's rate card (model, price entry, mode, modifiers) and
the tier of the workload's average request come from the pricing engine once per price regime, then
each month's tokens are priced through the engine for real time, batch, batch with caching and the
blended plan; the warnings about models and rates; and the option checks
:func:`~claude_quote.projections.project` and :func:`~claude_quote.projections.compare` share.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal

from claude_quote.engine import Engine, Modifiers, RateCard, card_notes, engine_for
from claude_quote.errors import ClaudeQuoteError, PriceNotAvailableError, UsageError
from claude_quote.money import EXACT
from claude_quote.pricing import ModelInfo, PriceTable
from claude_quote.workload_spec import Workload

from .arithmetic import _Buckets, _buckets, _cached, _minus, _part, _scale
from .months import _GROWTH, MAX_MONTHS, MonthLength, _next_month, month_starts, parse_month

_RateKind = Literal["realtime", "batch"]


@dataclass(frozen=True)
class _Priced:
    """A month's card for one workload and kind, and the tier of the workload's average request."""

    card: RateCard
    tier: int

    @property
    def effective_from(self) -> date:
        return self.card.effective_from


class _Engine:
    """Prices workloads month by month through the pricing engine (cards found once per regime)."""

    def __init__(self, table: PriceTable | None) -> None:
        self.pricing: Engine = engine_for(table)
        self.table = self.pricing.table
        self._priced: dict[tuple[int, str, _RateKind, date], _Priced] = {}
        self.warnings: list[str] = []

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    def modifiers(self, workload: Workload) -> Modifiers:
        return Modifiers("realtime", workload.geo, "fast" if workload.fast else "standard")

    def batchable(self, workload: Workload, info: ModelInfo, at: date) -> bool:
        """Whether the Batch API can run the workload's requests on ``at``."""
        return self.pricing.batchable(info, at, self.modifiers(workload))

    def priced(self, index: int, workload: Workload, info: ModelInfo, kind: _RateKind, at: date) -> _Priced:
        key = (index, info.id, kind, at)
        found = self._priced.get(key)
        if found is None:
            mods = self.modifiers(workload).with_mode(kind)
            try:
                card = self.pricing.card(info, at, mods)
            except PriceNotAvailableError as exc:
                if info.price_at(at) is None:
                    raise PriceNotAvailableError(self._not_released(workload, info, at)) from None
                raise PriceNotAvailableError(
                    f"workload {workload.name!r}, {at.isoformat()[:7]}: {exc}"
                ) from None
            except ClaudeQuoteError as exc:
                raise UsageError(f"workload {workload.name!r}: {exc}") from None
            tier = card.tier_of_total(workload.usage.prompt_tokens, workload.sample_requests)
            found = self._priced[key] = _Priced(card, tier)
        return found

    def _not_released(self, workload: Workload, info: ModelInfo, at: date) -> str:
        month = _next_month(info.released) if info.released.day > 1 else info.released
        return (
            f"workload {workload.name!r}: {info.id} was released on {info.released.isoformat()}; there is "
            f"no price for {at.isoformat()} (months are priced on their first day: start in "
            f"{month.isoformat()[:7]} or later)"
        )

    def amount(self, priced: _Priced, tokens: _Buckets) -> Decimal:
        """The exact cost of ``tokens`` (a month of the workload) at the workload's tier."""
        return self.pricing.amount(tokens, priced.card, priced.tier)

    def resolve(self, name: str, start: date) -> ModelInfo:
        return self.pricing.model(name, start)

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

    def note_rates(self, workload: Workload, priced: _Priced) -> None:
        """Warnings about the rates used: marked UNCERTAIN, withdrawn fast mode, or a whole-request tier."""
        for note in card_notes(priced.card, lifecycle=False):
            self.warn(note)
        if priced.tier:
            prompt = Decimal(workload.usage.prompt_tokens) / workload.sample_requests
            label = priced.card.tier_label(priced.tier)
            self.warn(
                f"workload {workload.name!r}: {prompt:,.0f} prompt tokens per request on "
                f"{priced.card.model.id} is in the tier '{label}': every token of each request, output "
                "included, is billed at the tier's rates"
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
    """Every month of one workload on one model: real time, batch, batch+cache and the blended plan.

    A workload the Batch API cannot run (the model, or fast mode) costs its real-time price in every
    column, with a warning.
    """
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
    engine.note_rates(workload, realtime_rates)
    tokens = _scale(sample, requests, workload.sample_requests)
    realtime = engine.amount(realtime_rates, tokens)
    retired = info.retired is not None and info.retired < _next_month(month)
    if not engine.batchable(workload, info, month):
        engine.warn(_not_batchable(workload, info))
        return _MonthCosts(
            month,
            requests,
            0,
            tokens,
            realtime,
            realtime,
            realtime,
            realtime,
            realtime_rates.effective_from,
            retired,
        )
    batch_rates = engine.priced(index, workload, info, "batch", month)
    batch = engine.amount(batch_rates, tokens)
    cached = batch if hit is None else engine.amount(batch_rates, _cached(tokens, hit))
    batch_requests = int((requests * share).quantize(Decimal(1), rounding=ROUND_HALF_EVEN, context=_GROWTH))
    if batch_requests == requests:
        blended = cached
    else:
        in_batch = _part(tokens, batch_requests, requests)
        batch_side = _cached(in_batch, hit) if hit is not None else in_batch
        blended = engine.amount(realtime_rates, _minus(tokens, in_batch)) + engine.amount(
            batch_rates, batch_side
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
        retired=retired,
    )


def _not_batchable(workload: Workload, info: ModelInfo) -> str:
    if workload.fast:
        return (
            f"workload {workload.name!r} runs in fast mode, which the Batch API does not offer: its batch "
            "figures are its real-time cost"
        )
    return f"{info.id} is not available in the Message Batches API: only real time is priced"


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
    return items, first, month_starts(first, months), length, _Engine(table)


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
