"""The cl100k_base mergeable ranks sorted by their bytes: a file that loads in about 7 ms, answers a
lookup by binary search, and gives the dict tiktoken's encoder is built from.

tiktoken builds its encoder from a ``dict[bytes, int]`` of 100,256 ranks. A small input needs a few
hundred lookups, not tiktoken's encoder: :class:`SortedRanks` keeps the tokens in a sorted list and
finds one by :func:`bisect.bisect_left` (about 1 µs), so :mod:`claude_quote.tokens.bpe` counts a
small input without building the encoder (about 70 ms) or the dict (about 25 ms more).

The file (``cl100k_base.ranks.marshal``, written by
:func:`claude_quote.tokens.encoding.write_ranks_cache` from the official ``cl100k_base.tiktoken``) is
one :mod:`marshal` value (format 4): the tuple ``("claude-quote sorted ranks 2", tokens, ranks)``,
``tokens`` the list of token bytes, sorted, and ``ranks`` the rank of each, as little-endian unsigned
32-bit integers in one ``bytes`` (an :class:`array.array` reads it in a copy: about 4 ms less than
100,256 ints from :mod:`marshal`).
"""

from __future__ import annotations

import marshal
import sys
from array import array
from bisect import bisect_left
from collections.abc import Mapping

__all__ = ["FORMAT", "SortedRanks"]

FORMAT = "claude-quote sorted ranks 2"
"""The first item of the file's tuple: what it holds, and the version of its layout."""


class SortedRanks:
    """Token bytes → rank, for tokens sorted by their bytes (see the module docs for the file)."""

    __slots__ = ("_ranks", "_tokens")

    def __init__(self, tokens: list[bytes], ranks: array[int]) -> None:
        if len(tokens) != len(ranks):
            raise ValueError(f"{len(tokens)} tokens but {len(ranks)} ranks")
        self._tokens = tokens
        self._ranks = ranks

    @classmethod
    def from_dict(cls, ranks: Mapping[bytes, int]) -> SortedRanks:
        """The ranks of a ``dict[bytes, int]`` (as tiktoken's ``load_tiktoken_bpe`` returns it), sorted."""
        tokens = sorted(ranks)
        return cls(tokens, array("I", [ranks[token] for token in tokens]))

    @classmethod
    def from_bytes(cls, data: bytes) -> SortedRanks:
        """Read the file format of the module docs.

        Raises:
            ValueError: the data is not such a file.
        """
        try:
            value = marshal.loads(data)
        except (EOFError, ValueError, TypeError) as exc:
            raise ValueError(f"not a sorted-ranks file ({exc})") from None
        if not (isinstance(value, tuple) and len(value) == 3 and value[0] == FORMAT):
            raise ValueError(f"not a sorted-ranks file (it does not hold {FORMAT!r})")
        _, tokens, packed = value
        if not (isinstance(tokens, list) and isinstance(packed, bytes) and len(packed) % 4 == 0):
            raise ValueError(
                "not a sorted-ranks file (its tokens are not a list or its ranks not 4-byte integers)"
            )
        ranks = array("I")
        if ranks.itemsize != 4:  # pragma: no cover - every platform CPython supports has a 4-byte "I"
            raise ValueError("this platform has no 4-byte unsigned integer array")
        ranks.frombytes(packed)
        if sys.byteorder == "big":  # pragma: no cover - the file is little-endian
            ranks.byteswap()
        return cls(tokens, ranks)

    def to_bytes(self) -> bytes:
        """The file format of the module docs."""
        ranks = array("I", self._ranks)
        if sys.byteorder == "big":  # pragma: no cover
            ranks.byteswap()
        return marshal.dumps((FORMAT, self._tokens, ranks.tobytes()), 4)

    def __len__(self) -> int:
        return len(self._tokens)

    def get(self, token: bytes) -> int | None:
        """The rank of ``token``, or None when it is not a token."""
        index = bisect_left(self._tokens, token)
        if index < len(self._tokens) and self._tokens[index] == token:
            return self._ranks[index]
        return None

    def to_dict(self) -> dict[bytes, int]:
        """Every token and its rank: what ``tiktoken.Encoding`` is built from."""
        return dict(zip(self._tokens, self._ranks, strict=True))
