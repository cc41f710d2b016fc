"""The pricing engine: the one place that knows how Anthropic bills a request.

Every dollar figure claude-quote shows — ``price``, ``estimate``, ``plan``, ``reconcile`` (results and
Admin exports), ``calibrate``, ``project`` and ``check`` — comes from here. No other module computes a
rate, chooses a tier or multiplies an amount. The rules:

- **Dated rates.** A model's rates on a day are its latest price entry on or before that day
  (:meth:`~claude_quote.pricing.ModelInfo.price_at`); a day before the first entry has no price.
- **Amounts** are ``rate_per_mtok × tokens ÷ 1,000,000`` (web searches: per thousand), exact
  Decimals; nothing is rounded here.
- **Tiers** are chosen per request from its prompt (uncached input + cache writes + cache reads) and
  reprice every token of that request, output included (:meth:`RateCard.tier`).
- **Batch** multiplies every token line by the table's batch factor (0.5), cache lines included; it
  stacks with data residency. Web search fees are not discounted (undocumented).
- **Data residency**: ``inference_geo: "us"`` multiplies every token line (×1.1) on models that accept
  it, from the day it was offered; other models refuse it.
- **Fast mode** (``speed: "fast"``) uses the model's fast-mode rates, never in batch. After a model's
  fast mode was withdrawn, a fast request is refused — or, where Anthropic said so
  (``fast_mode_after_removal = "standard"``), runs and bills at standard rates, with a note.

What a request used goes in as a :class:`~claude_quote.usage.Usage` (or its six integer buckets), how it
ran as :class:`Modifiers`; a :class:`RateCard` holds everything that prices one model on one day in one
way, and :class:`Engine` finds (and remembers) cards. :class:`Ledger` sums many requests by what decides
their price — (model, price entry, tier, modifiers) — and prices each group once, which is exact:
every request of a group is billed at the same rates.

>>> from datetime import date
>>> from claude_quote.usage import Usage
>>> engine = Engine()
>>> card = engine.card("sonnet-4.6", date(2026, 11, 25), Modifiers(mode="batch"))
>>> engine.cost(Usage(input_tokens=5_000_000, output_tokens=2_000_000), card).total  # $7.50 + $15
Decimal('22.5')
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import compress, islice
from operator import add, attrgetter
from typing import Literal, cast, get_args

from pydantic import BaseModel, ConfigDict, computed_field

from .errors import PriceNotAvailableError, UsageError
from .money import EXACT, PER_MTOK, PER_THOUSAND, from_units, plain
from .pricing import ModelInfo, PriceEntry, PriceTable, Rates, load_pricing, resolve_model
from .usage import BUCKETS, Usage

__all__ = [
    "LINE_KINDS",
    "STANDARD",
    "Buckets",
    "Cost",
    "CostLine",
    "Engine",
    "Geo",
    "Ledger",
    "LedgerGroup",
    "LineKind",
    "Mode",
    "Modifiers",
    "RateCard",
    "Savings",
    "Speed",
    "card_notes",
    "engine_for",
    "percent_of",
    "today",
]

Mode = Literal["realtime", "batch"]
"""``realtime`` (the Messages API) or ``batch`` (the Message Batches API)."""
Geo = Literal["global", "us"]
"""Where inference runs: ``global`` (the default) or ``us`` (US-only, ``inference_geo: "us"``)."""
Speed = Literal["standard", "fast"]
"""``standard``, or ``fast`` (``speed: "fast"``, fast-mode rates)."""
LineKind = Literal["input", "cache_write_5m", "cache_write_1h", "cache_read", "output", "web_search"]
"""A billed line: one of the usage buckets."""

LINE_KINDS: tuple[LineKind, ...] = get_args(LineKind)
"""The line kinds in the order of :data:`claude_quote.usage.BUCKETS` (and of reports)."""

Buckets = tuple[int, int, int, int, int, int]
"""A usage as six integers, in the order of :data:`claude_quote.usage.BUCKETS`."""

_RATE_KEYS = tuple(f"{kind}_per_mtok" for kind in LINE_KINDS[:5])
_LABELS: dict[LineKind, str] = {
    "input": "input",
    "cache_write_5m": "5-minute cache write",
    "cache_write_1h": "1-hour cache write",
    "cache_read": "cache read",
    "output": "output",
    "web_search": "web search",
}
_ORDER = {kind: i for i, kind in enumerate(LINE_KINDS)}
_PERCENT = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)

_API_GEOS: dict[str, Geo] = {"global": "global", "us": "us", "not_available": "global"}
_API_SPEEDS: dict[str, Speed] = {"standard": "standard", "fast": "fast"}
_API_TIERS: dict[str, Mode] = {"standard": "realtime", "batch": "batch"}
_REQUEST_TIERS = ("auto", "standard_only")
_UNPRICED_TIERS = ("priority", "priority_on_demand", "flex", "flex_discount")


def today() -> date:
    """Today's date in UTC: the default quote date."""
    return datetime.now(UTC).date()


