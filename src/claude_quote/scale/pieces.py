"""Cutting inputs into pieces that can be counted apart: a JSONL file at line boundaries (each piece
knows the number of its first line, so errors name the same lines as one process does), Parquet row
groups, runs of text files.

A request's place in the input is its :data:`Position`: ``(file index, line)`` for request files,
``(file index, row)`` for tables, ``(file index, 0)`` for a text file. Positions order requests as one
process reads them, whatever the pieces: what the merge of partial results needs for the parts of an
estimate that depend on order (a cache prefix written by an *earlier* request, the first skipped line).

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "r.jsonl"
>>> _ = path.write_bytes(b"aaaa\\nbb\\ncccccc\\nd\\n")
>>> jsonl_cuts(path, 6)    # (start, end, first line): cut at the first newline after every 6 bytes
[(0, 8, 1), (8, 15, 3), (15, None, 4)]
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from claude_quote.workloads.files import stat_input

if TYPE_CHECKING:
    from claude_quote.errors import ClaudeQuoteError

__all__ = [
    "BLOCK",
    "Piece",
    "PieceKind",
    "Position",
    "default_jobs",
    "iter_jsonl_cuts",
    "jsonl_cuts",
    "piece_target",
    "resolve_jobs",
    "shrinking",
]

Position = tuple[int, int]
"""Where a request is in the input: (index of its file among the inputs, line or row; 0 for a text file)."""

PieceKind = Literal["requests", "table", "text", "results"]

BLOCK = 1 << 23
"""Bytes read at a time while looking for line boundaries (8 MiB)."""


@dataclass(frozen=True, slots=True)
class Piece:
    """A part of the input counted on its own: lines ``start``–``end`` (bytes) of one JSONL file, row
    groups of one Parquet file, a whole table, or a run of text files."""

    kind: PieceKind
    files: tuple[tuple[int, str], ...]
    """(index among the inputs, path or URL) of its file, or of each of its text files."""
    start: int = 0
    """First byte (a line's first byte) of a JSONL piece."""
    end: int | None = None
    """Byte after the last line of a JSONL piece (None: to the end of the file)."""
    first_line: int = 1
    """Number of the piece's first line (JSONL) or row (Parquet row groups) in its file."""
    row_groups: tuple[int, ...] | None = None
    """The Parquet row groups of the piece (None: the whole table)."""
    size: int = 0
    """Bytes of input the piece covers (what the progress bar counts)."""

    @property
    def key(self) -> Position:
        """The position of the piece's first request: pieces sort in input order."""
        return (self.files[0][0], 0 if self.kind == "text" else self.first_line)

    @property
    def path(self) -> str:
        """The piece's (first) file."""
        return self.files[0][1]


def default_jobs() -> int:
    """Worker processes by default: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def cuttable(path: str | Path) -> bool:
    """Whether a file can be cut at line boundaries by its bytes: a regular file, not gzip-compressed
    (by its name or by gzip's magic bytes: its lines are in the un-packed stream)."""
    file = Path(path)
    if file.name.lower().endswith(".gz"):
        return False
    info = stat_input(file)  # a path that cannot be looked at: the error naming it
    if info is None or not stat.S_ISREG(info.st_mode):
        return False
    with file.open("rb") as handle:
        return handle.read(2) != b"\x1f\x8b"


def resolve_jobs(jobs: int | None) -> int:
    """``jobs`` checked: None is :func:`default_jobs`.

    Raises:
        UsageError: fewer than 1.
    """
    if jobs is None:
        return default_jobs()
    if jobs < 1:
        from claude_quote.errors import UsageError

        raise UsageError(f"jobs must be at least 1, got {jobs!r}", field="jobs")
    return jobs


MIN_PIECE_BYTES = 4 << 20
"""The smallest piece worth a task (4 MiB)."""
MAX_PIECE_BYTES = 64 << 20


def piece_target(total: int, jobs: int) -> int:
    """Bytes per piece: about eight pieces per worker (so a slow piece does not hold the others up),
    between :data:`MIN_PIECE_BYTES` and 64 MiB."""
    return max(MIN_PIECE_BYTES, min(MAX_PIECE_BYTES, total // max(1, jobs * 8)))


def jsonl_cuts(path: str | Path, target: int) -> list[tuple[int, int | None, int]]:
    """``(start, end, first line)`` of pieces of about ``target`` bytes of a JSONL file, each cut just
    after a newline: the file is read once, counting newlines (no line is parsed)."""
    return list(iter_jsonl_cuts(path, lambda left: target))


def shrinking(jobs: int) -> Callable[[int], int]:
    """Piece sizes for ``jobs`` workers from the bytes left to cut: a share of what is left (a quarter
    of a worker's), between :data:`MIN_PIECE_BYTES` and 64 MiB. The pieces shrink towards the end of
    the input, so the workers finish together (the last pieces are small) while the first are big
    (few tasks)."""

    def target(left: int) -> int:
        return max(MIN_PIECE_BYTES, min(MAX_PIECE_BYTES, left // max(1, jobs * 4)))

    return target


def iter_jsonl_cuts(path: str | Path, target: Callable[[int], int]) -> Iterator[tuple[int, int | None, int]]:
    """:func:`jsonl_cuts`, each piece given as soon as its end is found (workers start on the first
    pieces while the rest of the file is cut), its size ``target(bytes left from its start)``."""
    size = Path(path).stat().st_size
    start, line = 0, 1
    if size <= target(size):
        yield (0, None, 1)
        return
    lines = offset = 0
    next_cut = target(size)
    with Path(path).open("rb", buffering=0) as handle:
        while block := handle.read(BLOCK):
            pos = counted = 0
            while next_cut - offset < len(block):
                i = block.find(b"\n", max(pos, next_cut - offset))
                if i < 0:
                    break
                counted += block.count(b"\n", pos, i + 1)
                pos = i + 1
                cut = offset + pos
                if cut >= size:  # the last line
                    break
                yield (start, cut, line)
                start, line = cut, lines + counted + 1
                next_cut = cut + target(size - cut)
            lines += counted + block.count(b"\n", pos)
            offset += len(block)
    yield (start, None, line)


@dataclass(frozen=True, slots=True)
class CapturedError:
    """An error raised while counting a piece, kept so it can cross processes and be raised again
    (the error classes do not all survive pickling as they are)."""

    kind: type[ClaudeQuoteError]
    args: tuple[Any, ...]
    state: dict[str, Any]

    @classmethod
    def of(cls, exc: ClaudeQuoteError) -> CapturedError:
        return cls(type(exc), exc.args, dict(vars(exc)))

    def renamed(self, names: dict[str, str]) -> CapturedError:
        """The same error with each of ``names``' keys replaced by its value in its message and path."""

        def swap(value: Any) -> Any:
            if isinstance(value, str):
                for old, new in names.items():
                    value = value.replace(old, new)
            return value

        return CapturedError(
            self.kind, tuple(swap(a) for a in self.args), {k: swap(v) for k, v in self.state.items()}
        )

    def error(self) -> ClaudeQuoteError:
        """The error, as it was raised."""
        exc = self.kind.__new__(self.kind)
        exc.args = self.args
        vars(exc).update(self.state)
        return exc
