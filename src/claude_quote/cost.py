"""Quotes: what a number of tokens costs in real time and in batch, through the pricing engine.

:func:`cost` prices usage in one mode, :func:`quote` in both with the savings and every warning a
careful reader needs. Both are thin: every price rule lives in :mod:`claude_quote.engine`.

``usage`` is the total over ``requests`` equal requests. Tiers are chosen per request, so they need the
number of requests: with ``requests=None`` (the default, "unknown") no tier is applied and the quote
warns when one might apply. The command line follows the same rule (``--requests N``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from .engine import (
    Cost,
    CostLine,
    Engine,
    Geo,
    Ledger,
    LineKind,
    Mode,
    Modifiers,
    RateCard,
    Savings,
    Speed,
    card_notes,
    engine_for,
    today,
)
from .errors import PriceNotAvailableError, UsageError
from .pricing import ModelInfo, PriceTable
from .usage import Usage

__all__ = [
    "Cost",
    "CostLine",
    "Geo",
    "LineKind",
    "Mode",
    "Quote",
    "Savings",
    "Speed",
    "cost",
    "price_requests",
    "quote",
    "today",
]


def _check_requests(requests: object) -> None:
    if requests is None:
        return
    if isinstance(requests, bool) or not isinstance(requests, int) or requests < 1:
        raise UsageError(f"requests must be a whole number of at least 1, got {requests!r}")


def _modifiers(mode: Mode, geo: Geo, fast: bool) -> Modifiers:
    speed: Speed = "fast" if fast else "standard"
    return Modifiers(mode, geo, speed)


def cost(
    usage: Usage,
    model: str | ModelInfo,
    *,
    mode: Mode = "realtime",
    requests: int | None = None,
    at: date | None = None,
    geo: Geo = "global",
    fast: bool = False,
    table: PriceTable | None = None,
) -> Cost:
    """The exact cost of ``requests`` equal requests whose usage adds up to ``usage``.

    Args:
        usage: total usage of the requests.
        model: a model name (any accepted form) or a resolved :class:`ModelInfo`.
        mode: ``realtime`` or ``batch`` (every token line × the batch factor).
        requests: how many equal requests ``usage`` is spread over; the tier is chosen per request.
            None (the default) means "unknown": no tier is applied.
        at: the date whose prices apply (default: today, UTC).
        geo: ``us`` for US-only inference (× the data-residency multiplier).
        fast: fast-mode rates (not available in batch).
        table: the price table (default: the bundled one).

    Raises:
        UnknownModelError, PriceNotAvailableError, UsageError.
    """
    _check_requests(requests)
    engine = engine_for(table)
    card = engine.card(model, at or today(), _modifiers(mode, geo, fast))
    return engine.cost(usage, card, requests=requests)


def price_requests(
    usages: Iterable[Usage],
    model: str | ModelInfo,
    *,
    mode: Mode = "realtime",
    at: date | None = None,
    geo: Geo = "global",
    fast: bool = False,
    table: PriceTable | None = None,
) -> Cost:
    """The exact cost of many requests, one :class:`Usage` each, every one in its own tier.

    Requests billed alike (the same tier) are summed and priced once, which equals pricing them one
    by one to the last digit, and is fast: a million requests price in about a second
    (``benchmarks/bench_volume.py``). Mixed models or modifiers: use :class:`~claude_quote.engine.Ledger`.

    >>> usages = [Usage(input_tokens=100_000, output_tokens=1_000), Usage(input_tokens=100_001, output_tokens=1_000)]
    >>> price_requests(usages, "haiku-5.5", at=date(2026, 11, 25)).total  # base tier, then > 100K
    Decimal('0.0630005')
    """
    engine = engine_for(table)
    card = engine.card(model, at or today(), _modifiers(mode, geo, fast))
    ledger = Ledger(engine)
    ledger.add_many(card, usages)
    priced = ledger.cost()
    return priced if ledger.groups else Cost.zero(mode)


class Quote(BaseModel):
    """Real-time and batch cost of the same requests, with savings and everything needed to audit it."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

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
    requests: int | None = None,
    at: date | None = None,
    geo: Geo = "global",
    fast: bool = False,
    table: PriceTable | None = None,
    fail_on_retired: bool = False,
) -> Quote:
    """Price ``usage`` in real time and in batch, and the savings.

    ``usage`` is the total over ``requests`` equal requests (tiers are chosen per request; with
    ``requests=None``, the default, the count is unknown, no tier is applied and the quote says so when
    one might apply). The quote warns, rather than fails, about anything a careful reader should know:
    a retired model, rates marked uncertain in the data, a tier crossed, a request larger than the
    context window.

    >>> q = quote(Usage(input_tokens=5_000_000, output_tokens=2_000_000), "sonnet-4.6",
    ...           requests=1_000, at=date(2026, 11, 25))
    >>> q.realtime.total, q.batch.total, q.savings.amount, q.savings.percent
    (Decimal('45'), Decimal('22.5'), Decimal('22.5'), Decimal('50'))
    """
    _check_requests(requests)
    engine = engine_for(table)
    at = at or today()
    card = engine.card(model, at, _modifiers("realtime", geo, fast))
    info = card.model
    if fail_on_retired and info.is_retired(at):
        raise PriceNotAvailableError(f"{card.lifecycle}; nothing was priced")
    warnings = [*card_notes(card), *_request_warnings(card, usage, requests)]
    realtime = engine.cost(usage, card, requests=requests)
    batch: Cost | None = None
    savings: Savings | None = None
    if fast:
        warnings.append("fast mode is not available with the Batch API; no batch price is shown")
    elif not info.batch:
        warnings.append(f"{info.id} is not available in the Message Batches API; no batch price is shown")
    elif at < engine.table.batch.effective_from:
        warnings.append(f"the Message Batches API started on {engine.table.batch.effective_from.isoformat()}")
    else:
        batch = engine.cost(
            usage, engine.card(info, at, card.modifiers.with_mode("batch")), requests=requests
        )
        savings = Savings.between(realtime, batch)
        warnings.extend(_batch_warnings(engine, usage))
    return Quote(
        model=info.id,
        model_name=info.name,
        at=at,
        requests=requests,
        usage=usage,
        geo=geo,
        fast=fast,
        price_effective_from=card.effective_from,
        pricing_version=engine.table.version,
        pricing_sha256=engine.table.sha256,
        pricing_checked=engine.table.checked,
        realtime=realtime,
        batch=batch,
        savings=savings,
        warnings=tuple(warnings),
    )


def _request_warnings(card: RateCard, usage: Usage, requests: int | None) -> list[str]:
    info, at = card.model, card.at
    out: list[str] = []
    if requests is None:
        if card.thresholds and usage.prompt_tokens > card.thresholds[0]:
            out.append(
                f"{info.id} bills a whole request at higher rates when its prompt is over "
                f"{card.thresholds[0]:,} tokens; the number of requests is unknown, so base "
                "rates were used. Say how many requests (--requests N) to apply the tier per request"
            )
        return out
    each = " per request" if requests > 1 else ""
    tier = card.tier_of_total(usage.prompt_tokens, requests)
    if tier:
        out.append(
            f"{usage.prompt_tokens / requests:,.0f} prompt tokens{each} is above "
            f"{card.thresholds[tier - 1]:,}, so every token of each request, output included, "
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


def _batch_warnings(engine: Engine, usage: Usage) -> list[str]:
    out: list[str] = []
    if usage.web_search_requests and not engine.table.web_search.batch_discount:
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