def percent_of(part: Decimal, whole: Decimal) -> Decimal:
    """``part`` as a percentage of ``whole`` to 28 significant digits (a ratio, not money); 0 of 0 is 0."""
    if whole.is_zero():
        return Decimal(0)
    with decimal.localcontext(_PERCENT):
        return plain(part * 100 / whole)


# --- what a request is ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class Modifiers:
    """How a request runs, beyond its tokens: which API, where, how fast."""

    mode: Mode = "realtime"
    """``realtime`` or ``batch``."""
    geo: Geo = "global"
    """``us``: US-only inference (``inference_geo: "us"``)."""
    speed: Speed = "standard"
    """``fast``: fast mode (``speed: "fast"``)."""

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("mode", self.mode, get_args(Mode)),
            ("geo", self.geo, get_args(Geo)),
            ("speed", self.speed, get_args(Speed)),
        ):
            if value not in allowed:
                raise UsageError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")

    def with_mode(self, mode: Mode) -> Modifiers:
        """The same modifiers in another mode."""
        return self if mode == self.mode else Modifiers(mode, self.geo, self.speed)

    @property
    def label(self) -> str | None:
        """``fast mode``, ``US-only`` or both; None for standard global requests."""
        parts = [p for p, on in (("fast mode", self.speed == "fast"), ("US-only", self.geo == "us")) if on]
        return ", ".join(parts) or None

    @classmethod
    def from_api(
        cls,
        *,
        mode: Mode = "realtime",
        inference_geo: object = None,
        speed: object = None,
        service_tier: object = None,
    ) -> Modifiers:
        """Modifiers from the API's own fields, as a request body or a ``usage`` object carries them.

        ``inference_geo``: ``global``, ``us`` or ``not_available`` (usage reports of older models);
        ``speed``: ``standard`` or ``fast``; ``service_tier``: a request's ``auto`` / ``standard_only``
        (standard prices), or a usage's ``standard`` / ``batch`` (which set the mode). Priority and
        flex tiers have no published prices. None means "not given" (the default).

        Raises:
            UsageError: a value the API does not use (the message names the field and the choices).
            PriceNotAvailableError: a service tier whose prices are not published.
        """
        geo: Geo = "global"
        if inference_geo is not None:
            found = _API_GEOS.get(inference_geo) if isinstance(inference_geo, str) else None
            if found is None:
                raise UsageError(_choice("inference_geo", inference_geo, _API_GEOS))
            geo = found
        pace: Speed = "standard"
        if speed is not None:
            found_speed = _API_SPEEDS.get(speed) if isinstance(speed, str) else None
            if found_speed is None:
                raise UsageError(_choice("speed", speed, _API_SPEEDS))
            pace = found_speed
        if service_tier is not None:
            if service_tier in _UNPRICED_TIERS:
                raise PriceNotAvailableError(
                    f"service_tier {service_tier!r} has no published prices (Anthropic prices Priority "
                    "and flex tiers by agreement); use a custom price table or leave these requests out"
                )
            if isinstance(service_tier, str) and service_tier in _API_TIERS:
                mode = _API_TIERS[service_tier]
            elif service_tier not in _REQUEST_TIERS:
                raise UsageError(_choice("service_tier", service_tier, (*_API_TIERS, *_REQUEST_TIERS)))
        return cls(mode, geo, pace)


STANDARD = Modifiers()
"""A standard real-time request, global inference."""


def _choice(name: str, value: object, allowed: Iterable[str]) -> str:
    import difflib
    import json

    options = list(dict.fromkeys(allowed))
    shown = json.dumps(value) if not isinstance(value, str) else repr(value)
    close = difflib.get_close_matches(value, options, n=1) if isinstance(value, str) else []
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{name} {shown} is not one of {', '.join(options)}{hint}"


