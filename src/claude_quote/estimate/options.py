"""What shapes an estimate, as one frozen value (:class:`EstimateOptions`), checked once when made; and
a new run from it (the calibration file read, an unknown ``model`` refused before any file is read).

The command line, the ``check`` config and Python callers all build one :class:`EstimateOptions`;
errors name the option as the field is called here (``output_tokens``), and the command line shows its
flag instead (``--output-tokens``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from claude_quote.engine import Engine, Geo, engine_for, today
from claude_quote.errors import UsageError
from claude_quote.pricing import PriceTable
from claude_quote.workloads.text import DEFAULT_TEMPLATE, check_template

from .models import GroupBy

if TYPE_CHECKING:
    from claude_quote.calibration import Calibration

    from .run import EstimateRun

__all__ = ["DEFAULT_CACHE_HIT_RATE", "EstimateOptions"]

DEFAULT_CACHE_HIT_RATE = Decimal("0.3")
"""Share of the possible cache reads assumed to hit (Anthropic: "typically 30% to 98%" in batches)."""


@dataclass(frozen=True)
class EstimateOptions:
    """How to read, count and price the requests of an estimate. Every field has a safe default.

    >>> EstimateOptions(model="haiku-4.5", output_tokens=200).output_tokens
    200
    >>> EstimateOptions(output_tokens=1, output_ratio=Decimal("0.5"))
    Traceback (most recent call last):
    ...
    claude_quote.errors.UsageError: give either output_tokens or output_ratio, not both
    """

    model: str | None = None
    """Price every request on this model (text files and tables need it, or a model column)."""
    output_tokens: int | None = None
    """Expected output tokens per request (the thinking budget is added)."""
    output_ratio: Decimal | None = None
    """Expected output as a multiple of each request's prompt tokens."""
    template: str | None = None
    """Prompt template for text files and text columns; ``{text}`` is the text."""
    max_tokens: int | None = None
    """Output limit per request for text files and tables (the worst case); given, it is every row's,
    over a table's ``max_tokens`` column (as ``model`` is over its ``model`` column)."""
    text_column: str | None = None
    """A table's text column (default ``text``, or an ``input_tokens`` column)."""
    calibration: Path | Calibration | None = None
    """A calibration file (see :mod:`claude_quote.calibration`), or one already read."""
    token_factor: Decimal | None = None
    """Claude tokens per tiktoken token for every model, instead of the defaults."""
    cache_hit_rate: Decimal | None = None
    """Share of possible cache reads that hit in the expected band (default 0.3)."""
    group_by: GroupBy | None = None
    """``"prefix"`` adds a breakdown by custom_id prefix (by model is always there)."""
    geo: Geo | None = None
    """``us``: price every request with US-only inference; ``global``: without. None: as each request
    says (``inference_geo``)."""
    fast: bool | None = None
    """True: price every request in fast mode; False: at standard speed. None: as each request says
    (``speed``)."""
    skip_invalid: bool = False
    """Skip malformed lines or rows (counted and warned about) instead of failing."""
    exact: bool = False
    """Count every request's prompt with Anthropic's count_tokens endpoint (see
    :mod:`claude_quote.tokens_exact`)."""
    sample: int | None = None
    """Estimate a uniform random sample of this many requests and extrapolate with a 95% interval."""
    seed: int | None = None
    """The sample's random seed (default: a random one, reported so the run can be repeated)."""
    include: tuple[str, ...] = ()
    """Globs: of the files found in a directory, read only those that match one (``*.md``,
    ``notes/*.txt``); files named explicitly are always read."""
    exclude: tuple[str, ...] = ()
    """Globs: of the files found in a directory, leave out those that match one."""
    encoding: str = "utf-8"
    """The encoding of text files (a text file that is not in it is an error, or skipped when found in
    a directory)."""

    def __post_init__(self) -> None:
        self._check_outputs()
        self._check_shares()
        if self.template is not None:
            check_template(self.template)
        if self.group_by not in (None, *get_args(GroupBy)):
            raise UsageError(f"group_by must be 'model' or 'prefix', got {self.group_by!r}", field="group_by")
        if self.geo not in (None, *get_args(Geo)):
            raise UsageError(f"geo must be 'global' or 'us', got {self.geo!r}", field="geo")
        if self.exact and self.token_factor is not None:
            raise UsageError(
                "give either exact or token_factor, not both: counts from count_tokens need no factor",
                field="exact",
            )
        if self.sample is not None and self.sample < 2:
            raise UsageError(
                f"sample must be at least 2 requests (a variance needs two), got {self.sample!r}",
                field="sample",
            )
        if self.seed is not None and self.sample is None:
            raise UsageError("seed needs sample", field="seed")
        self._check_encoding()

    def _check_encoding(self) -> None:
        try:
            b"a".decode(self.encoding)  # a text encoding Python knows (not rot13, base64, ...)
        except UnicodeError:  # utf-16: one byte is not a character, but the encoding is fine
            pass
        except LookupError:
            raise UsageError(
                f"encoding {self.encoding!r} is not a text codec Python knows (e.g. utf-8, latin-1, cp1252)",
                field="encoding",
            ) from None

    def _check_outputs(self) -> None:
        if self.output_tokens is not None and self.output_ratio is not None:
            raise UsageError("give either output_tokens or output_ratio, not both", field="output_tokens")
        if self.output_tokens is not None and self.output_tokens < 0:
            raise UsageError(
                f"output_tokens must be 0 or more, got {self.output_tokens!r}", field="output_tokens"
            )
        if self.max_tokens is not None and self.max_tokens < 1:
            raise UsageError(f"max_tokens must be at least 1, got {self.max_tokens!r}", field="max_tokens")

    def _check_shares(self) -> None:
        for name in ("output_ratio", "token_factor"):
            value: Decimal | None = getattr(self, name)
            if value is not None and (not value.is_finite() or value < 0):
                raise UsageError(f"{name} must be a decimal number of 0 or more, got {value}", field=name)
        if self.token_factor is not None and self.token_factor == 0:
            raise UsageError("token_factor must be more than 0", field="token_factor")
        rate = self.cache_hit_rate
        if rate is not None and not (rate.is_finite() and Decimal(0) <= rate <= Decimal(1)):
            raise UsageError(f"cache_hit_rate must be between 0 and 1, got {rate}", field="cache_hit_rate")

    def but(self, **changes: Any) -> EstimateOptions:
        """A copy with ``changes`` (checked again)."""
        return replace(self, **changes)

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """Every option's name (the command line maps each to its flag)."""
        return tuple(f.name for f in fields(cls))


def calibration_from(calibration: Path | Calibration | None) -> tuple[Calibration | None, Path | None]:
    """The calibration to use and the file it came from (None when given in memory)."""
    if calibration is None:
        return None, None
    from claude_quote.calibration import Calibration, load_calibration

    if isinstance(calibration, Calibration):
        return calibration, None
    return load_calibration(calibration), Path(calibration)


def new_run(options: EstimateOptions, *, table: PriceTable | Engine | None, at: date | None) -> EstimateRun:
    """A run of ``options`` on ``at`` (default today) with ``table``; an unknown model fails here."""
    from .run import EstimateRun

    cal, cal_path = calibration_from(options.calibration)
    engine = table if isinstance(table, Engine) else engine_for(table)
    run = EstimateRun(
        options=options,
        engine=engine,
        at=at or today(),
        template=options.template if options.template is not None else DEFAULT_TEMPLATE,
        calibration=cal,
        calibration_path=cal_path,
        hit_rate=options.cache_hit_rate if options.cache_hit_rate is not None else DEFAULT_CACHE_HIT_RATE,
    )
    if options.model is not None:
        run.facts_for(options.model)  # an unknown model fails before any file is read
    return run
