"""Pieces of the input counted in worker processes on this machine (``--jobs N``), merged as they
finish; one progress bar for all the workers; Ctrl-C stops them at once.

On Linux, when this process runs a single thread, the workers are forked from it (``fork``): they
begin with its imports and its price table, and start in a few milliseconds instead of about a
quarter of a second of CPU each (a fresh interpreter importing claude-quote). Anywhere else, or when
this process runs another thread (whose locks a forked child could inherit held; native threads
count, as ``/proc/self/task`` lists them), they are started fresh (``spawn``: nothing of this
process's state is copied into them); :func:`start_method` decides. Each worker makes its piece
runner once (``setup``: the price table, and the tokenizer when it first counts), then counts piece
after piece. Each worker adds the bytes it has read to one shared counter, which the parent shows.
A piece that fails returns its error in its partial: the pieces after it that have not started are
cancelled, those before it finish (an earlier piece may hold an earlier error, which is the one
reported, as one process would).

Workers ignore SIGINT: on Ctrl-C the parent terminates them and re-raises ``KeyboardInterrupt``. They
are started with SIGINT blocked (a process keeps its parent's signal mask through ``exec``), so a
Ctrl-C while a worker is still importing waits, and is dropped once the worker ignores it, instead
of interrupting the import with a traceback; the parent gets its own SIGINT once the worker is started.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from claude_quote import terminal_progress

from .pieces import Piece, Position

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor
    from multiprocessing.sharedctypes import Synchronized

__all__ = ["MIN_PARALLEL_BYTES", "Partial", "run_pieces", "start_method"]

MIN_PARALLEL_BYTES = 24 << 20
"""Inputs smaller than this (24 MiB) are counted in one process: starting workers (each reads the
price table and the tokenizer, ~0.5 s) would cost more than it saves."""

_FLUSH = 1 << 20


class Partial(Protocol):
    """What a piece returns: it merges, and may carry the error that stopped it."""

    @property
    def error(self) -> tuple[Position, Any] | None: ...


P = TypeVar("P", bound=Partial)
Work = Callable[[Piece, Callable[[int], None]], Any]

_work: Work | None = None
_counter: Synchronized[int] | None = None


def start_method() -> str:
    """``fork`` on Linux when this process runs one thread, else ``spawn`` (see the module docs)."""
    if not sys.platform.startswith("linux"):
        return "spawn"
    try:
        threads = len(os.listdir("/proc/self/task"))  # noqa: PTH208 - a count of names, no Paths needed
    except OSError:
        return "spawn"
    return "fork" if threads == 1 else "spawn"


def _init(setup: Callable[..., Work], args: tuple[Any, ...], counter: Synchronized[int]) -> None:
    global _work, _counter
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # held back by _sigint_held at the start: now dropped
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _work, _counter = setup(*args), counter


@contextmanager
def _sigint_held() -> Iterator[None]:
    """SIGINT blocked in this thread meanwhile: a worker process started here starts with it blocked
    (see the module docs); one that arrives meanwhile is delivered when the block ends."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows has no signal masks
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _submit(executor: ProcessPoolExecutor, piece: Piece) -> Future[Any]:
    """Hand ``piece`` to a worker; the executor starts a worker process here when none is idle."""
    with _sigint_held():
        return executor.submit(_run, piece)


def _run(piece: Piece) -> Any:
    assert _work is not None
    pending = 0

    def advance(n: int) -> None:
        nonlocal pending
        pending += n
        if pending >= _FLUSH:
            _flush()

    def _flush() -> None:
        nonlocal pending
        if pending and _counter is not None:
            with _counter.get_lock():
                _counter.value += pending
        pending = 0

    try:
        return _work(piece, advance)
    finally:
        _flush()


def run_pieces(
    pieces: Iterable[Piece],
    setup: Callable[..., Work],
    args: tuple[Any, ...],
    *,
    jobs: int,
    merge: Callable[[P, P], P],
    progress: bool = False,
    label: str = "estimating",
    total: int | None = None,
) -> P:
    """Every piece counted by ``setup(*args)(piece, advance)`` in ``jobs`` worker processes, the
    partials merged (``setup`` and ``args`` must pickle: ``setup`` a module-level function).

    ``pieces`` may be an iterator that finds them as it goes (:func:`~.pieces.iter_jsonl_cuts`): each
    is handed to a worker as soon as it is found, so the workers start while the rest is cut; then
    ``total`` (bytes of all the pieces, for the progress bar) must be given.

    Raises:
        KeyboardInterrupt: after the workers were stopped.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    workers, total = _workers_and_total(pieces, jobs, total)
    context = multiprocessing.get_context(start_method())
    counter: Synchronized[int] = context.Value("q", 0)
    executor = ProcessPoolExecutor(
        max_workers=max(1, workers),
        mp_context=context,
        initializer=_init,
        initargs=(setup, args, counter),
    )
    merged: P | None = None
    try:
        with terminal_progress.progress_bar(total, enabled=progress, label=label) as advance:
            futures: dict[Future[P], Piece] = {_submit(executor, piece): piece for piece in pieces}
            if not futures:
                raise ValueError("no pieces to count")
            merged = _gather(futures, merge, advance, counter)
    except BaseException:
        _stop(executor)
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    assert merged is not None
    return merged


def _workers_and_total(pieces: Iterable[Piece], jobs: int, total: int | None) -> tuple[int, int]:
    """How many workers to start, and the bytes of all the pieces (for the progress bar)."""
    if isinstance(pieces, Sequence):
        if not pieces:
            raise ValueError("no pieces to count")
        return min(jobs, len(pieces)), sum(p.size for p in pieces) if total is None else total
    if total is None:
        raise ValueError("total is needed with pieces found as they go")
    return jobs, total


def _gather(
    futures: dict[Future[P], Piece],
    merge: Callable[[P, P], P],
    advance: Callable[[int], None],
    counter: Synchronized[int],
) -> P | None:
    """The partials merged as the workers finish them, the progress bar moved by the bytes the workers
    counted; after a piece that failed, the pieces after it that have not started are cancelled (the
    earliest error is the one reported, as in one process)."""
    from concurrent.futures import FIRST_COMPLETED, wait

    merged: P | None = None
    shown = 0
    failed_at: Position | None = None
    while futures:
        done, _ = wait(futures, timeout=0.1, return_when=FIRST_COMPLETED)
        value = counter.value
        advance(value - shown)
        shown = value
        for future in done:
            piece = futures.pop(future)
            if future.cancelled():
                continue
            part = future.result()
            merged = part if merged is None else merge(merged, part)
            if part.error is not None and (failed_at is None or piece.key < failed_at):
                failed_at = piece.key
                for other, later in futures.items():
                    if later.key > failed_at:
                        other.cancel()
    return merged


def _stop(executor: ProcessPoolExecutor) -> None:
    """Terminate the workers now (on Ctrl-C or a failure: a piece may take seconds)."""
    processes = getattr(executor, "_processes", None) or {}
    for process in list(processes.values()):
        if process.is_alive():
            process.terminate()