# --- results ---------------------------------------------------------------------------------------


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class CostLine(_Frozen):
    """One billed line: a token category (or web searches) at one rate."""

    kind: LineKind
    """Which bucket: input, cache_write_5m, cache_write_1h, cache_read, output or web_search."""
    quantity: int
    """Tokens, or searches for ``web_search``."""
    rate: Decimal
    """USD per million tokens, or per thousand searches for ``web_search``; modifiers included."""
    amount: Decimal
    """``rate × quantity ÷ unit``, exact."""
    tier: str | None = None
    """The whole-request tier these tokens were billed in, if any (e.g. ``prompt > 200,000 tokens``)."""
    above_prompt_tokens: int | None = None
    """That tier's threshold: each request's prompt was above this many tokens (None: base rates)."""
    note: str | None = None
    """How the requests ran when it changes the rate: ``fast mode``, ``US-only``, or ``real time`` for
    requests in a batch figure that the Batch API cannot run."""

    @property
    def per(self) -> int:
        """The unit the rate is quoted per: 1,000,000 tokens or 1,000 searches."""
        return PER_THOUSAND if self.kind == "web_search" else PER_MTOK

    @property
    def label(self) -> str:
        """Human label for the line's kind, with its tier and note."""
        extras = [e for e in (self.tier, self.note) if e]
        text = _LABELS[self.kind]
        return f"{text} ({'; '.join(extras)})" if extras else text


class Cost(_Frozen):
    """What a set of requests costs in one mode. Costs of the same mode add up with ``+``."""

    mode: Mode
    """``realtime`` (the Messages API) or ``batch`` (the Message Batches API)."""
    requests: int | None
    """How many requests this covers; None when the caller did not say."""
    lines: tuple[CostLine, ...]
    """Line items; they sum to ``total``."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total(self) -> Decimal:
        """The exact sum of the lines."""
        with decimal.localcontext(EXACT):
            return plain(sum((line.amount for line in self.lines), Decimal(0)))

    @classmethod
    def zero(cls, mode: Mode, requests: int | None = 0) -> Cost:
        """No requests, no lines: the start of a sum."""
        return cls(mode=mode, requests=requests, lines=())

    @classmethod
    def sum(cls, costs: Iterable[Cost], mode: Mode) -> Cost:
        """The exact sum of ``costs`` (all in ``mode``); zero when there are none."""
        total = cls.zero(mode)
        for item in costs:
            total = total + item
        return total

    def __add__(self, other: Cost) -> Cost:
        if not isinstance(other, Cost):
            return NotImplemented
        if other.mode != self.mode:
            raise ValueError(f"cannot add a {other.mode} cost to a {self.mode} cost")
        merged: dict[
            tuple[str, Decimal, str | None, str | None], CostLine
        ] = {}  # the tier's label names its threshold
        for line in (*self.lines, *other.lines):
            key = (line.kind, line.rate, line.tier, line.note)
            prev = merged.get(key)
            if prev is None:
                merged[key] = line
                continue
            with decimal.localcontext(EXACT):
                total = plain(prev.amount + line.amount)
            merged[key] = prev.model_copy(update={"quantity": prev.quantity + line.quantity, "amount": total})
        lines = sorted(
            merged.values(), key=lambda ln: (_ORDER[ln.kind], ln.note or "", ln.tier or "", ln.rate)
        )
        requests = None if self.requests is None or other.requests is None else self.requests + other.requests
        return Cost(mode=self.mode, requests=requests, lines=tuple(lines))


class Savings(_Frozen):
    """What batch saves against real time (the same shape in every report)."""

    amount: Decimal
    """Real-time total minus batch total."""
    percent: Decimal
    """``amount`` as a percentage of the real-time total (0 when that is 0)."""

    @classmethod
    def between(cls, realtime: Cost | Decimal, batch: Cost | Decimal) -> Savings:
        """Savings of ``batch`` against ``realtime`` (costs or their totals)."""
        rt = realtime.total if isinstance(realtime, Cost) else realtime
        bt = batch.total if isinstance(batch, Cost) else batch
        with decimal.localcontext(EXACT):
            saved = plain(rt - bt)
        return cls(amount=saved, percent=percent_of(saved, rt))


# --- rate cards ------------------------------------------------------------------------------------

_Rates5 = tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None, Decimal | None]
_Units = tuple[int | None, int | None, int | None, int | None, int | None, int | None]


@dataclass(frozen=True, slots=True, eq=False)
class RateCard:
    """Everything that prices one model on one day in one way (mode and modifiers).

    Rates have the batch factor and the residency multiplier applied. Cards are made by
    :meth:`Engine.card`; two requests with the same card and the same tier are billed alike.
    """

    model: ModelInfo
    at: date
    """The day priced."""
    modifiers: Modifiers
    """As asked. ``speed`` here may be ``fast`` although :attr:`speed` is ``standard`` (withdrawn fast mode)."""
    speed: Speed
    """The speed billed."""
    effective_from: date
    """Start date of the price entry used."""
    thresholds: tuple[int, ...]
    """Tier ``i + 1`` applies when one request's prompt is above ``thresholds[i]``."""
    rates: tuple[_Rates5, ...]
    """Per tier (0: base): USD per million tokens for input, 5m write, 1h write, cache read, output."""
    web_search: Decimal | None
    """USD per thousand searches; None when web search was not offered on the day."""
    uncertain: str | None
    """Why the rates used are marked UNCERTAIN in the data, if they are."""
    notes: tuple[str, ...] = ()
    """What a reader of a quote priced with this card should know (e.g. fast mode withdrawn)."""
    lifecycle: str | None = None
    """The model's lifecycle warning on the day (retired, deprecated, to be retired), naming
    Anthropic's recommended replacement (:meth:`~claude_quote.pricing.ModelInfo.lifecycle_warning`)."""
    unit_exponent: int = field(init=False, repr=False, compare=False)
    """Every rate of the card, per token or per search, is a whole number of ``10^unit_exponent``
    dollars: :attr:`units` holds those numbers, so an amount is a sum of integer products."""
    units: tuple[_Units, ...] = field(init=False, repr=False, compare=False)
    """Per tier: the rate of each bucket of :data:`Buckets` in units of ``10^unit_exponent`` dollars
    per token (per search for web search); None where :attr:`rates` has no price."""

    def __post_init__(self) -> None:
        exponent, units = _unit_rates(self.rates, self.web_search)
        object.__setattr__(self, "unit_exponent", exponent)
        object.__setattr__(self, "units", units)

    @property
    def mode(self) -> Mode:
        return self.modifiers.mode

    def tier(self, prompt_tokens: int) -> int:
        """The tier of ONE request whose prompt (input + cache writes + cache reads) is ``prompt_tokens``.

        0 is the base rates; a prompt above a threshold moves the whole request up.
        """
        tier = 0
        for threshold in self.thresholds:
            if prompt_tokens > threshold:
                tier += 1
        return tier

    def tier_of_total(self, prompt_tokens: int, requests: int) -> int:
        """The tier of each of ``requests`` equal requests whose prompts total ``prompt_tokens``."""
        tier = 0
        for threshold in self.thresholds:
            if prompt_tokens > threshold * requests:
                tier += 1
        return tier

    def tier_label(self, tier: int) -> str | None:
        """``prompt > 200,000 tokens`` for tier 1 of a 200K tier; None for the base rates."""
        return None if tier == 0 else f"prompt > {self.thresholds[tier - 1]:,} tokens"

    def rate(self, kind: LineKind, tier: int = 0) -> Decimal | None:
        """The rate of one line kind in ``tier`` (None when the table has no such price)."""
        if kind == "web_search":
            return self.web_search
        return self.rates[tier][_ORDER[kind]]


