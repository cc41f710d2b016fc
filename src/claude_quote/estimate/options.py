"""Checking :func:`~claude_quote.estimate.estimate`'s options and turning them into a new run: the
defaults, the calibration file, and an unknown ``--model`` refused before any file is read.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from claude_quote.cost import today
from claude_quote.errors import UsageError
from claude_quote.pricing import PriceTable, load_pricing
from claude_quote.workloads.text import DEFAULT_TEMPLATE, check_template

from .models import GroupBy
from .run import _Run

if TYPE_CHECKING:
    from claude_quote.calibration import Calibration

DEFAULT_CACHE_HIT_RATE = Decimal("0.3")
"""Share of the possible cache reads assumed to hit (Anthropic: "typically 30% to 98%" in batches)."""


def _check_options(
    output_tokens: int | None,
    output_ratio: Decimal | None,
    max_tokens: int | None,
    token_factor: Decimal | None,
    cache_hit_rate: Decimal | None,
    template: str | None,
    group_by: str | None,
) -> None:
    if output_tokens is not None and output_ratio is not None:
        raise UsageError("give either --output-tokens or --output-ratio, not both")
    if output_tokens is not None and output_tokens < 0:
        raise UsageError(f"--output-tokens must be 0 or more, got {output_tokens!r}")
    for name, value in (("--output-ratio", output_ratio), ("--token-factor", token_factor)):
        if value is not None and (not value.is_finite() or value < 0):
            raise UsageError(f"{name} must be a decimal number of 0 or more, got {value!r}")
    if token_factor is not None and token_factor == 0:
        raise UsageError("--token-factor must be more than 0")
    if max_tokens is not None and max_tokens < 1:
        raise UsageError(f"--max-tokens must be at least 1, got {max_tokens!r}")
    if cache_hit_rate is not None and not Decimal(0) <= cache_hit_rate <= Decimal(1):
        raise UsageError(f"--cache-hit-rate must be between 0 and 1, got {cache_hit_rate!r}")
    if template is not None:
        check_template(template)
    if group_by not in (None, "model", "prefix"):
        raise UsageError(f"group_by must be 'model' or 'prefix', got {group_by!r}")


def _calibration_from(calibration: Path | Calibration | None) -> tuple[Calibration | None, Path | None]:
    if calibration is None:
        return None, None
    from claude_quote.calibration import Calibration, load_calibration

    if isinstance(calibration, Calibration):
        return calibration, None
    return load_calibration(calibration), Path(calibration)


def _new_run(
    *,
    table: PriceTable | None,
    at: date | None,
    model: str | None = None,
    output_tokens: int | None,
    output_ratio: Decimal | None,
    template: str | None = None,
    max_tokens: int | None = None,
    text_column: str | None = None,
    calibration: Path | Calibration | None,
    token_factor: Decimal | None,
    cache_hit_rate: Decimal | None,
    group_by: GroupBy | None = None,
    skip_invalid: bool,
    exact: bool,
) -> _Run:
    _check_options(output_tokens, output_ratio, max_tokens, token_factor, cache_hit_rate, template, group_by)
    if exact and token_factor is not None:
        raise UsageError("give either --exact or --token-factor, not both: exact counts need no factor")
    cal, cal_path = _calibration_from(calibration)
    run = _Run(
        table=table or load_pricing(),
        at=at or today(),
        model=model,
        output_tokens=output_tokens,
        output_ratio=output_ratio,
        template=template if template is not None else DEFAULT_TEMPLATE,
        max_tokens=max_tokens,
        text_column=text_column,
        calibration=cal,
        calibration_path=cal_path,
        token_factor=token_factor,
        hit_rate=cache_hit_rate if cache_hit_rate is not None else DEFAULT_CACHE_HIT_RATE,
        group_by=group_by,
        skip_invalid=skip_invalid,
        exact=exact,
    )
    if model is not None:
        run.facts_for(model)  # an unknown --model fails before any file is read
    return run
