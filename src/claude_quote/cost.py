"""The cost engine: pure functions from usage, model and options to exact Decimal costs.

Rules (each one tested in ``tests/test_cost.py``):

- An amount is ``rate_per_mtok × tokens ÷ 1,000,000``, exact. Nothing is rounded here.
- A tier is chosen per request from that request's prompt (uncached input + cache writes + cache
  reads) and reprices every token of the request, output included. With ``requests=N`` the usage is
  the total of N equal requests, so the tier is chosen from ``prompt_tokens ÷ N``.
- Batch multiplies every token line by the table's batch factor (0.5); it stacks with cache rates
  and data residency. Fast mode with batch is an error. The web search fee is not discounted.
- US data residency multiplies every token line (1.1) on models that support it.
"""

from __future__ import annotations

import decimal
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from .errors import PriceNotAvailableError, UsageError
from .money import EXACT, PER_MTOK, PER_THOUSAND, amount, plain
from .pricing import ModelInfo, PriceTable, Rates, load_pricing, resolve_model
from .usage import Usage

__all__ = [
    "Cost",
    "CostLine",
    "Geo",
    "LineKind",
    "Mode",
    "PricedModel",
    "Quote",
    "Savings",
    "cost",
    "price_model",
    "quote",
    "today",
]

Mode = Literal["realtime", "batch"]
Geo = Literal["global", "us"]
LineKind = Literal["input", "cache_write_5m", "cache_write_1h", "cache_read", "output", "web_search"]

_TOKEN_LINES: tuple[tuple[LineKind, str, str], ...] = (
    ("input", "input_tokens", "input_per_mtok"),
    ("cache_write_5m", "cache_write_5m_tokens", "cache_write_5m_per_mtok"),
    ("cache_write_1h", "cache_write_1h_tokens", "cache_write_1h_per_mtok"),
    ("cache_read", "cache_read_tokens", "cache_read_per_mtok"),
    ("output", "output_tokens", "output_per_mtok"),
)
_LABELS = {
    "input": "input",
    "cache_write_5m": "5-minute cache write",
    "cache_write_1h": "1-hour cache write",
    "cache_read": "cache read",
    "output": "output",
    "web_search": "web search",
}


def today() -> date:
    """Today's date in UTC: the default quote date."""
    return datetime.now(UTC).date()


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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

    @property
    def per(self) -> int:
        """The unit the rate is quoted per: 1,000,000 tokens or 1,000 searches."""
        return PER_THOUSAND if self.kind == "web_search" else PER_MTOK

    @property
    def label(self) -> str:
        """Human label for the line's kind, with its tier."""
        text = _LABELS[self.kind]
        return f"{text} ({self.tier})" if self.tier else text


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

    def __add__(self, other: Cost) -> Cost:
        if not isinstance(other, Cost):
            return NotImplemented
        if other.mode != self.mode:
            raise ValueError(f"cannot add a {other.mode} cost to a {self.mode} cost")
        merged: dict[tuple[str, Decimal, str | None], CostLine] = {}
        for line in (*self.lines, *other.lines):
            key = (line.kind, line.rate, line.tier)
            if key in merged:
                prev = merged[key]
                with decimal.localcontext(EXACT):
                    total = plain(prev.amount + line.amount)
                merged[key] = prev.model_copy(
                    update={"quantity": prev.quantity + line.quantity, "amount": total}
                )
            else:
                merged[key] = line
        order = {kind: i for i, kind in enumerate(_LABELS)}
        lines = sorted(merged.values(), key=lambda ln: (order[ln.kind], ln.tier or "", ln.rate))
        requests = None if self.requests is None or other.requests is None else self.requests + other.requests
        return Cost(mode=self.mode, requests=requests, lines=tuple(lines))


class Savings(_Frozen):
    """What batch saves against real time."""

    amount: Decimal
    """Real-time total minus batch total."""
    percent: Decimal
    """``amount`` as a percentage of the real-time total (0 when that is 0)."""

    @classmethod
    def between(cls, realtime: Cost, batch: Cost) -> Savings:
        """Savings of ``batch`` against ``realtime``."""
        with decimal.localcontext(EXACT):
            saved = plain(realtime.total - batch.total)
        if realtime.total.is_zero():
            return cls(amount=saved, percent=Decimal(0))
        with decimal.localcontext(prec=28):
            percent = plain(saved * 100 / realtime.total)
        return cls(amount=saved, percent=percent)


