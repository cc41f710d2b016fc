"""A progress bar on stderr, only for people: shown on a terminal, never in a pipe, a file or CI.

Every long job shows the same bar (bytes read of the input, speed, time left):

- :func:`progress_bar` for code that knows how far it has read (``estimate`` advances it request by
  request);
- :func:`watching` for a job that reads files it was given by name (``reconcile``, ``calibrate``,
  ``plan``): a thread looks, a few times a second, at how far this process has read each file (the
  offset of each open descriptor on it, from ``/proc/self/fd`` or ``/dev/fd``), so the readers need no
  hook. Where descriptors cannot be listed (Windows), no bar is shown.

No bar flashes by: it appears only once the job has run for :data:`DELAY` seconds and, by its pace so
far, still has as long to go. A small file never shows one.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["DELAY", "Bar", "progress_bar", "wanted", "watching"]

Advance = Callable[[int], None]

DELAY = 0.5
"""Seconds a job runs before its bar may appear (and the least time it must still have to go)."""

_POLL = 0.1
"""Seconds between two looks at the files :func:`watching` follows."""


def wanted() -> bool:
    """Whether a progress bar makes sense here: stderr is a terminal and ``CI`` is not set."""
    return sys.stderr.isatty() and not os.environ.get("CI")


def _ignore(_: int) -> None:
    return None


class Bar:
    """A bar over ``total`` bytes that shows itself only when the job is worth a bar (see the module)."""

    def __init__(
        self,
        total: int,
        label: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        show: Callable[[int, int, str], Any] | None = None,
    ) -> None:
        self.total, self.label = total, label
        self.done = 0
        self._clock = clock
        self._started = clock()
        self._show = show or _rich_bar
        self._shown: Any = None
        self._lock = threading.Lock()

    @property
    def shown(self) -> bool:
        """Whether the bar is on the screen."""
        return self._shown is not None

    def advance(self, n: int) -> None:
        """Count ``n`` more bytes read."""
        self.update(self.done + n)

    def update(self, done: int) -> None:
        """Set the bytes read so far."""
        with self._lock:
            self.done = done
            if self._shown is None:
                if not self._worth_showing():
                    return
                self._shown = self._show(self.total, done, self.label)
            self._shown.update(done)

    def _worth_showing(self) -> bool:
        elapsed = self._clock() - self._started
        if elapsed < DELAY:
            return False
        if not self.total or not self.done:
            return True
        remaining = elapsed * (self.total - self.done) / self.done
        return remaining >= DELAY

    def close(self) -> None:
        """Take the bar off the screen."""
        with self._lock:
            if self._shown is not None:
                self._shown.close()
                self._shown = None


class _RichBar:
    def __init__(self, total: int, done: int, label: str) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        columns = (
            "{task.description}",
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
        )
        self.progress = Progress(*columns, console=Console(stderr=True), transient=True)
        self.task = self.progress.add_task(label, total=total or None, completed=done)
        self.progress.start()

    def update(self, done: int) -> None:
        self.progress.update(self.task, completed=done)

    def close(self) -> None:
        self.progress.stop()


def _rich_bar(total: int, done: int, label: str) -> _RichBar:
    return _RichBar(total, done, label)


@contextmanager
def progress_bar(total: int, *, enabled: bool, label: str = "estimating") -> Iterator[Advance]:
    """Yield a function that advances the bar by a number of bytes (a no-op when not shown)."""
    if not enabled or not wanted():
        yield _ignore
        return
    bar = Bar(total, label)
    try:
        yield bar.advance
    finally:
        bar.close()


def _descriptor_dir() -> Path | None:
    for name in ("/proc/self/fd", "/dev/fd"):
        path = Path(name)
        if path.is_dir():
            return path
    return None


def read_offsets(files: dict[tuple[int, int], int]) -> dict[tuple[int, int], int]:
    """How far this process has read each file, by (device, inode): the largest offset of its open
    descriptors (files with no open descriptor are left out)."""
    folder = _descriptor_dir()
    found: dict[tuple[int, int], int] = {}
    if folder is None:
        return found
    try:
        names = [entry.name for entry in folder.iterdir()]
    except OSError:
        return found
    for name in names:
        try:
            fd = int(name)
            info = os.fstat(fd)
            key = (info.st_dev, info.st_ino)
            if key in files:
                found[key] = max(found.get(key, 0), os.lseek(fd, 0, os.SEEK_CUR))
        except (ValueError, OSError):  # closed meanwhile, not seekable, or not a number
            continue
    return found


class _Watcher:
    """Bytes read of some files: a file once seen open and now closed counts as read whole."""

    def __init__(self, paths: Iterable[str | Path]) -> None:
        self.sizes: dict[tuple[int, int], int] = {}
        for path in paths:
            try:
                info = Path(path).stat()
            except OSError:
                continue
            if info.st_size:
                self.sizes[(info.st_dev, info.st_ino)] = info.st_size
        self.total = sum(self.sizes.values())
        self.seen: dict[tuple[int, int], int] = {}

    def done(self) -> int:
        offsets = read_offsets(self.sizes)
        for key in self.seen:
            if key not in offsets:
                self.seen[key] = self.sizes[key]  # closed: read through
        for key, offset in offsets.items():
            self.seen[key] = max(self.seen.get(key, 0), min(offset, self.sizes[key]))
        return sum(self.seen.values())


@contextmanager
def watching(paths: Iterable[str | Path], *, enabled: bool, label: str) -> Iterator[None]:
    """Show a bar of how far this process has read ``paths`` while the block runs (see the module)."""
    if not enabled or not wanted() or _descriptor_dir() is None:
        yield
        return
    watcher = _Watcher(paths)
    if not watcher.total:
        yield
        return
    bar = Bar(watcher.total, label)
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(_POLL):
            bar.update(watcher.done())

    thread = threading.Thread(target=poll, name="claude-quote-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        bar.close()