def _unit_rates(rates: tuple[_Rates5, ...], web: Decimal | None) -> tuple[int, tuple[_Units, ...]]:
    """The rates of a card as integers: (exponent, per tier the six rates per token or search)."""
    per_unit: list[list[Decimal | None]] = []
    exponent = 0
    with decimal.localcontext(EXACT):
        for tier in rates:
            row: list[Decimal | None] = [None if r is None else r.scaleb(-6) for r in tier]
            row.append(None if web is None else web.scaleb(-3))
            per_unit.append(row)
            for value in row:
                if value is not None:
                    exponent = min(exponent, int(value.as_tuple().exponent))
        units = tuple(
            cast(_Units, tuple(None if v is None else int(v.scaleb(-exponent)) for v in row))
            for row in per_unit
        )
    return exponent, units


@dataclass(frozen=True, slots=True)
class _SpeedRates:
    """The rates a request runs at before residency and batch (:meth:`Engine._speed_rates`)."""

    speed: Speed
    base: Rates
    tiers: tuple[tuple[int, Rates], ...]
    effective_from: date
    uncertain: str | None
    """Why the rates are uncertain, if they are."""
    notes: tuple[str, ...] = ()


def _scaled(rates: Rates, factor: Decimal) -> _Rates5:
    out: list[Decimal | None] = []
    with decimal.localcontext(EXACT):
        for key in _RATE_KEYS:
            value: Decimal | None = getattr(rates, key)
            out.append(None if value is None else plain(value * factor))
    return (out[0], out[1], out[2], out[3], out[4])


