"""The bytes of the source, once, on a worker thread: the sha256 of the source and of its request
lines, and with a split, each request line copied into its part's temp file and read back from it.

The reading thread parses JSON (which holds the GIL) and hands the raw lines over in batches of
about 8 MiB, each line with the part it belongs to (0: no request: a blank or invalid line, or a
``.json`` document). hashlib and file writes release the GIL, so on two cores the hashing and
writing cost little time; at most two batches wait, so memory stays flat. On one CPU, or when the
machine's load leaves no CPU idle for the worker (:func:`_worker_pays`), the same work runs on the
reading thread, in the same order.

Each byte is hashed once while it is read: the request lines' sha256 is the source's until the
first byte where they differ (a blank or invalid line, a missing last newline), and only from there
a second hash runs. A part gets no hash of its own: where it ends, the request lines' running sha256
is copied (``sha256_through`` in the manifest: the sha256 of the parts up to this one, concatenated).
The lines of a batch are copied into one reused buffer (no new memory: a new 8 MiB ``bytes`` each time
costs more in page faults than the copy), hashed, written and read back into another reused
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
    def update(self, data: bytes | memoryview, /) -> None: ...
    def copy(self) -> _Hash: ...
    def hexdigest(self) -> str: ...


def _cores() -> int:
    """CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover - macOS, Windows


_IDLE_FOR_WORKER = 1.0
"""CPUs that must have been idle (this process's CPUs less the load average of the last minute) for
the worker thread to start. Measured on two CPUs (docs/performance.md): at a load average of 0.9
the worker made ``plan --split`` 0.82× its floor's wall-clock time against 1.24× without it; at 2
to 4 it cost 9-12% more CPU and 11-21% more wall-clock time than the same work on the reading
thread."""


def _load() -> float | None:
    """The machine's load average over the last minute (None where there is none: Windows)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - Windows
        return None


def _worker_pays() -> bool:
    """Whether a worker thread can run beside the reading thread: this process may use two CPUs or
    more and the machine has left a CPU idle for it. Where it would have to take turns with the
    reading thread or with other processes, it only adds switches: on a two-CPU machine whose other
    CPU was busy, plan --split took 9-12% more CPU time and 11-21% more wall-clock time with the
    worker than with the same work on the reading thread (docs/performance.md, "Planning a batch
    file")."""
    cores = _cores()
    if cores < 2:
        return False
    load = _load()
    return load is None or cores - load >= _IDLE_FOR_WORKER


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
        self._block = bytearray()  # the worker's: lines copied into one block
        self._batch: list[_Line] = []
        self._size = 0
        self._plain = True  # every line of the batch a request line of the source, with its newline
        self._pool: ThreadPoolExecutor | None = None
        self._in_flight: deque[Future[None]] = deque()
        self._inline = not _worker_pays()  # no CPU for a worker thread: it would only add switches

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
        """Hash the lines (and with a split, write them), a run of lines of one part at a time, each
        run one block: one hash update, one write, one read-back (each releases the GIL, so few
        hand-overs between the threads). A part's running sha256 is taken where it ends."""
        for part, run in itertools.groupby(batch, key=_part_of):
            lines = list(run)
            if self._writing and part and (self._current is None or self._current.index != part):
                self._open(part)
            if self._lines is None and plain:  # the request lines are still the source: one hash
                block = self._joined([raw for raw, _, _ in lines])
                self._source.update(block)
            else:
                self._hash(lines)
                block = self._joined([_ended(raw) for raw, _, _ in lines]) if self._writing and part else b""
            if self._writing and part:
                assert self._current is not None
                self._current.write(block, len(lines))

    def _hash(self, batch: list[_Line]) -> None:
        if self._lines is None:  # the first line where they differ: the lines' hash starts from here
            fork = next(
                (i for i, (raw, part, own) in enumerate(batch) if not (part and own and raw.endswith(b"\n"))),
                len(batch),
            )
            self._source.update(self._joined([raw for raw, _, _ in batch[:fork]]))
            if fork == len(batch):
                return
            self._lines = self._source.copy()
            batch = batch[fork:]
        self._source.update(self._joined([raw for raw, _, own in batch if own]))
        self._lines.update(self._joined([_ended(raw) for raw, part, _ in batch if part]))

    def _joined(self, chunks: list[bytes]) -> bytes | memoryview:
        """The chunks as one block: copied into one reused buffer (no new memory), valid until the
        next call."""
        if len(chunks) == 1:
            return chunks[0]
        size = sum(map(len, chunks))
        if len(self._block) < size:
            self._block = bytearray(size + (size >> 3))
        view = memoryview(self._block)
        start = 0
        for chunk in chunks:
            end = start + len(chunk)
            view[start:end] = chunk
            start = end
        return view[:size]

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
