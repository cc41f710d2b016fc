"""From tiktoken counts to Claude counts: content-class factors, framing, tools, and a stated error.

tiktoken's ``cl100k_base`` is OpenAI's tokenizer, not Claude's, and Anthropic publishes no local
tokenizer for Claude 3 and later. A :class:`CountingModel` turns a request's cl100k_base counts into
an estimate of Claude's count:

- each text's tiktoken count, plus ``joins`` extra tokens for every join the scan found (a
  punctuation mark, a lower-case letter or a capital directly before a letter or capital, a
  newline, a space before a non-ASCII character: places where Claude's tokenizers cut what
  cl100k_base keeps whole; and a text that starts with a digit, which Claude's framing does not
  join), is shared among its content classes (:mod:`.classes`: prose
  letters, digits, punctuation, whitespace, accented Latin, Greek/Cyrillic, other scripts, symbols,
  CJK, emoji) in proportion to characters × cl100k_base tokens per character, and each share is multiplied
  by its class's factor for the model's tokenizer (``ModelInfo.tokenizer``: ``claude-3`` up to 4.6,
  ``claude-4.7`` for 4.7 and later);
- the ``tools`` definitions, counted as their JSON text, are multiplied by the tokenizer's
  ``tool_definition_factor`` (Claude renders them in a little more than their JSON);
- the framing Claude adds is added: ``request_tokens`` per request (one user message), plus
  ``message_tokens`` for every further message and ``system_tokens`` with a system prompt.

:meth:`CountingModel.text_tokens` runs for every text, so it sums an ASCII text's classes only up
to the ASCII ones (:data:`~claude_quote.tokens.classes.ASCII_CLASSES`). That is the sum over every
class exactly, not approximately: the terms left out are ``0 × tau``, ``±0.0`` when ``tau`` (and
the weight) is finite, which the model checks once; a sum that starts from ``0`` is never ``−0.0``,
and adding ``±0.0`` to any other float leaves it as it is, bit for bit
(``tests/property/test_text_tokens.py`` checks it against the sum over every class).

The factors, framing and the measured error band of every tokenizer are data
(``pricing/tokens.toml``, :mod:`.data`); docs/tokens.md shows where each number comes from.
A calibration file (``claude-quote calibrate``) replaces a model's factors and framing with ones
learned from real usage; ``--token-factor X`` replaces the whole model with "X × tiktoken" (no
classes, no framing), as every earlier version of claude-quote counted.

>>> corrected(1000, Decimal("1.05")), corrected(1, Decimal("1.05")), corrected(0, Decimal("1.4175"))
(1050, 2, 0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import mul
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict

from claude_quote.pricing.model import ModelInfo, TokenizerName

from .classes import ASCII_CLASSES, CLASSES, FEATURES, JOINS
from .encoding import ENCODING_NAME

if TYPE_CHECKING:
    from claude_quote.calibration import ModelCalibration

    from .data import TokenData

__all__ = [
    "ZERO_COUNT",
    "CountingModel",
    "TextCount",
    "TokenMethod",
    "corrected",
    "counting_model",
    "counting_model_for_tokenizer",
    "default_method",
    "disputed_counts",
    "factor_ratio",
    "method_for",
]

TextCount = tuple[int, tuple[int, ...]]
"""One text's tiktoken count and its content-class scan (characters per class, then the joins:
:data:`~claude_quote.tokens.classes.FEATURES`; a scan without the joins counts none)."""

ZERO_COUNT: TextCount = (0, (0,) * len(FEATURES))
_NCLASSES = len(CLASSES)
_NO_WIDE = (0,) * (_NCLASSES - ASCII_CLASSES)
"""The counts of the classes after the ASCII ones in an ASCII text (:meth:`CountingModel.text_tokens`)."""


class TokenMethod(BaseModel):
    """How token counts were obtained: every report states it."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    method: Literal["tiktoken", "exact", "given", "mixed"]
    """``tiktoken`` (counted and corrected), ``exact`` (Anthropic's count_tokens), ``given`` (token
    counts read from the input) or ``mixed``."""
    encoding: str | None
    """The tiktoken encoding used (``cl100k_base``), or None when nothing was counted."""
    factor: Decimal | None
    """One correction factor applied to every tiktoken count (``--token-factor``, or a version 1
    calibration); None when the content-class factors apply, nothing was counted, or it varies."""
    calibrated: bool
    """Whether the factors come from a calibration file (measured on real usage)."""
    description: str
    """One line for people, e.g. ``tiktoken cl100k_base, claude-3 content factors + 7 framing tokens``."""
    factors: dict[str, Decimal] | None = None
    """Claude tokens per cl100k_base token of each content class, when the content model applies."""
    request_tokens: Decimal | None = None
    """Framing tokens added to every request (one user message), when the content model applies."""
    error_low: Decimal | None = None
    """Lower end of the expected per-request error of the counts, ``(estimated − actual) ÷ actual``
    (e.g. −0.15: up to 15% under); None when it is not known (a factor given by the user)."""
    error_high: Decimal | None = None
    """Upper end of the expected per-request error (e.g. 0.09: up to 9% over)."""
    interval: Decimal | None = None
    """Share of requests within [error_low, error_high] when they were measured (0.9)."""