# --- the engine ------------------------------------------------------------------------------------


class Engine:
    """Finds rate cards (remembering them) and prices usage with them. One per price table.

    ``Engine()`` uses the bundled table; ``Engine(table)`` a custom one. Safe to share within a thread.
    """

    def __init__(self, table: PriceTable | None = None) -> None:
        self.table = table or load_pricing()
        self._models: dict[tuple[str, date], ModelInfo] = {}
        self._cards: dict[tuple[str, date, Modifiers], RateCard] = {}

    def model(self, name: str | ModelInfo, at: date) -> ModelInfo:
        """The model ``name`` refers to on ``at`` (see :func:`~claude_quote.pricing.resolve_model`)."""
        if isinstance(name, ModelInfo):
            return name
        key = (name, at)
        found = self._models.get(key)
        if found is None:
            found = self._models[key] = resolve_model(self.table, name, at)
        return found

    def card(self, model: str | ModelInfo, at: date, modifiers: Modifiers = STANDARD) -> RateCard:
        """The rate card of ``model`` on ``at`` with ``modifiers``.

        Raises:
            UnknownModelError: no such model (with suggestions).
            PriceNotAvailableError: no price on that day, or for that mode or modifier.
            UsageError: fast mode in batch.
        """
        info = self.model(model, at)
        key = (info.id, at, modifiers)
        found = self._cards.get(key)
        if found is None:
            found = self._cards[key] = self._make_card(info, at, modifiers)
        return found

    def _make_card(self, info: ModelInfo, at: date, mods: Modifiers) -> RateCard:
        entry = info.price_at(at)
        if entry is None:
            raise PriceNotAvailableError(
                f"{info.id} was released on {info.released.isoformat()}; there is no price for {at.isoformat()}"
            )
        run = self._speed_rates(info, at, mods, entry)
        factor = Decimal(1)
        if mods.geo == "us":
            factor *= self._residency(info, at)
        if mods.mode == "batch":
            factor *= self._batch(info, at, mods.speed)
        return RateCard(
            model=info,
            at=at,
            modifiers=mods,
            speed=run.speed,
            effective_from=run.effective_from,
            thresholds=tuple(t for t, _ in run.tiers),
            rates=(_scaled(run.base, factor), *(_scaled(t, factor) for _, t in run.tiers)),
            web_search=self._web_search(at, mods.mode),
            uncertain=run.uncertain,
            notes=run.notes,
            lifecycle=info.lifecycle_warning(at, self.table),
        )

    def _speed_rates(self, info: ModelInfo, at: date, mods: Modifiers, entry: PriceEntry) -> _SpeedRates:
        """The rates a request runs at before residency and batch: the entry and its tiers, or fast
        mode's (which has no tiers), or standard rates with a note where fast mode was withdrawn."""
        standard = _SpeedRates(
            "standard",
            entry,
            tuple((t.above_prompt_tokens, t) for t in entry.tiers),
            entry.effective_from,
            entry.uncertain,
        )
        if mods.speed != "fast":
            return standard
        fast = info.fast_mode_at(at)
        if fast is not None:
            return _SpeedRates("fast", fast, (), fast.effective_from, fast.uncertain)
        if info.fast_mode_billing(at) == "standard":
            return replace(standard, notes=(info.fast_mode_fallback_warning(at) or "",))
        raise PriceNotAvailableError(self._no_fast(info, at))

    def _web_search(self, at: date, mode: Mode) -> Decimal | None:
        """USD per thousand searches on ``at`` in ``mode`` (None before the fee existed)."""
        table = self.table
        if at < table.web_search.effective_from:
            return None
        web = table.web_search.usd_per_thousand
        if mode == "batch" and table.web_search.batch_discount:
            with decimal.localcontext(EXACT):
                web = plain(web * table.batch.factor)
        return web

    def _residency(self, info: ModelInfo, at: date) -> Decimal:
        residency = self.table.data_residency
        if not info.us_data_residency:
            raise PriceNotAvailableError(
                f"{info.id} does not accept inference_geo 'us' (US data residency is Claude 4.6 and later); "
                "use global inference or a newer model"
            )
        if at < residency.effective_from:
            raise PriceNotAvailableError(
                f"US data residency was not offered before {residency.effective_from.isoformat()}"
            )
        return residency.multiplier

    def _batch(self, info: ModelInfo, at: date, speed: Speed) -> Decimal:
        batch = self.table.batch
        if speed == "fast":
            raise UsageError("fast mode is not available with the Batch API; price fast mode in real time")
        if not info.batch:
            raise PriceNotAvailableError(f"{info.id} is not available in the Message Batches API")
        if at < batch.effective_from:
            raise PriceNotAvailableError(
                f"the Message Batches API did not exist before {batch.effective_from.isoformat()}"
            )
        return batch.factor

    def _no_fast(self, info: ModelInfo, at: date) -> str:
        offered = [m.id for m in self.table.models if m.fast_mode_at(at) is not None]
        removed = ""
        if info.fast_mode_removed is not None and at >= info.fast_mode_removed:
            removed = f" (withdrawn on {info.fast_mode_removed.isoformat()})"
        return (
            f"{info.id} has no fast-mode price on {at.isoformat()}{removed}; "
            f"fast mode is priced for: {', '.join(offered) or 'no model on that date'}"
        )

    def batchable(self, model: ModelInfo, at: date, modifiers: Modifiers = STANDARD) -> bool:
        """Whether the Batch API can run such a request: the model, the day, and not fast mode (a
        ``speed: "fast"`` request is never batched, even where withdrawn fast mode bills standard)."""
        return model.batch and at >= self.table.batch.effective_from and modifiers.speed != "fast"

    # -- pricing --------------------------------------------------------------------------------

    def cost(
        self,
        usage: Usage | Buckets,
        card: RateCard,
        *,
        requests: int | None = 1,
        tier: int | None = None,
        note: str | None = None,
    ) -> Cost:
        """What ``usage`` costs at ``card``'s rates: ``requests`` equal requests that used it in total.

        The tier is chosen per request (``prompt ÷ requests``); with ``requests=None`` (unknown) no
        tier is applied. ``tier`` forces one (a group already sorted by tier). Only the buckets used
        get a line; an empty usage shows input and output at $0. ``note`` labels every token line
        (a sum that mixes modifiers passes ``card.modifiers.label``).
        """
        buckets = usage.buckets() if isinstance(usage, Usage) else usage
        if tier is None:
            prompt = buckets[0] + buckets[1] + buckets[2] + buckets[3]
            tier = 0 if requests is None else card.tier_of_total(prompt, requests)
        return Cost(
            mode=card.mode,
            requests=requests,
            lines=self.lines(buckets, card, tier, note=note),
        )

    def lines(
        self, buckets: Buckets, card: RateCard, tier: int = 0, *, note: str | None = None
    ) -> tuple[CostLine, ...]:
        """The line items of ``buckets`` billed in ``tier`` of ``card``."""
        label = card.tier_label(tier)
        threshold = card.thresholds[tier - 1] if tier else None
        rates = card.rates[tier]
        empty = not any(buckets)
        out: list[CostLine] = []
        with decimal.localcontext(EXACT):
            for index in range(5):
                quantity = buckets[index]
                kind = LINE_KINDS[index]
                if quantity == 0 and not (empty and kind in ("input", "output")):
                    continue
                rate = rates[index]
                if rate is None:
                    raise PriceNotAvailableError(
                        f"{card.model.id} has no published {_LABELS[kind]} price; "
                        f"remove the {_LABELS[kind]} tokens or use a table that prices them"
                    )
                out.append(
                    CostLine(
                        kind=kind,
                        quantity=quantity,
                        rate=rate,
                        amount=plain(rate * quantity / PER_MTOK),
                        tier=label,
                        above_prompt_tokens=threshold,
                        note=note,
                    )
                )
            if buckets[5]:
                out.append(self._search_line(buckets[5], card))
        return tuple(out)

    def _search_line(self, searches: int, card: RateCard) -> CostLine:
        """The web-search fee of ``searches`` on ``card`` (in the exact context)."""
        if card.web_search is None:
            raise PriceNotAvailableError(
                f"web search was not offered before {self.table.web_search.effective_from.isoformat()}"
            )
        return CostLine(
            kind="web_search",
            quantity=searches,
            rate=card.web_search,
            amount=plain(card.web_search * searches / PER_THOUSAND),
            note=None,
        )

    def amount(self, buckets: Buckets, card: RateCard, tier: int | None = None) -> Decimal:
        """The exact total of ``buckets`` as ONE request (its tier chosen from its prompt), fast."""
        if tier is None:
            tier = card.tier(buckets[0] + buckets[1] + buckets[2] + buckets[3])
        units = self.units(buckets, card, tier)
        if units is None:
            return self._decimal_amount(buckets, card, tier)
        return from_units(units, card.unit_exponent)

    def units(self, buckets: Buckets, card: RateCard, tier: int) -> int | None:
        """:meth:`amount` in units of ``10^card.unit_exponent`` dollars, in integer arithmetic; None
        when :meth:`amount` must take the Decimal way (a price missing, or more than 60 digits)."""
        u = card.units[tier]
        total = 0
        for index in range(6):
            quantity = buckets[index]
            if quantity:
                rate = u[index]
                if rate is None:
                    return None
                total += rate * quantity
        return total if total.bit_length() < _EXACT_BITS else None

    def _decimal_amount(self, buckets: Buckets, card: RateCard, tier: int) -> Decimal:
        """:meth:`amount` in Decimal arithmetic: raises as :meth:`lines` does for a missing price,
        ``decimal.Inexact`` beyond the 60 digits of :data:`~claude_quote.money.EXACT`."""
        rates = card.rates[tier]
        with decimal.localcontext(EXACT):
            tokens = Decimal(0)
            for index in range(5):
                quantity = buckets[index]
                if quantity:
                    rate = rates[index]
                    if rate is None:
                        return sum((ln.amount for ln in self.lines(buckets, card, tier)), Decimal(0))
                    tokens += rate * quantity
            total = tokens / PER_MTOK
            if buckets[5]:
                if card.web_search is None:
                    return sum((ln.amount for ln in self.lines(buckets, card, tier)), Decimal(0))
                total += card.web_search * buckets[5] / PER_THOUSAND
            return plain(total)