class PricedModel(_Frozen):
    """A model resolved on a date, with the rates that apply."""

    model: ModelInfo
    at: date
    rates: Rates
    """The standard (or fast-mode) entry in effect on ``at``."""
    effective_from: date
    uncertain: str | None = None
    fast_fallback: bool = False
    """Fast mode was asked for but withdrawn with a fallback: ``rates`` are the standard ones."""


def price_model(
    model: str | ModelInfo,
    *,
    at: date | None = None,
    fast: bool = False,
    table: PriceTable | None = None,
) -> PricedModel:
    """Resolve ``model`` on ``at`` and find the rates in effect, or raise PriceNotAvailableError."""
    table = table or load_pricing()
    at = at or today()
    info = model if isinstance(model, ModelInfo) else resolve_model(table, model, at)
    entry = info.price_at(at)
    if entry is None:
        raise PriceNotAvailableError(
            f"{info.id} was released on {info.released.isoformat()}; there is no price for {at.isoformat()}"
        )
    if not fast:
        return PricedModel(
            model=info,
            at=at,
            rates=entry,
            effective_from=entry.effective_from,
            uncertain=entry.uncertain,
        )
    fast_entry = info.fast_mode_at(at)
    if fast_entry is None and info.fast_mode_billing(at) == "standard":
        return PricedModel(
            model=info,
            at=at,
            rates=entry,
            effective_from=entry.effective_from,
            uncertain=entry.uncertain,
            fast_fallback=True,
        )
    if fast_entry is None:
        offered = [m.id for m in table.models if m.fast_mode_at(at) is not None]
        removed = ""
        if info.fast_mode_removed is not None and at >= info.fast_mode_removed:
            removed = f" (withdrawn on {info.fast_mode_removed.isoformat()})"
        raise PriceNotAvailableError(
            f"{info.id} has no fast-mode price on {at.isoformat()}{removed}; "
            f"fast mode is priced for: {', '.join(offered) or 'no model on that date'}"
        )
    return PricedModel(
        model=info,
        at=at,
        rates=fast_entry,
        effective_from=fast_entry.effective_from,
        uncertain=fast_entry.uncertain,
    )


def cost(
    usage: Usage,
    model: str | ModelInfo,
    *,
    mode: Mode = "realtime",
    requests: int | None = 1,
    at: date | None = None,
    geo: Geo = "global",
    fast: bool = False,
    table: PriceTable | None = None,
) -> Cost:
    """The exact cost of ``requests`` equal requests whose usage adds up to ``usage``.

    Args:
        usage: total usage of the requests (per request when ``requests`` is 1).
        model: a model name (any accepted form) or a resolved :class:`ModelInfo`.
        mode: ``realtime`` or ``batch`` (every token line × the batch factor).
        requests: how many equal requests ``usage`` is spread over; the tier is chosen per request.
            None means "unknown": no tier is applied (:func:`quote` warns when one might apply).
        at: the date whose prices apply (default: today, UTC).
        geo: ``us`` for US-only inference (× the data-residency multiplier).
        fast: fast-mode rates (not available in batch).
        table: the price table (default: the bundled one).

    Raises:
        UnknownModelError, PriceNotAvailableError, UsageError.
    """
    table = table or load_pricing()
    _check_requests(requests)
    priced = price_model(model, at=at, fast=fast, table=table)
    info, at = priced.model, priced.at
    multiplier = Decimal(1)
    if geo == "us":
        multiplier *= _residency_multiplier(table, info, at)
    elif geo != "global":
        raise UsageError(f"geo must be 'global' or 'us', got {geo!r}")
    if mode == "batch":
        multiplier *= _batch_factor(table, info, at, fast)
    elif mode != "realtime":
        raise UsageError(f"mode must be 'realtime' or 'batch', got {mode!r}")

    rates, tier_label = priced.rates, None
    if (not fast or priced.fast_fallback) and requests is not None:
        entry = info.price_at(at)
        assert entry is not None  # price_model checked
        for tier in entry.tiers:
            if usage.prompt_tokens > tier.above_prompt_tokens * requests:
                rates, tier_label = tier, f"prompt > {tier.above_prompt_tokens:,} tokens"

    lines: list[CostLine] = []
    nothing = usage.total_tokens == 0 and usage.web_search_requests == 0
    for kind, field, rate_key in _TOKEN_LINES:
        quantity: int = getattr(usage, field)
        if quantity == 0 and not (nothing and kind in ("input", "output")):
            continue  # only the buckets used; an empty usage still shows input and output at $0
        base: Decimal | None = getattr(rates, rate_key)
        if base is None:
            raise PriceNotAvailableError(
                f"{info.id} has no published {_LABELS[kind]} price; "
                f"remove the {_LABELS[kind]} tokens or use a table that prices them"
            )
        with decimal.localcontext(EXACT):
            rate = plain(base * multiplier)
        lines.append(
            CostLine(
                kind=kind,
                quantity=quantity,
                rate=rate,
                amount=amount(rate, quantity, PER_MTOK),
                tier=tier_label,
            )
        )
    if usage.web_search_requests:
        lines.append(_web_search_line(table, usage.web_search_requests, at, mode))
    return Cost(mode=mode, requests=requests, lines=tuple(lines))


