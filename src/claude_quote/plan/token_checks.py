"""The checks that need the prompt's token count (an estimate by the model's counting model): over
or near the context window, over or near a price tier. Only requests that could reach one of those
thresholds are counted (see ``_could_flag`` in :mod:`.checks`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from claude_quote.engine import RateCard
from claude_quote.money import decimal_str
from claude_quote.pricing import ModelInfo
from claude_quote.tokens.correction import TextCount
from claude_quote.tokens.request import RequestShape

from .checks import uncertain_note

if TYPE_CHECKING:
    from .planner import Planner


def after_count(planner: Planner, shape: RequestShape, raw: list[TextCount]) -> None:
    """Check a counted request (``raw``: tiktoken counts and class scans of its texts) against the
    window and the tiers."""
    assert shape.line is not None
    model = planner.by_id[shape.facts.model.id]
    width = len(shape.texts)
    tools = raw[width:] if shape.tool_texts is not None else None
    prompt = model.counting.prefixes(raw[:width], tools, shape.fixed, shape.messages, shape.system)[0][-1]
    max_tokens = planner.pending.pop(shape.line)
    factor = model.method.factor
    estimate = (
        f"an estimate: tiktoken × {factor}"
        if factor is not None
        else "an estimate: tiktoken × content factors"
    )
    _check_window(planner, shape.line, shape.custom_id, model.info, prompt, max_tokens, estimate)
    _check_tiers(planner, shape.line, shape.custom_id, model.card, prompt, estimate)


def _check_window(
    planner: Planner,
    line: int,
    custom_id: str,
    info: ModelInfo,
    prompt: int,
    max_tokens: int | None,
    estimate: str,
) -> None:
    """Over or near the context window: the estimated prompt + ``max_tokens``."""
    keep = Decimal(1) - planner.margin
    percent = decimal_str(planner.margin * 100)
    window = info.context_window_at(planner.at)
    if window is not None:
        total = prompt + (max_tokens or 0)
        what = (
            f"estimated prompt {prompt:,} + max_tokens {max_tokens:,} = {total:,} tokens"
            if max_tokens
            else f"estimated prompt {prompt:,} tokens"
        )
        doubt = uncertain_note(info, "context_window")
        if total > window:
            planner.add(
                line,
                custom_id,
                "warning" if doubt else "error",
                "over_context_window",
                f"{what}, over {info.id}'s {window:,}-token context window: the API rejects it; "
                f"shorten the prompt or lower max_tokens ({estimate}){doubt or ''}",
            )
        elif total > window * keep:
            planner.add(
                line,
                custom_id,
                "warning",
                "near_context_window",
                f"{what}, within {percent}% of {info.id}'s {window:,}-token context window: the API "
                f"may reject it ({estimate})",
            )


def _check_tiers(
    planner: Planner, line: int, custom_id: str, card: RateCard, prompt: int, estimate: str
) -> None:
    """Over a price tier (billed whole at its rates), or near one."""
    keep = Decimal(1) - planner.margin
    percent = decimal_str(planner.margin * 100)
    model_id = card.model.id
    tier = card.tier(prompt)
    if tier:
        base, rates = card.rates[0], card.rates[tier]
        planner.add(
            line,
            custom_id,
            "warning",
            "tier_crossed",
            f"estimated prompt {prompt:,} tokens, over {model_id}'s {card.thresholds[tier - 1]:,}-token "
            f"tier ({estimate}): the whole request, output included, is billed at the tier's rates "
            f"(input ${_usd(rates[0])} vs ${_usd(base[0])}, output ${_usd(rates[4])} vs ${_usd(base[4])} "
            "per MTok); shorten the prompt to stay under it",
        )
        return
    near = [t for t in card.thresholds if prompt > t * keep]
    if near:
        planner.add(
            line,
            custom_id,
            "warning",
            "near_tier",
            f"estimated prompt {prompt:,} tokens, within {percent}% of {model_id}'s "
            f"{near[0]:,}-token tier: over it, the whole request is billed at the "
            f"tier's higher rates ({estimate})",
        )


def _usd(rate: Decimal | None) -> str:
    return "?" if rate is None else decimal_str(rate)
