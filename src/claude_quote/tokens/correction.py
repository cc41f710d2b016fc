"""From tiktoken counts to Claude token estimates: one correction factor per Claude tokenizer.

tiktoken's ``cl100k_base`` is OpenAI's tokenizer, not Claude's, and Anthropic publishes no local
tokenizer for Claude 3 and later. We count with ``cl100k_base`` and multiply by a factor for the
model's tokenizer (``ModelInfo.tokenizer`` in the price table). The factors are derived from the
third-party measurements in PRICING-FACTS §7 and are UNCERTAIN; ``docs/tokens.md`` shows the working.

Derivation (English text; code and other languages differ, see docs/tokens.md):

- ``claude-3`` (Claude 3.x up to Sonnet/Opus 4.6): Claude uses about 16% more tokens than OpenAI's
  ``o200k_base`` on English articles (VentureBeat, May 2025), and ``cl100k_base`` uses about 8–12%
  more than ``o200k_base`` on English, so Claude ≈ cl100k × 1.16 / 1.10 ≈ **1.05**.
- ``claude-4.7`` (Opus 4.7 and later, the 5.x models, Haiku 5.5, Mythos): Anthropic says about 30%
  more tokens than the old tokenizer ("roughly 1x to 1.35x"; independent count_tokens runs measured
  1.13–1.47×). We take the top of Anthropic's range, 1.35, so 1.05 × 1.35 = **1.4175**.

A user's own factor (``--token-factor``) or a calibration file (``input_factor`` per model, learned
from real usage) replaces the default; the report then says so.

>>> corrected(1000, Decimal("1.05")), corrected(1, Decimal("1.05")), corrected(0, Decimal("1.4175"))
(1050, 2, 0)
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from claude_quote.pricing.model import ModelInfo, TokenizerName

from .encoding import ENCODING_NAME

__all__ = [
    "CLAUDE_3_FACTOR",
    "CLAUDE_4_7_FACTOR",
    "FACTORS",
    "TokenMethod",
    "corrected",
    "default_method",
    "factor_ratio",
    "method_for",
]

CLAUDE_3_FACTOR = Decimal("1.05")
"""Claude 3.x – 4.6 tokenizer vs cl100k_base: 1.16 (Claude vs o200k) ÷ ~1.10 (cl100k vs o200k). UNCERTAIN."""

CLAUDE_4_7_FACTOR = CLAUDE_3_FACTOR * Decimal("1.35")
"""Claude 4.7+ tokenizer vs cl100k_base: the claude-3 factor × 1.35 (top of Anthropic's "1x to 1.35x"). UNCERTAIN."""

FACTORS: dict[TokenizerName, Decimal] = {
    "claude-3": CLAUDE_3_FACTOR,
    "claude-4.7": CLAUDE_4_7_FACTOR,
}
"""Default correction factor per Claude tokenizer."""


class TokenMethod(BaseModel):
    """How token counts were obtained: every report states it."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    method: Literal["tiktoken", "exact", "given", "mixed"]
    """``tiktoken`` (counted and corrected), ``exact`` (Anthropic's count_tokens), ``given`` (token
    counts read from the input) or ``mixed``."""
    encoding: str | None
    """The tiktoken encoding used (``cl100k_base``), or None when nothing was counted."""
    factor: Decimal | None
    """The correction factor applied to tiktoken counts; None when nothing was counted or it varies."""
    calibrated: bool
    """Whether the factor comes from a calibration file (measured on real usage)."""
    description: str
    """One line for people, e.g. ``tiktoken cl100k_base × 1.05, uncalibrated``."""


def factor_ratio(factor: Decimal) -> tuple[int, int]:
    """The factor as an exact fraction (numerator, denominator)."""
    num, den = factor.as_integer_ratio()
    return num, den


def corrected(raw: int, factor: Decimal) -> int:
    """``ceil(raw × factor)``, exactly (never a float)."""
    num, den = factor_ratio(factor)
    return -((-raw * num) // den)


def default_method(tokenizer: TokenizerName) -> TokenMethod:
    """The uncalibrated default for a tokenizer."""
    factor = FACTORS[tokenizer]
    return TokenMethod(
        method="tiktoken",
        encoding=ENCODING_NAME,
        factor=factor,
        calibrated=False,
        description=f"tiktoken {ENCODING_NAME} × {factor}, uncalibrated ({tokenizer} tokenizer default, UNCERTAIN)",
    )


def method_for(
    model: ModelInfo,
    *,
    token_factor: Decimal | None = None,
    calibrated_factor: Decimal | None = None,
    calibration_file: Path | None = None,
) -> TokenMethod:
    """The method for ``model``: a given factor wins, then a calibrated one, then the default."""
    if token_factor is not None:
        return TokenMethod(
            method="tiktoken",
            encoding=ENCODING_NAME,
            factor=token_factor,
            calibrated=False,
            description=f"tiktoken {ENCODING_NAME} × {token_factor}, factor given by the user",
        )
    if calibrated_factor is not None:
        where = f" ({calibration_file.name})" if calibration_file is not None else ""
        return TokenMethod(
            method="tiktoken",
            encoding=ENCODING_NAME,
            factor=calibrated_factor,
            calibrated=True,
            description=f"tiktoken {ENCODING_NAME} × {calibrated_factor}, calibrated{where}",
        )
    return default_method(model.tokenizer)
