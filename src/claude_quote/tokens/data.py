"""The token data file (``pricing/tokens.toml``): how tiktoken counts become Claude counts, as data.

A sibling of the price table, shipped in the wheel and validated the same way (unknown keys, a
missing tokenizer or class, or a negative factor are errors naming the key). Its schema is published
as ``pricing/tokens.schema.json`` (``python -m claude_quote.schemas``); docs/tokens.md explains every
number and where it was measured.

The bundled file is read from ``tokens.validated.json`` when that was made from it
(:func:`write_validated_token_data`; its first line is the TOML's sha256): pydantic validates the JSON
without the TOML parser, which saves the counting commands about 10 ms of their start (importing
``tomllib`` and parsing). An edited TOML with a stale JSON is parsed instead; a test fails until the
JSON is made again.

>>> data = load_token_data()
>>> data.encoding, sorted(data.tokenizers)
('cl100k_base', ['claude-3', 'claude-4.7'])
>>> data.tokenizers["claude-3"].request_tokens
7
"""

from __future__ import annotations

import functools
import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from claude_quote.money import to_decimal
from claude_quote.pricing.load import bundled_data_file, read_validated, write_validated
from claude_quote.pricing.model import SourceId, TokenizerName
from claude_quote.validation import parse_toml, validate

from .classes import CLASSES, ClassName, JoinName

__all__ = [
    "ClassInfo",
    "ErrorBand",
    "MediaData",
    "TokenData",
    "TokenSource",
    "TokenizerData",
    "builtin_token_data_path",
    "load_token_data",
    "parse_token_data",
    "write_validated_token_data",
]


def _decimal_in(value: object) -> Decimal:
    return to_decimal(value, what="a number")


Number = Annotated[
    Decimal,
    BeforeValidator(_decimal_in),
    PlainSerializer(lambda d: format(d, "f"), return_type=str),
    WithJsonSchema({"type": ["number", "string"]}),
]
"""An exact Decimal. Written in TOML as a number (read as Decimal, never float) or a string."""
Factor = Annotated[Number, Field(gt=0, le=20)]
Tokens = Annotated[int, Field(ge=0, strict=True)]


class _Model(BaseModel):
    # Attribute docstrings document the fields; schema.py copies them into tokens.schema.json.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class TokenSource(_Model):
    """Where a measurement or a fact comes from."""

    title: str
    """What the source is and what it measured."""
    url: str | None = None
    """Where to read it."""
    path: str | None = None
    """The file in the repository, when the source is one."""
    commit: str | None = None
    """The commit the figures were read at."""
    read: date
    """When the source was read."""


class ClassInfo(_Model):
    """A content class of the scan (:mod:`claude_quote.tokens.classes`)."""

    description: str
    """Which characters it holds."""
    tokens_per_char: Annotated[Number, Field(gt=0, le=4)]
    """cl100k_base tokens per character of this class, measured with cl100k_base itself: a request's
    tiktoken count is shared among its classes in proportion to characters × this."""


class ErrorBand(_Model):
    """How far this model's counts were from Claude's, per request: ``(estimated − actual) ÷ actual``."""

    low: Annotated[Number, Field(gt=-1, le=0)]
    """The lower end of the interval (e.g. the 5th percentile: −0.15 means 15% under)."""
    high: Annotated[Number, Field(ge=0)]
    """The upper end of the interval (e.g. the 95th percentile)."""
    mean_abs: Annotated[Number, Field(ge=0)]
    """Mean absolute relative error per request."""
    mean_signed: Number
    """Mean signed relative error per request (negative: counts too low on average)."""
    aggregate: Number
    """Relative error of the summed counts of all the requests measured."""
    samples: Annotated[int, Field(gt=0, strict=True)]
    """How many measured requests the figures come from."""
    measured_on: str
    """Which measurements: e.g. "held-out public count_tokens measurements"."""


class TokenizerData(_Model):
    """The counting model of one Claude tokenizer generation."""

    description: str
    """Which models use this tokenizer."""
    factors: dict[ClassName, Factor]
    """Claude tokens per cl100k_base token, per content class (every class of [classes])."""
    request_tokens: Tokens
    """Tokens Claude adds to every request: the framing of one user message (what count_tokens
    reports for a one-message request beyond the message's own text)."""
    message_tokens: Tokens
    """Tokens Claude adds for each message after the first."""
    system_tokens: Tokens
    """Tokens Claude adds when the request has a system prompt (beyond its text)."""
    joins: dict[JoinName, Annotated[Number, Field(ge=0, le=5)]] = Field(default_factory=dict)
    """Extra cl100k_base tokens per join the scan counts (:data:`~claude_quote.tokens.classes.JOINS`),
    added to a text's tiktoken count before the class factors apply; a join not named counts 0."""
    tool_definition_factor: Annotated[Number, Field(gt=0, le=5)]
    """Claude's count of the ``tools`` definitions ÷ the count of the same JSON sent as text."""
    error: ErrorBand
    """The measured error of this model's counts."""
    sources: tuple[SourceId, ...]
    """Ids of the sources (see [sources])."""
    uncertain: dict[str, str] = Field(default_factory=dict)
    """Figures that rest on weak evidence: field name → why. Reports say so."""
    disputed: dict[str, str] = Field(default_factory=dict)
    """Models of this tokenizer whose own measured counts disagree with this model beyond its error
    band: model id → what was measured. Their estimates warn (:func:`~.correction.disputed_counts`)."""


