"""Finding repeated ``custom_id`` s in a file of any size, exactly, in bounded memory.

A batch's custom_ids are unique, and the readers say so when they are not: ``custom_id 'x' already
appeared on line 3``. Keeping every id in a dict costs about 130 bytes a line; this index keeps a
64-bit hash and the line number of each (16 bytes), in memory up to :data:`MEMORY_RECORDS` of them and
then spilled to temporary files, partitioned by hash so that each part can be sorted alone. Equal hashes
are only candidates: the ids of their lines are read back from the file (the reader says how) and
compared exactly, so a duplicate is reported with both its lines and a hash collision never is.

The readers record every line whose id they checked, with whether the line went on to be accepted
(``first=True``: later lines with its id repeat it) or was refused for another reason after the check
(``first=False``: it repeats an earlier id, or is refused as it was). :meth:`DuplicateIds.find` then
gives what checking each line against the earlier accepted lines would have found, line by line:

>>> ids = DuplicateIds()
>>> for line, custom_id in enumerate(["a", "b", "a", "c", "a"], start=1):
...     ids.add(custom_id, line)
>>> text = {1: "a", 2: "b", 3: "a", 4: "c", 5: "a"}
>>> found = ids.find(lambda lines: {n: text[n] for n in lines})
>>> {line: (d.first_line, d.custom_id) for line, d in found.items()}
{3: (1, 'a'), 5: (1, 'a')}
"""

from __future__ import annotations

import tempfile
from array import array
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = ["MEMORY_RECORDS", "Duplicate", "DuplicateIds", "IdsAt"]

MEMORY_RECORDS = 1 << 18
"""Records (16 bytes each) kept in memory before the index spills to disk: 4 MB (and the sort of
that many when they are looked through, about as much again)."""

_PARTS = 256
"""Spill files: records go to one by the top 8 bits of their hash."""
_SMALL = 1 << 16
"""Up to this many records are resolved in pure Python (no numpy import)."""

IdsAt = Callable[[Collection[int]], Mapping[int, str]]
"""Reads the custom_ids of the given lines back from the file."""


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A line whose custom_id an earlier accepted line already had."""

    line: int
    first_line: int
    """The earliest accepted line with the same id."""
    custom_id: str

    @property
    def message(self) -> str:
        """The readers' message for it."""
        return (
            f"custom_id {self.custom_id!r} already appeared on line {self.first_line}; "
            "ids are unique in a batch"
        )