_EXACT_BITS = 199
"""Integers below ``2^199`` have at most 60 digits: the sums the EXACT context holds without rounding."""


def card_notes(card: RateCard, *, lifecycle: bool = True) -> list[str]:
    """What every report priced with ``card`` says about the model and its rates: its lifecycle
    (retired, deprecated; unless ``lifecycle=False``, for reports that say it their own way), rates
    marked UNCERTAIN in the data, and the card's own notes (e.g. fast mode withdrawn)."""
    info = card.model
    out: list[str] = []
    if lifecycle and card.lifecycle:
        out.append(card.lifecycle)
    if card.uncertain:
        out.append(
            f"the {info.id} rates in effect from {card.effective_from.isoformat()} are marked "
            f"UNCERTAIN in the price data: {card.uncertain}"
        )
    out.extend(card.notes)
    return out


_ENGINES: dict[int, tuple[PriceTable, Engine]] = {}
_MAX_ENGINES = 16


def engine_for(table: PriceTable | None = None) -> Engine:
    """The engine of ``table`` (default: the bundled one), made once and reused."""
    table = table or load_pricing()
    found = _ENGINES.get(id(table))
    if found is not None and found[0] is table:
        return found[1]
    if len(_ENGINES) >= _MAX_ENGINES:
        _ENGINES.pop(next(iter(_ENGINES)))
    engine = Engine(table)
    _ENGINES[id(table)] = (table, engine)
    return engine


