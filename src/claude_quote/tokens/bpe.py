"""Counting small texts exactly as tiktoken's ``cl100k_base`` ``encode_ordinary`` does, without building
tiktoken's encoder.

Building ``tiktoken.Encoding`` costs about 110 ms of CPU (the ranks dict, then the Rust encoder built
from it entry by entry), which is most of what counting adds to the start-up of ``estimate``,
``check`` and ``calibrate`` on a few requests. Counting a few kilobytes needs a few hundred rank
lookups, so small inputs are counted here, from :class:`~claude_quote.tokens.ranks.SortedRanks` (a file
that loads in about 7 ms), by the same two steps as tiktoken:

1. The text is cut into pieces by cl100k_base's pattern (``PAT_STR`` in
   :mod:`claude_quote.tokens.encoding`), rewritten for Python's :mod:`re` (3.11 has the possessive
   quantifiers) with its Unicode classes spelled out: ``\\p{L}`` and ``\\p{N}`` as the letters and
   numbers of :mod:`unicodedata`, ``\\s`` as the Unicode White_Space property (what the Rust ``regex``
   crate tiktoken uses means by it; Python's own ``\\s`` would also take ``\\x1c``-``\\x1f``), and
   ``$`` (the end of the text there) as ``\\Z``.
2. A piece that is a token is one token; any other piece is merged by byte-pair ranks: start from
   its single bytes, repeatedly merge the adjacent pair whose concatenation has the lowest rank (the
   leftmost of equal ones) until no pair is a token. The count is the number of parts left.

Only texts within :data:`COVERED` are counted here: ASCII, the scripts up to U+07FF (Latin, Greek,
Cyrillic, Armenian, Hebrew, Arabic, ...), Latin Extended Additional, general punctuation and the
currency signs: blocks whose letters and numbers were all assigned long ago, so Python's Unicode
database and the Rust crate's agree on them (a test compares every one of these characters with
tiktoken, in several contexts). Any other text, and any piece longer than :data:`MAX_PIECE_BYTES`
(merging is quadratic in a piece's length), is left to tiktoken: :func:`bpe_counts` returns None.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from itertools import pairwise

from .ranks import SortedRanks

__all__ = ["COVERED", "MAX_PIECE_BYTES", "bpe_counts", "pieces", "token_bytes"]

COVERED = ((0x0000, 0x07FF), (0x1E00, 0x1EFF), (0x2000, 0x20CF))
"""The code points counted here (inclusive ranges); texts with any other are left to tiktoken."""

_WHITE_SPACE = r"\t\n\x0b\x0c\r \x85\xa0\u2000-\u200a\u2028\u2029\u202f\u205f"
"""Unicode's White_Space property (PropList.txt), within :data:`COVERED`."""

_OUTSIDE = re.compile("[^" + "".join(f"\\u{low:04x}-\\u{high:04x}" for low, high in COVERED) + "]")

MAX_PIECE_BYTES = 256
"""A longer piece (a run of letters, spaces or punctuation) is left to tiktoken."""

_NO_MERGE = 1 << 32
"""Above every rank: the pair is not a token."""


def _category_class(major: str) -> str:
    """The code points of :data:`COVERED` whose Unicode general category starts with ``major``, as the
    inside of a regular-expression class."""
    ranges: list[str] = []
    for low, high in COVERED:
        start = None
        for code in range(low, high + 2):
            inside = code <= high and unicodedata.category(chr(code))[0] == major
            if inside and start is None:
                start = code
            elif not inside and start is not None:
                end = code - 1
                ranges.append(f"\\u{start:04x}" if start == end else f"\\u{start:04x}-\\u{end:04x}")
                start = None
    return "".join(ranges)


@functools.cache
def pieces() -> re.Pattern[str]:
    """cl100k_base's pattern for texts within :data:`COVERED` (see the module docs)."""
    letters, numbers, space = _category_class("L"), _category_class("N"), _WHITE_SPACE
    return re.compile(
        r"'(?i:[sdmt]|ll|ve|re)"
        rf"|[^\r\n{letters}{numbers}]?+[{letters}]++"
        rf"|[{numbers}]{{1,3}}+"
        rf"| ?[^{space}{letters}{numbers}]++[\r\n]*+"
        rf"|[{space}]++\Z"
        rf"|[{space}]*[\r\n]"
        rf"|[{space}]+(?![^{space}])"
        rf"|[{space}]"
    )


def bpe_counts(texts: Sequence[str], ranks: SortedRanks) -> list[int] | None:
    """tiktoken cl100k_base's ``encode_ordinary`` count of each text, or None when a text has a
    character outside :data:`COVERED` or a piece longer than :data:`MAX_PIECE_BYTES` (then tiktoken
    counts them all)."""
    if not all(map(_covered, texts)):
        return None
    find = pieces().findall
    known: dict[str, int] = {}
    counts: list[int] = []
    for text in texts:
        total = 0
        for piece in find(text):
            count = known.get(piece)
            if count is None:
                data = piece.encode("utf-8")
                if len(data) > MAX_PIECE_BYTES:
                    return None
                count = known[piece] = len(_merged(data, ranks)) - 1
            total += count
        counts.append(total)
    return counts


def token_bytes(text: str, ranks: SortedRanks) -> list[bytes] | None:
    """The bytes of each token of ``text``, as tiktoken's ``decode_single_token_bytes`` gives them for
    its ``encode_ordinary``; None where :func:`bpe_counts` would be. (The tests compare these.)"""
    if not _covered(text):
        return None
    tokens: list[bytes] = []
    for piece in pieces().findall(text):
        data = piece.encode("utf-8")
        if len(data) > MAX_PIECE_BYTES:
            return None
        bounds = _merged(data, ranks)
        tokens.extend(data[start:end] for start, end in pairwise(bounds))
    return tokens


def _covered(text: str) -> bool:
    """Whether every character of ``text`` is within :data:`COVERED`."""
    return text.isascii() or _OUTSIDE.search(text) is None


def _merged(piece: bytes, ranks: SortedRanks) -> list[int]:
    """Where byte-pair merging cuts one piece: its parts are ``piece[bounds[j]:bounds[j + 1]]``."""
    if len(piece) == 1 or ranks.get(piece) is not None:
        return [0, len(piece)]

    def pair_rank(start: int, end: int) -> int:
        rank = ranks.get(piece[start:end])
        return _NO_MERGE if rank is None else rank

    bounds = list(range(len(piece) + 1))
    pairs = [pair_rank(j, j + 2) for j in range(len(piece) - 1)]  # pairs[j]: parts j and j + 1
    while pairs:
        best = min(pairs)
        if best == _NO_MERGE:
            break
        j = pairs.index(best)
        del bounds[j + 1]
        del pairs[j]
        if j < len(pairs):
            pairs[j] = pair_rank(bounds[j], bounds[j + 2])
        if j > 0:
            pairs[j - 1] = pair_rank(bounds[j - 1], bounds[j + 1])
    return bounds