class MediaData(_Model):
    """Images and PDF pages: counted without tiktoken (:mod:`claude_quote.tokens.media`)."""

    pixels_per_token: Annotated[int, Field(gt=0, strict=True)]
    """An image costs ``ceil(width × height ÷ pixels_per_token)`` tokens after scaling."""
    pdf_text_tokens_per_page: Annotated[int, Field(gt=0, strict=True)]
    """Text tokens charged per PDF page (besides the page as an image)."""
    sources: tuple[SourceId, ...]
    """Ids of the sources."""
    uncertain: dict[str, str] = Field(default_factory=dict)
    """Figures that rest on weak evidence: field name → why."""


class TokenData(_Model):
    """The token data file."""

    schema_version: int = Field(ge=1, le=1)
    """Version of this file format."""
    version: str
    """The data's version (the date it was assembled)."""
    encoding: str
    """The tiktoken encoding the factors apply to."""
    interval: Annotated[Number, Field(gt=0, lt=1)]
    """Coverage of every error band's [low, high] (0.9: the 5th to the 95th percentile)."""
    sources: dict[SourceId, TokenSource]
    """Every source, by id."""
    classes: dict[ClassName, ClassInfo]
    """The content classes of the scan, in its order."""
    tokenizers: dict[TokenizerName, TokenizerData]
    """The counting model of each Claude tokenizer."""
    media: MediaData
    """Images and PDF pages."""

    @model_validator(mode="after")
    def _complete(self) -> TokenData:
        missing = [c for c in CLASSES if c not in self.classes]
        if missing:
            raise ValueError(f"classes: missing {', '.join(missing)}")
        for name, tok in self.tokenizers.items():
            absent = [c for c in CLASSES if c not in tok.factors]
            if absent:
                raise ValueError(f"tokenizers.{name}.factors: missing {', '.join(absent)}")
            unknown = [s for s in tok.sources if s not in self.sources]
            if unknown:
                raise ValueError(f"tokenizers.{name}.sources: unknown source id(s) {', '.join(unknown)}")
        unknown = [s for s in self.media.sources if s not in self.sources]
        if unknown:
            raise ValueError(f"media.sources: unknown source id(s) {', '.join(unknown)}")
        for name in ("claude-3", "claude-4.7"):
            if name not in self.tokenizers:
                raise ValueError(f"tokenizers: missing {name}")
        return self

    def tau(self) -> tuple[float, ...]:
        """cl100k_base tokens per character of each class, in scan order."""
        return tuple(float(self.classes[c].tokens_per_char) for c in CLASSES)


def builtin_token_data_path() -> Path:
    """Where the bundled ``tokens.toml`` is: inside the installed package, else the source tree."""
    return bundled_data_file("tokens.toml", "token data")


def parse_token_data(data: bytes, *, origin: str) -> TokenData:
    """Parse and validate token data; errors name ``origin`` and the key."""
    return validate(TokenData, parse_toml(data, origin=origin), origin=origin)


VALIDATED_FILE = "tokens.validated.json"
"""The bundled token data already validated, as pydantic's JSON, after a first line ``sha256 <hex>``
of the ``tokens.toml`` it was made from (:func:`write_validated_token_data`; never edited)."""


@functools.cache
def load_token_data() -> TokenData:
    """The bundled token data (read once): from its validated JSON when that was made from this TOML."""
    path = builtin_token_data_path()
    data = path.read_bytes()
    found = _validated(hashlib.sha256(data).hexdigest())
    return found if found is not None else parse_token_data(data, origin=str(path))


def _validated(digest: str) -> TokenData | None:
    """The bundled validated token data when it was made from the TOML whose sha256 is ``digest``."""
    return read_validated(TokenData, VALIDATED_FILE, "validated token data", digest)


def write_validated_token_data(target: Path | None = None) -> Path:
    """Write :data:`VALIDATED_FILE` from the bundled TOML (beside it by default) and return its path.
    A development tool: run it after editing ``pricing/tokens.toml`` (a test says so)."""
    source = builtin_token_data_path()
    return write_validated(
        source, lambda data: parse_token_data(data, origin=str(source)), target or VALIDATED_FILE
    )
