"""A progress bar on stderr, only for people: shown on a terminal, never in a pipe, a file or CI."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["progress_bar", "wanted"]

Advance = Callable[[int], None]


def wanted() -> bool:
    """Whether a progress bar makes sense here: stderr is a terminal and ``CI`` is not set."""
    return sys.stderr.isatty() and not os.environ.get("CI")


def _ignore(_: int) -> None:
    return None


@contextmanager
def progress_bar(total: int, *, enabled: bool, label: str = "estimating") -> Iterator[Advance]:
    """Yield a function that advances the bar by a number of bytes (a no-op when not shown)."""
    if not enabled or not wanted():
        yield _ignore
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

    columns = (
        "{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(label, total=total or None)

        def advance(n: int) -> None:
            progress.advance(task, n)

        yield advance