class DuplicateIds:
    """An exact check for repeated ids, in memory flat in the number of lines (see the module docs).

    Record lines in increasing line order with :meth:`add` (or, in a hot loop, the :attr:`hashes`
    and :attr:`lines` arrays directly: ``hashes.append(ids.hash(custom_id))``, ``lines.append(line)``, a
    negative line for ``first=False``, then :meth:`spill_if_full` now and then). Not thread-safe.
    """

    hash: Callable[[str], int] = staticmethod(hash)
    """How an id is hashed (Python's own, salted per process); a test may put a weaker one here."""

    def __init__(self, memory_records: int = MEMORY_RECORDS) -> None:
        self.memory_records = max(1, memory_records)
        self.hashes = array("q")
        self.lines = array("q")
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self.spilled = 0
        """Records written to disk so far."""

    def __len__(self) -> int:
        return self.spilled + len(self.hashes)

    def add(self, custom_id: str, line: int, *, first: bool = True) -> None:
        """Record that ``line`` (1-based) has ``custom_id``."""
        self.hashes.append(self.hash(custom_id))
        self.lines.append(line if first else -line)
        if len(self.hashes) >= self.memory_records:
            self.spill()

    def spill_if_full(self) -> None:
        """Spill when the records in memory reached :attr:`memory_records`."""
        if len(self.hashes) >= self.memory_records:
            self.spill()

    def spill(self) -> None:
        """Write the records in memory to the partition files and forget them."""
        if not self.hashes:
            return
        import numpy as np

        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="claude-quote-ids-")
        records = np.empty((len(self.hashes), 2), dtype=np.int64)
        records[:, 0] = np.frombuffer(self.hashes, dtype=np.int64)
        records[:, 1] = np.frombuffer(self.lines, dtype=np.int64)
        parts = (records[:, 0] >> 56) & 0xFF
        order = np.argsort(parts, kind="stable")
        records, parts = records[order], parts[order]
        bounds = np.searchsorted(parts, np.arange(_PARTS + 1))
        for part in range(_PARTS):
            start, stop = int(bounds[part]), int(bounds[part + 1])
            if start < stop:
                with (Path(self._folder.name) / f"{part:03d}").open("ab") as out:
                    records[start:stop].tofile(out)
        self.spilled += len(self.hashes)
        self.hashes = array("q")
        self.lines = array("q")

    def close(self) -> None:
        """Remove the spill files (also done when the index is garbage-collected)."""
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def find(self, ids_at: IdsAt, *, upto: int | None = None) -> dict[int, Duplicate]:
        """Every line (up to line ``upto``, when given) whose id an earlier accepted line had, exactly.

        ``ids_at(lines)`` reads the custom_ids of candidate lines (equal hashes) back from the file.
        """
        groups: list[list[int]] = []  # signed lines of records with equal hashes
        for hashes, lines in self._chunks():
            groups.extend(_equal_hashes(hashes, lines, upto))
        if not groups:
            return {}
        wanted = {abs(line) for group in groups for line in group}
        text = ids_at(wanted)
        found: dict[int, Duplicate] = {}
        for group in groups:
            by_id: dict[str, list[int]] = {}
            for line in group:
                by_id.setdefault(text[abs(line)], []).append(line)
            for custom_id, same in by_id.items():
                if len(same) < 2:
                    continue
                first: int | None = None
                for line in sorted(same, key=abs):
                    if first is not None:
                        found[abs(line)] = Duplicate(abs(line), first, custom_id)
                    elif line > 0:
                        first = line
        return dict(sorted(found.items()))

    def _chunks(self) -> list[tuple[array[int] | npt.NDArray[np.int64], array[int] | npt.NDArray[np.int64]]]:
        if self._folder is None:
            return [(self.hashes, self.lines)]
        import numpy as np

        self.spill()
        out: list[tuple[array[int] | npt.NDArray[np.int64], array[int] | npt.NDArray[np.int64]]] = []
        for part in range(_PARTS):
            path = Path(self._folder.name) / f"{part:03d}"
            if path.exists():
                records = np.fromfile(path, dtype=np.int64).reshape(-1, 2)
                out.append((records[:, 0], records[:, 1]))
        return out


def _equal_hashes(
    hashes: array[int] | npt.NDArray[np.int64], lines: array[int] | npt.NDArray[np.int64], upto: int | None
) -> list[list[int]]:
    """The signed lines of each set of records that share a hash (ignoring lines after ``upto``)."""
    if isinstance(hashes, array) and len(hashes) <= _SMALL:
        by_hash: dict[int, list[int]] = {}
        for value, line in zip(hashes, lines, strict=True):
            if upto is None or abs(line) <= upto:
                by_hash.setdefault(int(value), []).append(int(line))
        return [group for group in by_hash.values() if len(group) > 1]
    import numpy as np

    h = np.asarray(hashes, dtype=np.int64)
    n = np.asarray(lines, dtype=np.int64)
    if upto is not None:
        keep = np.abs(n) <= upto
        h, n = h[keep], n[keep]
    order = np.argsort(h, kind="stable")
    h, n = h[order], n[order]
    same = h[1:] == h[:-1]
    if not same.any():
        return []
    marked = np.zeros(len(h), dtype=bool)
    marked[1:] |= same
    marked[:-1] |= same
    groups: dict[int, list[int]] = {}
    for value, line in zip(h[marked].tolist(), n[marked].tolist(), strict=True):
        groups.setdefault(value, []).append(line)
    return list(groups.values())