def factor_ratio(factor: Decimal) -> tuple[int, int]:
    """The factor as an exact fraction (numerator, denominator)."""
    num, den = factor.as_integer_ratio()
    return num, den


def corrected(raw: int, factor: Decimal) -> int:
    """``ceil(raw × factor)``, exactly (never a float)."""
    num, den = factor_ratio(factor)
    return -((-raw * num) // den)


@dataclass(frozen=True, slots=True)
class CountingModel:
    """How one model's tiktoken counts become Claude counts (see the module docs)."""

    method: TokenMethod
    tau: tuple[float, ...]
    """cl100k_base tokens per character of each class."""
    factors: tuple[float, ...] | None
    """Factor per class; None for the single-factor model (``factor_num / factor_den``)."""
    factor_num: int
    factor_den: int
    request_tokens: float
    message_tokens: float
    system_tokens: float
    tool_factor: float
    band: tuple[Decimal, Decimal] | None
    """The expected per-request relative error (low, high) of :meth:`prefixes`' model part."""
    weights: tuple[float, ...] = ()
    """``tau_c × factor_c`` of each class (set from the two; what :meth:`text_tokens` multiplies by)."""
    joins: tuple[float, ...] = ()
    """Extra cl100k_base-equivalent tokens per join, in :data:`~claude_quote.tokens.classes.JOINS`
    order (none: the joins count nothing)."""
    ascii_tau: tuple[float, ...] = ()
    """:attr:`tau` of the ASCII classes, and ``ascii_weights`` their :attr:`weights` (set from the
    two when the other classes' are finite; else empty: :meth:`text_tokens` then sums every class)."""
    ascii_weights: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.factors is not None:
            weights = tuple(t * f for t, f in zip(self.tau, self.factors, strict=True))
            object.__setattr__(self, "weights", weights)
            if all(map(math.isfinite, self.tau[ASCII_CLASSES:] + weights[ASCII_CLASSES:])):
                object.__setattr__(self, "ascii_tau", self.tau[:ASCII_CLASSES])
                object.__setattr__(self, "ascii_weights", weights[:ASCII_CLASSES])

    @property
    def max_factor(self) -> Decimal:
        """The largest factor any text can get (for upper bounds)."""
        if self.factors is None:
            return Decimal(self.factor_num) / Decimal(self.factor_den)
        # a text has at most one tiktoken token and one join per byte, and the joins end on different
        # bytes (a letter after a punctuation mark, a capital after a lower-case letter or after a
        # capital, a digit first, a newline, the first byte of a non-ASCII character after a space):
        # at most 1 + the largest join
        top = max(self.factors) * max(self.tool_factor, 1.0) * (1.0 + max(self.joins, default=0.0))
        return Decimal(str(math.ceil(top * 1000) / 1000))

    def text_tokens(self, count: TextCount) -> float:
        """Claude tokens of one text by the class model (not rounded):
        ``(raw + Σ joins_j × n_j) × Σ chars_c × tau_c × factor_c ÷ Σ chars_c × tau_c``."""
        raw, chars = count
        if not raw:
            return 0.0
        tau, weights = self.tau, self.weights
        if self.ascii_tau and chars[ASCII_CLASSES:_NCLASSES] == _NO_WIDE:  # an ASCII text
            tau, weights = self.ascii_tau, self.ascii_weights
        # map stops at the shorter: tau and weights have no joins. float × int, not int × float: the
        # same product, without int's multiply declining first. sum(), never additions written out:
        # from Python 3.12 sum() adds floats compensated, so `0.0 + a + b` is not its float there
        den: float = sum(map(mul, tau, chars))
        effective: float = raw + sum(map(mul, self.joins, chars[_NCLASSES:]))
        if den <= 0:
            assert self.factors is not None
            return effective * self.factors[0]
        num: float = sum(map(mul, weights, chars))
        return effective * num / den

    def effective(self, count: TextCount) -> float:
        """A text's tiktoken count plus its joins' extra tokens (what the class factors multiply)."""
        raw, chars = count
        return raw + sum(map(mul, self.joins, chars[_NCLASSES:])) if raw else 0.0

    def class_tokens(self, count: TextCount, scale: float = 1.0) -> tuple[float, ...]:
        """A text's effective tiktoken count (:meth:`effective`) apportioned to the classes
        (× ``scale``): what calibration fits."""
        raw = self.effective(count)
        weights = [c * t for c, t in zip(count[1][:_NCLASSES], self.tau, strict=True)]
        total = sum(weights)
        if not raw or total <= 0:
            return (raw * scale,) + (0.0,) * (len(weights) - 1)
        return tuple(raw * scale * w / total for w in weights)

    def framing(self, messages: int, system: bool) -> float:
        """Framing tokens of a request with ``messages`` messages (and a system prompt)."""
        if self.factors is None:
            return 0.0
        extra = self.message_tokens * max(messages - 1, 0)
        return self.request_tokens + extra + (self.system_tokens if system else 0.0)

    def prefixes(
        self,
        texts: Sequence[TextCount],
        tools: Sequence[TextCount] | None,
        fixed: Sequence[int],
        messages: Sequence[int],
        system: bool,
    ) -> tuple[list[int], int, int]:
        """The prompt's length at the end of each segment (the last is the whole prompt), the
        uncorrected tiktoken count of its text, and the tokens the model estimated (text + framing).

        ``texts``, ``tools``, ``fixed`` and ``messages`` hold one entry per segment (a segment ends at
        a cache breakpoint): its text's count, its tool definitions' count, its tokens that are not
        text (images, PDF pages, the tool-use system prompt) and how many messages begin in it.
        """
        prefixes: list[int] = []
        raw_text = 0
        cum_fixed = 0
        if self.factors is None:
            num, den = self.factor_num, self.factor_den
            for i, (count, extra) in enumerate(zip(texts, fixed, strict=True)):
                raw_text += count[0] + (tools[i][0] if tools else 0)
                cum_fixed += extra
                prefixes.append(-((-raw_text * num) // den) + cum_fixed)
            return prefixes, raw_text, prefixes[-1] - cum_fixed
        model = self.request_tokens + (self.system_tokens if system else 0.0)
        if len(texts) == 1 and not tools:  # the common case: no breakpoint, no tools
            raw_text = texts[0][0]
            model += self.text_tokens(texts[0]) + self.message_tokens * max(messages[0] - 1, 0)
            tokens = math.floor(model + 0.5)
            return [tokens + fixed[0]], raw_text, tokens
        first = True  # the first message's framing is part of request_tokens
        for i, (count, extra) in enumerate(zip(texts, fixed, strict=True)):
            raw_text += count[0]
            model += self.text_tokens(count)
            if tools:
                raw_text += tools[i][0]
                model += self.tool_factor * self.text_tokens(tools[i])
            starts = messages[i] if i < len(messages) else 0
            if starts and first:
                starts, first = starts - 1, False
            model += self.message_tokens * starts
            cum_fixed += extra
            prefixes.append(math.floor(model + 0.5) + cum_fixed)
        return prefixes, raw_text, prefixes[-1] - cum_fixed


def _band(low: Decimal | None, high: Decimal | None) -> tuple[Decimal, Decimal] | None:
    return None if low is None or high is None else (low, high)


def _percent(value: Decimal) -> str:
    return f"{value * 100:+.0f}%".replace("-", "−")


def _band_text(method: TokenMethod) -> str:
    if method.error_low is None or method.error_high is None or method.interval is None:
        return "error unknown"
    share = f"{method.interval * 100:.0f}%"
    return f"{share} of requests within {_percent(method.error_low)}/{_percent(method.error_high)}"


def default_method(tokenizer: TokenizerName, data: TokenData | None = None) -> TokenMethod:
    """The uncalibrated content model of a tokenizer."""
    return counting_model_for_tokenizer(tokenizer, data).method


def disputed_counts(model: ModelInfo, method: TokenMethod, data: TokenData | None = None) -> str | None:
    """What was measured of ``model`` itself against its tokenizer's content model, when the two
    disagree beyond the model's error band (``disputed`` in the token data) and ``method`` is that
    model, uncalibrated; else None (a calibration or ``--exact`` counts the model's own way)."""
    if method.method != "tiktoken" or method.calibrated or method.factors is None:
        return None
    if data is None:
        from .data import load_token_data

        data = load_token_data()
    return data.tokenizers[model.tokenizer].disputed.get(model.id)


def counting_model_for_tokenizer(tokenizer: TokenizerName, data: TokenData | None = None) -> CountingModel:
    """The uncalibrated content model of a tokenizer, from the token data (default: the bundled file)."""
    if data is None:
        from .data import load_token_data

        data = load_token_data()
    tok = data.tokenizers[tokenizer]
    uncertain = " (partly UNCERTAIN, see docs/tokens.md)" if tok.uncertain else ""
    method = TokenMethod(
        method="tiktoken",
        encoding=ENCODING_NAME,
        factor=None,
        calibrated=False,
        description="",
        factors={c: tok.factors[c] for c in CLASSES},
        request_tokens=Decimal(tok.request_tokens),
        error_low=tok.error.low,
        error_high=tok.error.high,
        interval=data.interval,
    )
    method = method.model_copy(
        update={
            "description": f"tiktoken {ENCODING_NAME} × {tokenizer} content-class factors + framing, "
            f"uncalibrated; {_band_text(method)}{uncertain}"
        }
    )
    return CountingModel(
        method=method,
        tau=data.tau(),
        factors=tuple(float(tok.factors[c]) for c in CLASSES),
        factor_num=0,
        factor_den=1,
        request_tokens=float(tok.request_tokens),
        message_tokens=float(tok.message_tokens),
        system_tokens=float(tok.system_tokens),
        tool_factor=float(tok.tool_definition_factor),
        band=_band(tok.error.low, tok.error.high),
        joins=tuple(float(tok.joins.get(j, 0)) for j in JOINS),
    )


def _single(
    base: CountingModel, factor: Decimal, description: str, *, calibrated: bool, band: bool
) -> CountingModel:
    method = TokenMethod(
        method="tiktoken",
        encoding=ENCODING_NAME,
        factor=factor,
        calibrated=calibrated,
        description=description,
        error_low=base.method.error_low if band else None,
        error_high=base.method.error_high if band else None,
        interval=base.method.interval if band else None,
    )
    num, den = factor_ratio(factor)
    return CountingModel(
        method=method,
        tau=base.tau,
        factors=None,
        factor_num=num,
        factor_den=den,
        request_tokens=0.0,
        message_tokens=0.0,
        system_tokens=0.0,
        tool_factor=1.0,
        band=base.band if band else None,
    )


def counting_model(
    model: ModelInfo,
    *,
    token_factor: Decimal | None = None,
    calibration: ModelCalibration | None = None,
    calibration_file: Path | None = None,
    data: TokenData | None = None,
) -> CountingModel:
    """The counting model for ``model``: a given factor wins, then a calibration, then the default."""
    base = counting_model_for_tokenizer(model.tokenizer, data)
    if token_factor is not None:
        return _single(
            base,
            token_factor,
            f"tiktoken {ENCODING_NAME} × {token_factor}, factor given by the user (no content classes, "
            "no framing; error unknown)",
            calibrated=False,
            band=False,
        )
    if calibration is None:
        return base
    where = f" ({calibration_file.name})" if calibration_file is not None else ""
    if calibration.input_factor is not None:  # a version 1 file: one factor, framing included in it
        return _single(
            base,
            calibration.input_factor,
            f"tiktoken {ENCODING_NAME} × {calibration.input_factor}, calibrated{where} (one factor, "
            "framing included; error band of the uncalibrated model)",
            calibrated=True,
            band=True,
        )
    return _calibrated(base, calibration, where)


def _calibrated(base: CountingModel, entry: ModelCalibration, where: str) -> CountingModel:
    assert base.factors is not None
    assert base.method.factors is not None
    factors: dict[str, Decimal] = dict(base.method.factors)
    factors.update({str(c): f for c, f in (entry.factors or {}).items()})
    request = entry.request_tokens if entry.request_tokens is not None else base.method.request_tokens
    assert request is not None
    low = entry.error_low if entry.error_low is not None else base.method.error_low
    high = entry.error_high if entry.error_high is not None else base.method.error_high
    method = TokenMethod(
        method="tiktoken",
        encoding=ENCODING_NAME,
        factor=None,
        calibrated=True,
        description="",
        factors=dict(factors),
        request_tokens=request,
        error_low=low,
        error_high=high,
        interval=base.method.interval,
    )
    method = method.model_copy(
        update={
            "description": f"tiktoken {ENCODING_NAME} × calibrated content-class factors + {request} "
            f"framing tokens, calibrated{where}; {_band_text(method)}"
        }
    )
    return CountingModel(
        method=method,
        tau=base.tau,
        factors=tuple(float(factors[c]) for c in CLASSES),
        factor_num=0,
        factor_den=1,
        request_tokens=float(request),
        message_tokens=base.message_tokens,
        system_tokens=base.system_tokens,
        tool_factor=base.tool_factor,
        band=_band(low, high),
        joins=base.joins,
    )


def method_for(
    model: ModelInfo,
    *,
    token_factor: Decimal | None = None,
    calibration: ModelCalibration | None = None,
    calibration_file: Path | None = None,
) -> TokenMethod:
    """The :class:`TokenMethod` of :func:`counting_model`."""
    return counting_model(
        model, token_factor=token_factor, calibration=calibration, calibration_file=calibration_file
    ).method
