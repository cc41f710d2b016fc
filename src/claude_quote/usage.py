"""Token usage in the buckets the Anthropic API bills: the shape of its ``usage`` object.

``input_tokens`` is the *uncached* input only, exactly like ``usage.input_tokens``; cache writes and
cache reads are separate buckets that add to it. The prompt of a request is all three together.

>>> u = Usage(input_tokens=1_000, cache_read_tokens=9_000, output_tokens=500)
>>> u.prompt_tokens
10000
>>> (u + u).output_tokens
1000
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import UsageError, invalid_fields
from .money import MAX_COUNT

__all__ = ["BUCKETS", "TOKEN_FIELDS", "Usage", "parse_token_count"]

_Count = Annotated[int, Field(ge=0, strict=True)]

TOKEN_FIELDS = (
    "input_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "cache_read_tokens",
    "output_tokens",
)
"""The token buckets, in the order reports show them."""

BUCKETS = (*TOKEN_FIELDS, "web_search_requests")
"""Every billed bucket: the token buckets, then web searches. :meth:`Usage.buckets` is in this order."""


class Usage(BaseModel):
    """Token (and web search) counts for one request or a sum of requests. Immutable; add with ``+``."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    input_tokens: _Count = 0
    """Uncached input tokens (``usage.input_tokens``)."""
    cache_write_5m_tokens: _Count = 0
    """Tokens written to the 5-minute cache (``cache_creation.ephemeral_5m_input_tokens``)."""
    cache_write_1h_tokens: _Count = 0
    """Tokens written to the 1-hour cache (``cache_creation.ephemeral_1h_input_tokens``)."""
    cache_read_tokens: _Count = 0
    """Tokens read from the cache (``usage.cache_read_input_tokens``)."""
    output_tokens: _Count = 0
    """Output tokens, thinking included (``usage.output_tokens``)."""
    web_search_requests: _Count = 0
    """Web searches (``usage.server_tool_use.web_search_requests``)."""

    if not TYPE_CHECKING:  # type checkers keep the typed keyword arguments of each field

        def __init__(self, /, **data: Any) -> None:
            """Counts by bucket; a bad one is a :class:`~claude_quote.errors.UsageError` (a ``ValueError``).

            >>> Usage(input_tokens=-1)
            Traceback (most recent call last):
            ...
            claude_quote.errors.UsageError: invalid Usage: input_tokens must be 0 or more (got -1)
            """
            try:
                self.__pydantic_validator__.validate_python(data, self_instance=self)
            except ValidationError as exc:
                errors = exc.errors(include_url=False)
                field = str(errors[0]["loc"][0]) if errors and errors[0]["loc"] else None
                raise UsageError(f"invalid Usage: {invalid_fields(errors)}", field=field) from None

    @property
    def cache_write_tokens(self) -> int:
        """Both cache-write buckets together (``usage.cache_creation_input_tokens``)."""
        return self.cache_write_5m_tokens + self.cache_write_1h_tokens

    @property
    def prompt_tokens(self) -> int:
        """Everything the model read: uncached input + cache writes + cache reads. Tiers use this."""
        return self.input_tokens + self.cache_write_tokens + self.cache_read_tokens

    @property
    def total_tokens(self) -> int:
        """Prompt plus output tokens."""
        return self.prompt_tokens + self.output_tokens

    def buckets(self) -> tuple[int, int, int, int, int, int]:
        """The counts in the order of :data:`BUCKETS`."""
        return (
            self.input_tokens,
            self.cache_write_5m_tokens,
            self.cache_write_1h_tokens,
            self.cache_read_tokens,
            self.output_tokens,
            self.web_search_requests,
        )

    @classmethod
    def from_buckets(cls, buckets: tuple[int, int, int, int, int, int]) -> Usage:
        """The inverse of :meth:`buckets`."""
        return cls(**dict(zip(BUCKETS, buckets, strict=True)))

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(**{k: getattr(self, k) + getattr(other, k) for k in type(self).model_fields})

    def __mul__(self, factor: object) -> Usage:
        if isinstance(factor, bool) or not isinstance(factor, int) or factor < 0:
            return NotImplemented
        return Usage(**{k: getattr(self, k) * factor for k in type(self).model_fields})

    __rmul__ = __mul__

    @classmethod
    def from_api(cls, usage: Mapping[str, Any]) -> Usage:
        """Build from an API ``usage`` object (a message's, or a batch result's ``message.usage``).

        The 5-minute / 1-hour split comes from ``cache_creation``; when it is absent (older responses),
        ``cache_creation_input_tokens`` is treated as 5-minute writes — see :meth:`lacks_cache_split`.
        """
        split = usage.get("cache_creation") or {}
        if split:
            write_5m = int(split.get("ephemeral_5m_input_tokens") or 0)
            write_1h = int(split.get("ephemeral_1h_input_tokens") or 0)
        else:
            write_5m = int(usage.get("cache_creation_input_tokens") or 0)
            write_1h = 0
        tools = usage.get("server_tool_use") or {}
        return cls(
            input_tokens=int(usage.get("input_tokens") or 0),
            cache_write_5m_tokens=write_5m,
            cache_write_1h_tokens=write_1h,
            cache_read_tokens=int(usage.get("cache_read_input_tokens") or 0),
            output_tokens=int(usage.get("output_tokens") or 0),
            web_search_requests=int(tools.get("web_search_requests") or 0),
        )

    @staticmethod
    def lacks_cache_split(usage: Mapping[str, Any]) -> bool:
        """True when cache writes are reported without the 5m/1h split (so we assumed 5m)."""
        return bool(usage.get("cache_creation_input_tokens")) and not usage.get("cache_creation")


