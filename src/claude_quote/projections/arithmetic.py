"""Exact arithmetic on token counts: a request's usage as six integer buckets (input, cache writes 5m
and 1h, cache reads, output, web searches), scaled to a month's requests and split half-even (batch
share, cache hits); and exact sums of Decimal amounts. Prices come from the pricing engine; nothing
here rounds money.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from decimal import Decimal

from claude_quote.money import EXACT, from_units, plain
from claude_quote.usage import Usage

TokenBuckets = tuple[int, int, int, int, int, int]
"""input, cache_write_5m, cache_write_1h, cache_read, output, web searches."""


def token_buckets(usage: Usage) -> TokenBuckets:
    return (
        usage.input_tokens,
        usage.cache_write_5m_tokens,
        usage.cache_write_1h_tokens,
        usage.cache_read_tokens,
        usage.output_tokens,
        usage.web_search_requests,
    )


def round_ratio(numerator: int, denominator: int) -> int:
    """``numerator ÷ denominator`` rounded half-even, in integers (both non-negative, denominator > 0)."""
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


def scaled(sample: TokenBuckets, requests: int, sample_requests: int) -> TokenBuckets:
    if sample_requests == 1:
        return (
            sample[0] * requests,
            sample[1] * requests,
            sample[2] * requests,
            sample[3] * requests,
            sample[4] * requests,
            sample[5] * requests,
        )
    i, w5, w1, r, o, s = (round_ratio(b * requests, sample_requests) for b in sample)
    return (i, w5, w1, r, o, s)


def share_of(tokens: TokenBuckets, part: int, whole: int) -> TokenBuckets:
    """The share ``part / whole`` of each bucket, half-even (so the two parts add up to the whole)."""
    if part == whole:
        return tokens
    if part == 0 or whole == 0:
        return (0, 0, 0, 0, 0, 0)
    i, w5, w1, r, o, s = (round_ratio(b * part, whole) for b in tokens)
    return (i, w5, w1, r, o, s)


def minus(a: TokenBuckets, b: TokenBuckets) -> TokenBuckets:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3], a[4] - b[4], a[5] - b[5])


def with_cache_hits(tokens: TokenBuckets, hit: tuple[int, int]) -> TokenBuckets:
    """Cacheable prompt split: ``hit`` of it read from the cache, the rest written to the 1-hour cache."""
    cacheable = tokens[1] + tokens[2] + tokens[3]
    reads = round_ratio(cacheable * hit[0], hit[1])
    return (tokens[0], 0, cacheable - reads, reads, tokens[4], tokens[5])


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    """The exact sum, without trailing zeros (``209.25 + 219.7125 + 208.3725`` is ``637.335``)."""
    with decimal.localcontext(EXACT):
        return plain(sum(values, Decimal(0)))


def exact_difference(a: Decimal, b: Decimal) -> Decimal:
    with decimal.localcontext(EXACT):
        return plain(a - b)


class MoneyColumns:
    """Exact sums of costs given in integer units of ``10^exponent`` dollars, kept at the smallest
    exponent seen (a smaller one rescales what was summed)."""

    def __init__(self, columns: int, length: int) -> None:
        self.exponent = 0
        self.columns = [[0] * length for _ in range(columns)]

    def scale(self, exponent: int) -> int:
        """The factor that brings units of ``10^exponent`` to this sum's exponent."""
        if exponent < self.exponent:
            finer: int = 10 ** (self.exponent - exponent)
            self.columns = [[value * finer for value in column] for column in self.columns]
            self.exponent = exponent
        factor: int = 10 ** (exponent - self.exponent)
        return factor

    def decimal(self, column: int, index: int) -> Decimal:
        return from_units(self.columns[column][index], self.exponent)