def _check_requests(requests: object) -> None:
    if requests is None:
        return
    if isinstance(requests, bool) or not isinstance(requests, int) or requests < 1:
        raise UsageError(f"requests must be a whole number of at least 1, got {requests!r}")


def _residency_multiplier(table: PriceTable, info: ModelInfo, at: date) -> Decimal:
    residency = table.data_residency
    if not info.us_data_residency:
        raise PriceNotAvailableError(
            f"{info.id} does not accept inference_geo 'us' (US data residency is Claude 4.6 and later); "
            "drop --geo us or choose a newer model"
        )
    if at < residency.effective_from:
        raise PriceNotAvailableError(
            f"US data residency was not offered before {residency.effective_from.isoformat()}"
        )
    return residency.multiplier


def _batch_factor(table: PriceTable, info: ModelInfo, at: date, fast: bool) -> Decimal:
    if fast:
        raise UsageError("fast mode is not available with the Batch API; price fast mode in realtime")
    if not info.batch:
        raise PriceNotAvailableError(f"{info.id} is not available in the Message Batches API")
    if at < table.batch.effective_from:
        raise PriceNotAvailableError(
            f"the Message Batches API did not exist before {table.batch.effective_from.isoformat()}"
        )
    return table.batch.factor


def _web_search_line(table: PriceTable, searches: int, at: date, mode: Mode) -> CostLine:
    fee = table.web_search
    if at < fee.effective_from:
        raise PriceNotAvailableError(f"web search was not offered before {fee.effective_from.isoformat()}")
    rate = fee.usd_per_thousand
    if mode == "batch" and fee.batch_discount:
        with decimal.localcontext(EXACT):
            rate = plain(rate * table.batch.factor)
    return CostLine(
        kind="web_search", quantity=searches, rate=rate, amount=amount(rate, searches, PER_THOUSAND)
    )


class Quote(_Frozen):
    """Real-time and batch cost of the same requests, with savings and everything needed to audit it."""

    model: str
    """Canonical id of the model priced."""
    model_name: str
    """Display name."""
    at: date
    """Date whose prices were used."""
    requests: int | None
    """Number of requests priced; None when not stated (tiers then not applied, and warned about)."""
    usage: Usage
    """Total usage over all requests."""
    geo: Geo
    fast: bool
    price_effective_from: date
    """Start date of the price entry used."""
    pricing_version: str
    pricing_sha256: str
    pricing_checked: date
    """When the price table was last checked against its sources (its ``checked`` date)."""
    realtime: Cost
    batch: Cost | None
    """None when batch is not possible (fast mode, a model the Batch API does not take)."""
    savings: Savings | None
    warnings: tuple[str, ...] = Field(default=())