# --- many requests ---------------------------------------------------------------------------------

_GET_BUCKETS = attrgetter(*BUCKETS)
_CHUNK = 1 << 16
"""Requests :meth:`Ledger.add_many` reads at a time."""


@dataclass(slots=True)
class LedgerGroup:
    """Requests billed alike: one card, one tier. Their buckets are summed."""

    card: RateCard
    tier: int
    requests: int = 0
    sums: list[int] = field(default_factory=lambda: [0] * 6)

    @property
    def buckets(self) -> Buckets:
        s = self.sums
        return (s[0], s[1], s[2], s[3], s[4], s[5])

    @property
    def usage(self) -> Usage:
        """The group's summed usage."""
        return Usage.from_buckets(self.buckets)


class Ledger:
    """Many requests summed by what decides their price, each group priced once (exactly).

    A group is (rate card, tier): the same model, price entry, mode and modifiers, and a prompt in
    the same tier. Pricing a group's sum equals pricing its requests one by one, to the last digit.

    >>> from datetime import date
    >>> engine = Engine()
    >>> ledger = Ledger(engine)
    >>> card = engine.card("haiku-5.5", date(2026, 11, 25))
    >>> _ = ledger.add(card, Usage(input_tokens=100_000, output_tokens=1_000))  # base: $0.01 + $0.0005
    >>> _ = ledger.add(card, Usage(input_tokens=100_001, output_tokens=1_000))  # >100K: $0.0500005 + $0.0025
    >>> ledger.cost().total, ledger.requests
    (Decimal('0.0630005'), 2)
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.groups: dict[tuple[RateCard, int], LedgerGroup] = {}

    @property
    def requests(self) -> int:
        """Requests added."""
        return sum(g.requests for g in self.groups.values())

    def group(self, card: RateCard, tier: int) -> LedgerGroup:
        """The group of ``card`` and ``tier`` (made when first asked for)."""
        key = (card, tier)
        found = self.groups.get(key)
        if found is None:
            found = self.groups[key] = LedgerGroup(card, tier)
        return found

    def add(self, card: RateCard, usage: Usage | Buckets, count: int = 1) -> LedgerGroup:
        """Add ``count`` requests that each used ``usage``; returns their group."""
        b = usage.buckets() if isinstance(usage, Usage) else usage
        group = self.group(card, card.tier(b[0] + b[1] + b[2] + b[3]))
        group.requests += count
        s = group.sums
        if count == 1:
            s[0] += b[0]
            s[1] += b[1]
            s[2] += b[2]
            s[3] += b[3]
            s[4] += b[4]
            s[5] += b[5]
        else:
            for i in range(6):
                s[i] += b[i] * count
        return group

    def add_group(self, card: RateCard, tier: int, requests: int, buckets: Iterable[int]) -> LedgerGroup:
        """Add ``requests`` already placed in ``tier`` whose buckets sum to ``buckets`` (a reader's or a
        partial's sums); returns their group."""
        group = self.group(card, tier)
        group.requests += requests
        sums = group.sums
        for index, value in enumerate(buckets):
            sums[index] += value
        return group

    def add_many(self, card: RateCard, usages: Iterable[Usage]) -> None:
        """Add one request per usage, in bulk: the fast path for large volumes (memory flat).

        The usages are read in chunks; each bucket becomes a column (``map`` over an attribute getter,
        in C), each tier threshold a column of flags, and a tier's sums are the sums of the requests
        at or above it minus those above the next, so no Python code runs per request.
        """
        iterator = iter(usages)
        getters = [attrgetter(name) for name in BUCKETS]
        thresholds = card.thresholds
        while chunk := list(islice(iterator, _CHUNK)):
            if not thresholds:  # one group: the sums, nothing kept
                self._add_sums(card, [[sum(map(get, chunk)) for get in getters]], [len(chunk), 0])
                continue
            columns = [list(map(get, chunk)) for get in getters]
            totals = [sum(column) for column in columns]
            c = columns
            prompts = map(add, map(add, c[0], c[1]), map(add, c[2], c[3]))
            if len(thresholds) == 1:
                flag_columns = [list(map(thresholds[0].__lt__, prompts))]
            else:
                kept = list(prompts)
                flag_columns = [list(map(threshold.__lt__, kept)) for threshold in thresholds]
            at_least, counts = [totals], [len(chunk)]
            for flags in flag_columns:
                counts.append(sum(flags))
                # a bucket no request used sums to 0 above every line too: no second pass for it
                at_least.append(
                    [
                        sum(compress(column, flags)) if total else 0
                        for column, total in zip(columns, totals, strict=True)
                    ]
                    if counts[-1]
                    else [0] * 6
                )
            self._add_sums(card, at_least, [*counts, 0])

    def _add_sums(self, card: RateCard, at_least: list[list[int]], counts: list[int]) -> None:
        """Add the requests at or above each tier (``at_least[t]``, ``counts[t]``) to the tiers' groups."""
        at_least = [*at_least, [0] * 6]
        for tier in range(len(counts) - 1):
            requests = counts[tier] - counts[tier + 1]
            if requests:
                group = self.group(card, tier)
                group.requests += requests
                sums = group.sums
                for i in range(6):
                    sums[i] += at_least[tier][i] - at_least[tier + 1][i]

    def cost(self, groups: Iterable[LedgerGroup] | None = None) -> Cost:
        """The exact cost of ``groups`` (default: all), one line per kind, rate, tier and modifier."""
        chosen = list(self.groups.values() if groups is None else groups)
        if not chosen:
            return Cost.zero("realtime")
        modes = {g.card.mode for g in chosen}
        if len(modes) > 1:
            raise ValueError("cannot add realtime and batch groups into one cost")
        return Cost.sum(
            (
                self.engine.cost(
                    g.buckets, g.card, requests=g.requests, tier=g.tier, note=g.card.modifiers.label
                )
                for g in chosen
            ),
            modes.pop(),
        )

    def by_model(self) -> Mapping[str, list[LedgerGroup]]:
        """The groups of each model id, in id order."""
        out: dict[str, list[LedgerGroup]] = {}
        for group in self.groups.values():
            out.setdefault(group.card.model.id, []).append(group)
        return dict(sorted(out.items()))
