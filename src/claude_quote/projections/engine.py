"""Pricing workloads month by month: each month's rate card (model, price entry, mode, modifiers) and
the tier of the workload's average request come from the pricing engine once per price regime, then
each month's tokens are priced through the engine for real time, batch, batch with caching and the
blended plan; the warnings about models and rates; and the option checks
:func:`~claude_quote.projections.project` and :func:`~claude_quote.projections.compare` share.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Literal

from claude_quote.engine import Engine, Modifiers, RateCard, card_notes, engine_for
from claude_quote.errors import ClaudeQuoteError, PriceNotAvailableError, UsageError
from claude_quote.money import EXACT
from claude_quote.pricing import ModelInfo, PriceTable
from claude_quote.workload_spec import Workload

from .arithmetic import TokenBuckets, minus, round_ratio, scaled, share_of, token_buckets, with_cache_hits
from .months import GROWTH_CONTEXT, MAX_MONTHS, MonthLength, month_starts, next_month, parse_month

_RateKind = Literal["realtime", "batch"]
_EXACT_BITS = 199
"""Integers below ``2^199`` have at most 60 digits (the EXACT context's)."""


@dataclass(frozen=True, slots=True)
class _Priced:
    """A month's card for one workload and kind, and the tier of the workload's average request."""

    card: RateCard
    tier: int

    @property
    def effective_from(self) -> date:
        return self.card.effective_from


@dataclass(frozen=True, slots=True)
class _Run:
    """Consecutive months (``start`` to ``stop``) that one model, run one way, prices alike: the same
    rates, tiers, notes and batch availability. A card that cannot be made is kept as its error."""

    start: int
    stop: int
    realtime: RateCard | ClaudeQuoteError
    batchable: bool
    batch: RateCard | ClaudeQuoteError | None
    """None when the requests cannot go through the Batch API."""


def _prices_alike(card: RateCard) -> tuple[object, ...]:
    return (
        card.speed,
        card.effective_from,
        card.thresholds,
        card.rates,
        card.web_search,
        card.uncertain,
        card.notes,
    )


class MonthPricer:
    """Prices workloads month by month through the pricing engine (cards found once per run of
    months that price alike, and shared by every workload on the same model run the same way)."""

    def __init__(self, table: PriceTable | None, starts: Sequence[date] = ()) -> None:
        self.pricing: Engine = engine_for(table)
        self.table = self.pricing.table
        self.starts = list(starts)
        self._runs: dict[tuple[str, Modifiers], list[_Run]] = {}
        self.warnings: list[str] = []

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    def modifiers(self, workload: Workload) -> Modifiers:
        return Modifiers("realtime", workload.geo, "fast" if workload.fast else "standard")

    def runs(self, info: ModelInfo, mods: Modifiers) -> list[_Run]:
        """The runs of months of ``info`` run with ``mods`` over the horizon (made once)."""
        key = (info.id, mods)
        found = self._runs.get(key)
        if found is None:
            found = self._runs[key] = self._make_runs(info, mods)
        return found

    def _make_runs(self, info: ModelInfo, mods: Modifiers) -> list[_Run]:
        runs: list[_Run] = []
        previous: tuple[object, ...] | None = None
        for k, month in enumerate(self.starts):
            realtime: RateCard | ClaudeQuoteError
            batch: RateCard | ClaudeQuoteError | None = None
            try:
                realtime = self.pricing.card(info, month, mods)
            except ClaudeQuoteError as exc:
                realtime = exc
            batchable = self.pricing.batchable(info, month, mods)
            if batchable:
                try:
                    batch = self.pricing.card(info, month, mods.with_mode("batch"))
                except ClaudeQuoteError as exc:
                    batch = exc
            alike = (
                None
                if isinstance(realtime, ClaudeQuoteError) or isinstance(batch, ClaudeQuoteError)
                else (_prices_alike(realtime), batchable, None if batch is None else _prices_alike(batch))
            )
            if alike is not None and alike == previous:
                last = runs[-1]
                runs[-1] = _Run(last.start, k + 1, last.realtime, last.batchable, last.batch)
            else:
                runs.append(_Run(k, k + 1, realtime, batchable, batch))
            previous = alike
        return runs

    def priced(
        self, workload: Workload, info: ModelInfo, card: RateCard | ClaudeQuoteError, at: date
    ) -> _Priced:
        """The card of a month for ``workload`` and its tier; a card that could not be made raises,
        naming the workload and the month."""
        if isinstance(card, PriceNotAvailableError):
            if info.price_at(at) is None:
                raise PriceNotAvailableError(self._not_released(workload, info, at)) from None
            raise PriceNotAvailableError(
                f"workload {workload.name!r}, {at.isoformat()[:7]}: {card}"
            ) from None
        if isinstance(card, ClaudeQuoteError):
            raise UsageError(f"workload {workload.name!r}: {card}") from None
        return _Priced(card, card.tier_of_total(workload.usage.prompt_tokens, workload.sample_requests))

    def _not_released(self, workload: Workload, info: ModelInfo, at: date) -> str:
        month = next_month(info.released) if info.released.day > 1 else info.released
        return (
            f"workload {workload.name!r}: {info.id} was released on {info.released.isoformat()}; there is "
            f"no price for {at.isoformat()} (months are priced on their first day: start in "
            f"{month.isoformat()[:7]} or later)"
        )

    def units(self, priced: _Priced, tokens: TokenBuckets) -> int | None:
        """The exact cost of ``tokens`` (a month of the workload) at the workload's tier, in units of
        ``10^card.unit_exponent`` dollars (None: only the Decimal way can say, see :meth:`amount`)."""
        return self.pricing.units(tokens, priced.card, priced.tier)

    def amount(self, priced: _Priced, tokens: TokenBuckets) -> Decimal:
        """The exact cost of ``tokens`` (a month of the workload) at the workload's tier."""
        return self.pricing.amount(tokens, priced.card, priced.tier)

    def resolve(self, name: str, start: date) -> ModelInfo:
        return self.pricing.model(name, start)

    def check_model(self, workload: Workload, info: ModelInfo, months: Sequence[date]) -> None:
        """Warnings about the model over the horizon: retirement, and requests over its context window."""
        last_day = next_month(months[-1]) - timedelta(days=1)
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


MonthRow = tuple[int, Decimal, int, int, int, int, int, int, int, int, int, date, bool]
"""One month of one workload, as :func:`month_rows` yields it: (month index, requests unrounded,
requests, batch requests, input tokens, output tokens, then the costs in units of ``10^exponent``
dollars: real time, batch, batch with caching, blended; then the exponent, the start of the price
entry, retired)."""


def month_rows(
    engine: MonthPricer,
    workload: Workload,
    info: ModelInfo,
    volumes: Sequence[tuple[Decimal, int]],
    *,
    warn: bool = True,
) -> Iterator[MonthRow]:
    """Every month of one workload on one model: real time, batch, batch+cache and the blended plan.

    A workload the Batch API cannot run (the model, or fast mode) costs its real-time price in every
    column, with a warning. Months that price alike (a run) share their cards and tiers, so a month is
    integer arithmetic on the engine's amounts in units (:meth:`~claude_quote.engine.Engine.units`):
    a month of ``n`` requests of one shape costs ``n`` times one request (amounts are linear in the
    tokens, exactly). ``warn=False`` reads the months again, quietly.
    """
    starts = engine.starts
    sample = token_buckets(workload.usage)
    hit = _ratio(workload.cache_hit_rate)
    share = Decimal(1) if workload.batch_share is None else workload.batch_share
    retired_from = _retired_from(info, starts)
    for run in engine.runs(info, engine.modifiers(workload)):
        month = starts[run.start]
        realtime = engine.priced(workload, info, run.realtime, month)
        if warn:
            engine.note_rates(workload, realtime)
        batch = None
        if not run.batchable:
            if warn:
                engine.warn(_not_batchable(workload, info))
        else:
            assert run.batch is not None
            batch = engine.priced(workload, info, run.batch, month)
        month_of = _MonthOf(engine, workload, sample, hit, share, realtime, batch, retired_from)
        linear = month_of.linear() if workload.sample_requests == 1 else None
        if linear is None:
            for k in range(run.start, run.stop):
                yield month_of.month(k, *volumes[k])
        else:
            yield from month_of.months(linear, volumes, run.start, run.stop)


_Linear = tuple[int, int, int, int, int, int, int, int, int]
"""One request's amounts in units, for months of requests of one shape (see :meth:`_MonthOf.linear`):
real time, batch, batch without its cacheable prompt, the cacheable prompt's 1-hour write and read
rates (batch), cacheable prompt tokens, prompt tokens, output tokens, and the most requests whose
amounts stay under 60 digits."""


class _MonthOf:
    """The months of one workload in one run of months: its cards, tiers and amounts."""

    def __init__(
        self,
        engine: MonthPricer,
        workload: Workload,
        sample: TokenBuckets,
        hit: tuple[int, int] | None,
        share: Decimal,
        realtime: _Priced,
        batch: _Priced | None,
        retired_from: int,
    ) -> None:
        self.engine, self.workload, self.sample, self.hit, self.share = engine, workload, sample, hit, share
        self.realtime, self.batch, self.retired_from = realtime, batch, retired_from
        rt_exponent = realtime.card.unit_exponent
        self.exponent = rt_exponent if batch is None else min(rt_exponent, batch.card.unit_exponent)
        self.rt_scale = 10 ** (rt_exponent - self.exponent)
        self.b_scale = 1 if batch is None else 10 ** (batch.card.unit_exponent - self.exponent)
        self.effective_from = realtime.effective_from
        self.month: Callable[[int, Decimal, int], MonthRow] = (
            self._realtime_month if batch is None else self._batch_month
        )
        """One month, any workload: its tokens priced by the engine (chosen once, not each month)."""

    def linear(self) -> _Linear | None:
        """One request's amounts (None when a price is missing: then each month the Decimal way)."""
        engine, s = self.engine, self.sample
        rt = engine.units(self.realtime, s)
        if rt is None:
            return None
        batch = rest = write = read = 0
        cacheable = s[1] + s[2] + s[3]
        if self.batch is not None:
            found = [
                engine.units(self.batch, b)
                for b in (s, (s[0], 0, 0, 0, s[4], s[5]), (0, 0, 1, 0, 0, 0), (0, 0, 0, 1, 0, 0))
            ]
            if found[0] is None or found[1] is None:
                return None
            batch, rest = found[0], found[1]
            if self.hit is not None and cacheable:
                if found[2] is None or found[3] is None:
                    return None
                write, read = found[2], found[3]
        most = max(rt * self.rt_scale, (batch + (rest + max(write, read) * cacheable)) * self.b_scale, 1)
        return (
            rt,
            batch,
            rest,
            write,
            read,
            cacheable,
            s[0] + cacheable,
            s[4],
            (1 << _EXACT_BITS - 1) // most,
        )

    def months(
        self, linear: _Linear, volumes: Sequence[tuple[Decimal, int]], start: int, stop: int
    ) -> Iterator[MonthRow]:
        """Months of requests of one shape: each amount is requests × one request's (integers)."""
        if self.batch is None:
            return self._realtime_months(linear, volumes, start, stop)
        return self._batch_months(linear, volumes, start, stop)

    def _realtime_months(
        self, linear: _Linear, volumes: Sequence[tuple[Decimal, int]], start: int, stop: int
    ) -> Iterator[MonthRow]:
        """:meth:`months` of a workload the Batch API cannot run: real time in every column."""
        rt_unit, _, _, _, _, _, prompt, output, most = linear
        rt_scale, exponent, effective = self.rt_scale, self.exponent, self.effective_from
        retired_from, month = self.retired_from, self.month
        for k in range(start, stop):
            exact, n = volumes[k]
            if n > most:
                yield month(k, exact, n)
                continue
            rt = n * rt_unit * rt_scale
            yield (
                k,
                exact,
                n,
                0,
                n * prompt,
                n * output,
                rt,
                rt,
                rt,
                rt,
                exponent,
                effective,
                k >= retired_from,
            )

    def _batch_months(
        self, linear: _Linear, volumes: Sequence[tuple[Decimal, int]], start: int, stop: int
    ) -> Iterator[MonthRow]:
        """:meth:`months` with the Batch API: batch, batch with cache hits, and the blend of ``share``."""
        rt_unit, batch_unit, rest_unit, write, read, cacheable, prompt, output, most = linear
        rt_scale, b_scale, exponent, effective = (
            self.rt_scale,
            self.b_scale,
            self.exponent,
            self.effective_from,
        )
        retired_from, hit, share, month = self.retired_from, self.hit, self.share, self.month
        whole = share == 1
        for k in range(start, stop):
            exact, n = volumes[k]
            if n > most:
                yield month(k, exact, n)
                continue
            rt = n * rt_unit * rt_scale
            batch = n * batch_unit
            if hit is None:
                cached = batch
            else:
                c = n * cacheable
                reads = round_ratio(c * hit[0], hit[1])
                cached = n * rest_unit + write * (c - reads) + read * reads
            in_batch = n if whole and n.bit_length() < _EXACT_BITS else _batch_requests(n, share)
            if in_batch == n:
                blended = cached * b_scale
            else:
                if hit is None:
                    side = in_batch * batch_unit
                else:
                    c = in_batch * cacheable
                    reads = round_ratio(c * hit[0], hit[1])
                    side = in_batch * rest_unit + write * (c - reads) + read * reads
                blended = (n - in_batch) * rt_unit * rt_scale + side * b_scale
            yield (
                k,
                exact,
                n,
                in_batch,
                n * prompt,
                n * output,
                rt,
                batch * b_scale,
                cached * b_scale,
                blended,
                exponent,
                effective,
                k >= retired_from,
            )

    def _realtime_month(self, k: int, exact: Decimal, requests: int) -> MonthRow:
        """:meth:`month` of a workload the Batch API cannot run: real time in every column."""
        tokens = scaled(self.sample, requests, self.workload.sample_requests)
        rt = self.engine.units(self.realtime, tokens)
        if rt is None:
            return self._decimal(k, exact, requests, tokens)
        rt *= self.rt_scale
        prompt = tokens[0] + tokens[1] + tokens[2] + tokens[3]
        retired = k >= self.retired_from
        return (
            k,
            exact,
            requests,
            0,
            prompt,
            tokens[4],
            rt,
            rt,
            rt,
            rt,
            self.exponent,
            self.effective_from,
            retired,
        )

    def _batch_month(self, k: int, exact: Decimal, requests: int) -> MonthRow:
        """:meth:`month` with the Batch API: its tokens priced by the engine (Decimal where it must)."""
        engine, realtime, batch, hit = self.engine, self.realtime, self.batch, self.hit
        assert batch is not None
        tokens = scaled(self.sample, requests, self.workload.sample_requests)
        rt = engine.units(realtime, tokens)
        plain_batch = engine.units(batch, tokens)
        cached = plain_batch if hit is None else engine.units(batch, with_cache_hits(tokens, hit))
        in_batch = _batch_requests(requests, self.share)
        if in_batch == requests:
            blended = None if cached is None else cached * self.b_scale
        else:
            part = share_of(tokens, in_batch, requests)
            rest = engine.units(realtime, minus(tokens, part))
            side = engine.units(batch, with_cache_hits(part, hit) if hit is not None else part)
            blended = None if rest is None or side is None else rest * self.rt_scale + side * self.b_scale
        if rt is None or plain_batch is None or cached is None or blended is None:
            return self._decimal(k, exact, requests, tokens)
        return (
            k,
            exact,
            requests,
            in_batch,
            tokens[0] + tokens[1] + tokens[2] + tokens[3],
            tokens[4],
            rt * self.rt_scale,
            plain_batch * self.b_scale,
            cached * self.b_scale,
            blended,
            self.exponent,
            self.effective_from,
            k >= self.retired_from,
        )

    def _decimal(self, k: int, exact: Decimal, requests: int, tokens: TokenBuckets) -> MonthRow:
        """A month the integer way cannot price (a rate missing, or more than 60 digits): priced in
        Decimal, which raises as it always did (a missing price, ``decimal.Inexact``)."""
        engine, realtime, batch, hit = self.engine, self.realtime, self.batch, self.hit
        with decimal.localcontext(EXACT):
            rt = engine.amount(realtime, tokens)
            prompt = tokens[0] + tokens[1] + tokens[2] + tokens[3]
            if batch is None:
                costs = [rt, rt, rt, rt]
                in_batch = 0
            else:
                plain_batch = engine.amount(batch, tokens)
                cached = plain_batch if hit is None else engine.amount(batch, with_cache_hits(tokens, hit))
                in_batch = _batch_requests(requests, self.share)
                if in_batch == requests:
                    blended = cached
                else:
                    part = share_of(tokens, in_batch, requests)
                    side = with_cache_hits(part, hit) if hit is not None else part
                    blended = engine.amount(realtime, minus(tokens, part)) + engine.amount(batch, side)
                costs = [rt, plain_batch, cached, blended]
            units = [int(c.scaleb(-self.exponent)) for c in costs]
        return (
            k,
            exact,
            requests,
            in_batch,
            prompt,
            tokens[4],
            units[0],
            units[1],
            units[2],
            units[3],
            self.exponent,
            self.effective_from,
            k >= self.retired_from,
        )


def _batch_requests(requests: int, share: Decimal) -> int:
    """``requests × share`` rounded half-even (computed at 60 digits, like the volumes)."""
    if share == 1 and requests.bit_length() < _EXACT_BITS:  # fewer than 60 digits: the product is exact
        return requests
    return int((requests * share).quantize(Decimal(1), rounding=ROUND_HALF_EVEN, context=GROWTH_CONTEXT))


def _retired_from(info: ModelInfo, starts: Sequence[date]) -> int:
    """The first month flagged retired (the model is retired on or before its last day)."""
    if info.retired is None:
        return len(starts)
    for k, month in enumerate(starts):
        if info.retired < next_month(month):
            return k
    return len(starts)


def _ratio(value: Decimal | None) -> tuple[int, int] | None:
    if value is None:
        return None
    numerator, denominator = value.as_integer_ratio()
    return numerator, denominator


def _not_batchable(workload: Workload, info: ModelInfo) -> str:
    if workload.fast:
        return (
            f"workload {workload.name!r} runs in fast mode, which the Batch API does not offer: its batch "
            "figures are its real-time cost"
        )
    return f"{info.id} is not available in the Message Batches API: only real time is priced"


def setup_projection(
    workloads: Workload | Iterable[Workload],
    start: str | date | None,
    months: int,
    month_length: str,
    table: PriceTable | None,
) -> tuple[list[Workload], date, list[date], MonthLength, MonthPricer]:
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
    starts = month_starts(first, months)
    return items, first, starts, length, MonthPricer(table, starts)


def cache_warnings(engine: MonthPricer, workload: Workload, *, comparing: bool = False) -> None:
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
