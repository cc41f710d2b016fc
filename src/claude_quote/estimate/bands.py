"""The token arithmetic of the cache bands: one request's measured figures (:class:`Measured`), the
sums of a (model, tier, group) bucket (:class:`Bucket`), the usage of either in a band, and the cache
prefixes of an exact count.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from claude_quote.engine import Modifiers
from claude_quote.usage import Usage

from .models import BandName


class CacheFigures(NamedTuple):
    """One request's cache writes and reads in the bands (see :class:`Measured`)."""

    write_5m: int
    write_1h: int
    read_best: int
    write_5m_best: int
    write_1h_best: int
    write_5m_expected: int
    write_1h_expected: int


NO_CACHE = CacheFigures(0, 0, 0, 0, 0, 0, 0)
"""A request without cache breakpoints."""


@dataclass(slots=True)
class Measured:
    """One request's counted figures: what a bucket sums and what a per-request estimate records."""

    model: str
    tier: int
    modifiers: Modifiers
    """How the request runs (mode realtime): data residency and speed."""
    group: str
    prompt: int
    write_5m: int
    """Cache writes when nothing hits (the ``miss`` band)."""
    write_1h: int
    read_best: int
    """Cache reads when every possible read hits (the ``best`` band)."""
    write_5m_best: int
    write_1h_best: int
    write_5m_expected: int
    """Cache writes in the ``expected`` band (rounded per request, so requests sum to their bucket)."""
    write_1h_expected: int
    output: int
    """Expected output tokens."""
    max_tokens: int
    raw_text: int
    """Uncorrected cl100k_base tokens of the request's text (0 when the count was given)."""
    fixed: int
    """Tokens that are not text (tool-use system prompt, images, PDF pages), or a given count."""
    modelled: int = 0
    """Prompt tokens the counting model estimated (text and framing): what its error band applies to."""
    features: tuple[float, ...] | None = None
    """tiktoken tokens per content class (kept for per-request estimates, which calibration fits)."""

    def usage(self, band: BandName = "expected", *, worst: bool = False) -> Usage:
        """This request's usage in ``band`` (the worst case: the ``miss`` band with ``max_tokens``)."""
        return _band_usage(self, band, self.max_tokens if worst else self.output)


@dataclass
class Bucket:
    """Token sums of requests of one model, one tier and one group."""

    requests: int = 0
    prompt: int = 0
    write_5m: int = 0
    write_1h: int = 0
    read_best: int = 0
    write_5m_best: int = 0
    write_1h_best: int = 0
    write_5m_expected: int = 0
    write_1h_expected: int = 0
    output_expected: int = 0
    output_worst: int = 0
    modelled: int = 0

    def add(self, m: Measured) -> None:
        self.requests += 1
        self.prompt += m.prompt
        self.modelled += m.modelled
        self.output_expected += m.output
        self.output_worst += m.max_tokens
        if m.write_5m or m.write_1h:  # else every cache figure is 0: no write, so nothing to read
            self.write_5m += m.write_5m
            self.write_1h += m.write_1h
            self.read_best += m.read_best
            self.write_5m_best += m.write_5m_best
            self.write_1h_best += m.write_1h_best
            self.write_5m_expected += m.write_5m_expected
            self.write_1h_expected += m.write_1h_expected

    def usage(self, band: BandName, *, worst: bool = False) -> Usage:
        return _band_usage(self, band, self.output_worst if worst else self.output_expected)


def _band_usage(sums: Measured | Bucket, band: BandName, output: int) -> Usage:
    """Usage in ``band`` of one request or of a bucket's sums (the same arithmetic for both)."""
    cached = sums.write_5m + sums.write_1h
    if band == "no_cache":
        return Usage(input_tokens=sums.prompt, output_tokens=output)
    write_5m, write_1h, read = sums.write_5m, sums.write_1h, 0
    if band == "best":
        write_5m, write_1h, read = sums.write_5m_best, sums.write_1h_best, sums.read_best
    elif band == "expected":
        write_5m, write_1h = sums.write_5m_expected, sums.write_1h_expected
        read = cached - write_5m - write_1h
    return Usage(
        input_tokens=sums.prompt - cached,
        cache_write_5m_tokens=write_5m,
        cache_write_1h_tokens=write_1h,
        cache_read_tokens=read,
        output_tokens=output,
    )


def round_half_even(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=decimal.ROUND_HALF_EVEN))


def scaled_prefixes(offline: list[int], exact: int) -> list[int]:
    """Cache prefix lengths for an exact total: each offline prefix's share of the offline total.

    count_tokens counts a whole request and knows nothing of caching, so a breakpoint's prefix is
    ``exact × offline prefix ÷ offline total``, rounded half up; the last prefix is ``exact`` itself.

    >>> scaled_prefixes([300, 1000], 1200), scaled_prefixes([0], 7)
    ([360, 1200], [7])
    """
    total = offline[-1]
    if total == 0:
        return [exact] * len(offline)
    return [(2 * exact * p + total) // (2 * total) for p in offline]
