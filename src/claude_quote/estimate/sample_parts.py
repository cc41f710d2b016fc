"""Sampling in pieces: every request gets a random key from the seed and its place in the input, and the
sample is the ``size`` requests with the smallest keys. Keys are independent and uniform, so every set of
``size`` requests is equally likely (a simple random sample without replacement, as the reservoir
algorithm gives); and a request's key does not depend on how the input was cut, so each piece keeps
its own smallest keys (:class:`SamplePartial`) and the merged sample is the same for any pieces, any
merge order, in this process, in worker processes or on a Dask cluster.

The key is SplitMix64's finaliser applied to the seed, then the file's index, then the request's line
or row (:func:`sample_key`). A Parquet file's rows are not read to be counted: the row groups'
metadata says how many there are, their keys are computed together (:func:`row_keys`), and only the
rows that end up in the sample are read.

>>> sample_key(7, 0, 1) == sample_key(7, 0, 1) != sample_key(7, 0, 2)
True
>>> [int(k) for k in row_keys(7, 0, 1, 3)] == [sample_key(7, 0, row) for row in (1, 2, 3)]
True
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from claude_quote.engine import Engine
from claude_quote.errors import ClaudeQuoteError, WorkloadError
from claude_quote.pricing import PriceTable
from claude_quote.scale.pieces import CapturedError, Piece, Position
from claude_quote.tokens.request import RequestShape

from .options import EstimateOptions
from .partial import PieceRunner, Skips, merged_skips, piece_items

if TYPE_CHECKING:
    import numpy as np

__all__ = ["SamplePartial", "SampleRunner", "row_keys", "sample_key", "sample_worker"]

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB

Picked = tuple[int, Position, Any]
"""(key, position, item): the item a request shape, ``("text", path)`` or ``("parquet", path)``."""


def _mix(x: int) -> int:
    z = (x + _GOLDEN) & _MASK
    z = ((z ^ (z >> 30)) * _M1) & _MASK
    z = ((z ^ (z >> 27)) * _M2) & _MASK
    return z ^ (z >> 31)


def sample_key(seed: int, index: int, item: int) -> int:
    """The sampling key of the request at line or row ``item`` of input file ``index`` (64 bits)."""
    return _mix(_mix(_mix(seed & _MASK) ^ index) ^ item)


def row_keys(seed: int, index: int, first: int, count: int) -> np.ndarray[Any, Any]:
    """:func:`sample_key` of rows ``first`` … ``first + count - 1`` of file ``index``, at once (numpy)."""
    import numpy as np

    base = np.uint64(_mix(_mix(seed & _MASK) ^ index))
    z = np.arange(first, first + count, dtype=np.uint64) ^ base
    with np.errstate(over="ignore"):
        z = z + np.uint64(_GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(_M1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(_M2)
    return z ^ (z >> np.uint64(31))


@dataclass
class SamplePartial:
    """A piece's share of a sample: how many requests it has, and its ``size`` smallest keys."""

    size: int
    population: int = 0
    skipped: int = 0
    skips: Skips = field(default_factory=list)
    """The first skipped lines, as :attr:`EstimatePartial.skips <claude_quote.estimate.partial.EstimatePartial.skips>`."""
    error: tuple[Position, CapturedError] | None = None
    picked: list[Picked] = field(default_factory=list)
    unread_rows: int = 0
    """Parquet rows counted from metadata (the sampled ones are read later)."""

    def merge(self, other: SamplePartial) -> SamplePartial:
        """Both pieces' sample (changes and returns ``self``)."""
        self.population += other.population
        self.skipped += other.skipped
        self.unread_rows += other.unread_rows
        if self.error is None or (other.error is not None and other.error[0] < self.error[0]):
            self.error = other.error
        self.skips = merged_skips(self.skips, other.skips)
        self.picked = heapq.nsmallest(self.size, [*self.picked, *other.picked], key=lambda p: (p[0], p[1]))
        return self


class SampleRunner:
    """Samples pieces of an input (made once per worker process)."""

    def __init__(
        self,
        options: EstimateOptions,
        *,
        at: date | None,
        table: PriceTable | Engine | None,
        size: int,
        seed: int,
    ) -> None:
        self.runner = PieceRunner(options.but(sample=None, seed=None), at=at, table=table)
        self.size, self.seed = size, seed

    def piece(self, piece: Piece, advance: Callable[[int], None] | None = None) -> SamplePartial:
        """The sample of ``piece``: every request read and checked (a text file or a Parquet row
        only counted), its ``size`` smallest keys kept."""
        part = SamplePartial(self.size)
        if piece.kind == "table" and piece.row_groups is not None:
            self._parquet(part, piece)
            if advance is not None:
                advance(piece.size)
            return part
        run = self.runner.new_run()
        heap: list[tuple[int, Position, Any]] = []  # the smallest keys, as a max-heap of negated keys
        try:
            for item in piece_items(run, piece, advance or _ignore):
                position = run.positions.popleft()
                part.population += 1
                key = sample_key(self.seed, position[0], position[1])
                if len(heap) == self.size and -key <= heap[0][0]:
                    continue
                kept: Any = item if isinstance(item, RequestShape) else ("text", str(item))
                entry = (-key, (-position[0], -position[1]), kept)
                if len(heap) < self.size:
                    heapq.heappush(heap, entry)
                else:
                    heapq.heapreplace(heap, entry)
        except ClaudeQuoteError as exc:
            at = run.reading if run.reading[0] >= 0 else piece.key
            if isinstance(exc, WorkloadError) and exc.line is not None:
                at = (at[0], exc.line)
            part.error = (at, CapturedError.of(exc))
        part.skipped = run.skipped
        part.skips = [(piece.key, order, CapturedError.of(error)) for order, error in enumerate(run.skips)]
        part.picked = sorted(((-k, (-p[0], -p[1]), item) for k, p, item in heap), key=lambda p: (p[0], p[1]))
        return part

    def _parquet(self, part: SamplePartial, piece: Piece) -> None:
        import numpy as np

        from claude_quote.workloads.tables import parquet_row_groups

        assert piece.row_groups is not None
        index, where = piece.files[0]
        groups = parquet_row_groups(where)
        count = sum(groups[g][0] for g in piece.row_groups)
        part.population = part.unread_rows = count
        if not count:
            return
        keys = row_keys(self.seed, index, piece.first_line, count)
        take = min(self.size, count)
        smallest = np.argpartition(keys, take - 1)[:take] if take < count else np.arange(count)
        part.picked = sorted(
            (int(keys[i]), (index, piece.first_line + int(i)), ("parquet", where)) for i in smallest.tolist()
        )


def _ignore(_: int) -> None:
    return None


def sample_worker(
    options: EstimateOptions, at: date, table: PriceTable | None, size: int, seed: int
) -> Callable[[Piece, Callable[[int], None]], SamplePartial]:
    """What a worker process runs on each piece of a sampled input."""
    return SampleRunner(options, at=at, table=table, size=size, seed=seed).piece