def quote(
    usage: Usage,
    model: str | ModelInfo,
    *,
    requests: int | None = 1,
    at: date | None = None,
    geo: Geo = "global",
    fast: bool = False,
    table: PriceTable | None = None,
    fail_on_retired: bool = False,
) -> Quote:
    """Price ``usage`` in real time and in batch, and the savings.

    ``usage`` is the total over ``requests`` equal requests (tiers are chosen per request; with
    ``requests=None`` the count is unknown, no tier is applied and the quote says so). The quote
    warns, rather than fails, about anything a careful reader should know: a retired model, rates
    marked uncertain in the data, a tier crossed, a request larger than the context window.

    >>> q = quote(Usage(input_tokens=5_000_000, output_tokens=2_000_000), "sonnet-4.6",
    ...           requests=1_000, at=date(2026, 11, 25))
    >>> q.realtime.total, q.batch.total, q.savings.amount, q.savings.percent
    (Decimal('45'), Decimal('22.5'), Decimal('22.5'), Decimal('50'))
    """
    table = table or load_pricing()
    at = at or today()
    _check_requests(requests)
    priced = price_model(model, at=at, fast=fast, table=table)
    info = priced.model
    warnings = _warnings(priced, usage, requests, fast, table)
    if info.is_retired(at) and fail_on_retired:
        raise PriceNotAvailableError(warnings[0])
    realtime = cost(usage, info, mode="realtime", requests=requests, at=at, geo=geo, fast=fast, table=table)
    batch: Cost | None = None
    savings: Savings | None = None
    if fast:
        warnings.append("fast mode is not available with the Batch API; no batch price is shown")
    elif not info.batch:
        warnings.append(f"{info.id} is not available in the Message Batches API; no batch price is shown")
    elif at < table.batch.effective_from:
        warnings.append(f"the Message Batches API started on {table.batch.effective_from.isoformat()}")
    else:
        batch = cost(usage, info, mode="batch", requests=requests, at=at, geo=geo, table=table)
        savings = Savings.between(realtime, batch)
        warnings.extend(_batch_warnings(table, usage))
    return Quote(
        model=info.id,
        model_name=info.name,
        at=at,
        requests=requests,
        usage=usage,
        geo=geo,
        fast=fast,
        price_effective_from=priced.effective_from,
        pricing_version=table.version,
        pricing_checked=table.checked,
        pricing_sha256=table.sha256,
        realtime=realtime,
        batch=batch,
        savings=savings,
        warnings=tuple(warnings),
    )


def _warnings(
    priced: PricedModel, usage: Usage, requests: int | None, fast: bool, table: PriceTable
) -> list[str]:
    info, at = priced.model, priced.at
    out: list[str] = []
    lifecycle = info.lifecycle_warning(at, table)
    if lifecycle:
        out.append(lifecycle)
    fallback = info.fast_mode_fallback_warning(at) if fast else None
    if fallback:
        out.append(fallback)
    if priced.uncertain:
        out.append(
            f"the {info.id} rates in effect from {priced.effective_from.isoformat()} are marked "
            f"UNCERTAIN in the price data: {priced.uncertain}"
        )
    entry = info.price_at(at)
    tiers = () if (fast and not priced.fast_fallback) or entry is None else entry.tiers
    if requests is None:
        if tiers and usage.prompt_tokens > tiers[0].above_prompt_tokens:
            out.append(
                f"{info.id} bills a whole request at higher rates when its prompt is over "
                f"{tiers[0].above_prompt_tokens:,} tokens; the number of requests is unknown, so base "
                "rates were used. Say how many requests (--requests N) to apply the tier per request"
            )
        return out
    each = " per request" if requests > 1 else ""
    crossed = [t for t in tiers if usage.prompt_tokens > t.above_prompt_tokens * requests]
    if crossed:
        out.append(
            f"{usage.prompt_tokens / requests:,.0f} prompt tokens{each} is above "
            f"{crossed[-1].above_prompt_tokens:,}, so every token of each request, output included, "
            "is billed at the higher tier rates"
        )
    window = info.context_window_at(at)
    if window is not None and usage.total_tokens > window * requests:
        out.append(
            f"{usage.total_tokens / requests:,.0f} tokens{each} exceed {info.id}'s {window:,}-token "
            "context window, so the API would reject such a request"
        )
    if info.max_output is not None and usage.output_tokens > info.max_output * requests:
        out.append(
            f"{usage.output_tokens / requests:,.0f} output tokens{each} exceed {info.id}'s maximum "
            f"output of {info.max_output:,} tokens per request"
        )
    return out


def _batch_warnings(table: PriceTable, usage: Usage) -> list[str]:
    out: list[str] = []
    if usage.web_search_requests and not table.web_search.batch_discount:
        out.append(
            "web search fees are not discounted in batch (Anthropic does not document a discount; "
            "UNCERTAIN), so batch saves less than 50%"
        )
    if usage.cache_read_tokens:
        out.append(
            "cache hits inside a batch are best-effort (Anthropic reports typically 30% to 98%): "
            "requests run in parallel and may miss each other's cache writes"
        )
    return out
