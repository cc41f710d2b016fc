"""The bytes of the source, once, on a worker thread: the sha256 of the source and of its request
lines, and with a split, each request line copied into its part's temp file and read back from it.

The reading thread parses JSON (which holds the GIL) and hands the raw lines over in batches of
about 8 MiB, each line with the part it belongs to (0: no request: a blank or invalid line, or a
``.json`` document). hashlib and file writes release the GIL, so on two cores the hashing and
writing cost little time; at most two batches wait, so memory stays flat. On one CPU the same work
runs on the reading thread, in the same order.

Each byte is hashed once while it is read: the request lines' sha256 is the source's until the
first byte where they differ (a blank or invalid line, a missing last newline), and only from there
a second hash runs. A part gets no hash of its own: where it ends, the request lines' running sha256
is copied (``sha256_through`` in the manifest: the sha256 of the parts up to this one, concatenated).
The lines are written as they are (``os.writev``, no joined copy) and read back into one reused
buffer, compared byte for byte with what was written, which needs no hash.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Protocol

from .writing import PartFile

if TYPE_CHECKING:
    from .writing import SplitDir

_BATCH_BYTES = 8 << 20
_IN_FLIGHT = 2

_Line = tuple[bytes, int, bool]
"""(raw line, part number or 0, whether the bytes are the source's)."""


class _Hash(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def copy(self) -> _Hash: ...
    def hexdigest(self) -> str: ...


def _cores() -> int:
    """CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover - macOS, Windows


def _ended(raw: bytes) -> bytes:
    return raw if raw.endswith(b"\n") else raw + b"\n"


class Sink:
    """Hashes the source and writes the parts (with a target directory), in order, off the reading thread."""

    def __init__(self, target: SplitDir | None = None) -> None:
        self.target = target
        self.files: list[PartFile] = []
        """Every part written, in order (complete and read back once :meth:`finish` returned)."""
        self._source: _Hash = hashlib.sha256()
        self._lines: _Hash | None = None  # None while the request lines are the source
        self._writing = target is not None
        self._current: PartFile | None = None
        self._batch: list[_Line] = []
        self._size = 0
        self._plain = True  # every line of the batch a request line of the source, with its newline
        self._pool: ThreadPoolExecutor | None = None
        self._in_flight: deque[Future[None]] = deque()
        self._inline = _cores() < 2  # one CPU: a worker thread would only add switches

    # -- the reading thread -----------------------------------------------------------------------

    def add(self, raw: bytes, part: int, in_source: bool = True) -> None:
        """One line, in file order: its bytes, its part (0: not a request), whether they are the source's."""
        self._batch.append((raw, part, in_source))
        self._size += len(raw)
        if self._plain and not (part and in_source and raw.endswith(b"\n")):
            self._plain = False
        if self._size >= _BATCH_BYTES:
            self._submit()

    def stop_writing(self) -> None:
        """Write no more parts and remove those written (the plan has an error)."""
        if self._writing:
            self._writing = False
            self._submit()
            self._run(self._discard)

    def finish(self) -> tuple[str, str]:
        """Wait for every line; the last part closed and read back. The source's and the request
        lines' sha256."""
        self._submit()
        self._run(self._close_current)
        while self._in_flight:
            self._in_flight.popleft().result()
        lines = self._source if self._lines is None else self._lines
        return self._source.hexdigest(), lines.hexdigest()

    def close(self) -> None:
        """End the worker; remove the temp files of the parts (those committed were renamed away)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._discard()

    def _submit(self) -> None:
        if self._batch:
            batch, plain = self._batch, self._plain
            self._batch, self._size, self._plain = [], 0, True
            self._run(self._consume, batch, plain)

    def _run(self, task: Callable[..., None], *args: object) -> None:
        if self._inline:
            task(*args)
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="claude-quote-plan-io")
        while self._in_flight and (len(self._in_flight) >= _IN_FLIGHT or self._in_flight[0].done()):
            self._in_flight.popleft().result()  # raises the worker's error here, early
        self._in_flight.append(self._pool.submit(task, *args))

    # -- the worker thread ------------------------------------------------------------------------

    def _consume(self, batch: list[_Line], plain: bool) -> None:
        """Hash the lines (and with a split, write them), one run of lines of the same part at a time:
        a part's running sha256 is taken where it ends."""
        for part, run in itertools.groupby(batch, key=_part_of):
            lines = list(run)
            if self._writing and part and (self._current is None or self._current.index != part):
                self._open(part)
            if self._lines is None and plain:  # the request lines are still the source: one hash
                _update(self._source, [raw for raw, _, _ in lines])
            else:
                self._hash(lines)
            if self._writing and part:
                assert self._current is not None
                self._current.write(
                    [raw for raw, _, _ in lines] if plain else [_ended(raw) for raw, _, _ in lines]
                )

    def _hash(self, batch: list[_Line]) -> None:
        if self._lines is None:  # the first line where they differ: the lines' hash starts from here
            fork = next(
                (i for i, (raw, part, own) in enumerate(batch) if not (part and own and raw.endswith(b"\n"))),
                len(batch),
            )
            _update(self._source, [raw for raw, _, _ in batch[:fork]])
            if fork == len(batch):
                return
            self._lines = self._source.copy()
            batch = batch[fork:]
        _update(self._source, [raw for raw, _, own in batch if own])
        _update(self._lines, [_ended(raw) for raw, part, _ in batch if part])

    def _open(self, part: int) -> None:
        assert self.target is not None
        self._close_current()
        self._current = PartFile(self.target.folder, part)
        self.files.append(self._current)

    def _close_current(self) -> None:
        if self._current is not None:
            current, self._current = self._current, None
            lines = self._source if self._lines is None else self._lines
            current.sha256_through = lines.copy().hexdigest()  # every request line up to its end
            current.close()

    def _discard(self) -> None:
        self._current = None
        for file in self.files:
            file.discard()
        self.files = []


def _part_of(line: _Line) -> int:
    return line[1]


def _update(hash: _Hash, chunks: list[bytes]) -> None:
    """Hash the chunks in order: one at a time when they are long (no copy; hashlib releases the GIL
    from 2 KiB), joined when they are short."""
    if len(chunks) > 1 and sum(map(len, chunks)) < len(chunks) << 12:
        hash.update(b"".join(chunks))
        return
    for chunk in chunks:
        hash.update(chunk)