_SUFFIXES = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
_COUNT = re.compile(r"^(?P<number>[0-9][0-9_,]*(?:\.[0-9]+)?)\s*(?P<suffix>[kmb]?)$", re.IGNORECASE)
_GROUPED = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?$")
_UNDERSCORED = re.compile(r"^[0-9]+(?:_[0-9]+)+(?:\.[0-9]+)?$")


def parse_token_count(text: str, *, what: str = "token count") -> int:
    """Parse a human token count: ``42``, ``5M``, ``2.5k``, ``1,000,000``, ``1_000_000``, ``3b``.

    Suffixes (any case): k = thousand, m = million, b = billion. The result must be a whole,
    non-negative number.

    >>> [parse_token_count(t) for t in ["42", "5M", "2.5k", "1,000,000", "1_000_000", "0.5m"]]
    [42, 5000000, 2500, 1000000, 1000000, 500000]
    >>> parse_token_count("1.5")
    Traceback (most recent call last):
    ...
    claude_quote.errors.UsageError: token count '1.5' is not a whole number of tokens
    """
    raw = text.strip()
    match = _COUNT.match(raw)
    if raw.startswith("-"):
        raise UsageError(f"{what} {text!r} is negative; counts must be 0 or more")
    if not match:
        raise UsageError(f"{what} {text!r} is not a number; write e.g. 42, 5M, 2.5k, 1,000,000 or 1_000_000")
    number = match["number"]
    if "," in number and not _GROUPED.match(number):
        raise UsageError(f"{what} {text!r} has misplaced thousands separators")
    if "_" in number and not _UNDERSCORED.match(number):
        raise UsageError(f"{what} {text!r} has misplaced underscores")
    value = Decimal(number.replace(",", "").replace("_", "")) * _SUFFIXES[match["suffix"].lower()]
    if value > MAX_COUNT:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise UsageError(f"{what} {shown!r} is more than {MAX_COUNT:,}; no real count is that large")
    if value != value.to_integral_value():
        raise UsageError(f"{what} {text!r} is not a whole number of tokens")
    return int(value)
