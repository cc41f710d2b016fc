"""Pieces of the input as Dask tasks on a cluster (``estimate --dask ADDRESS``, or ``--dask local`` for
a cluster of this machine's cores), their partial estimates merged on the client: the same estimate,
Decimal for Decimal, as one process gives.

Needs the ``dask`` extra (``pip install 'claude-quote[dask]'``) on the client and on every worker. The
workers read the files themselves, so the paths must be ones they can read: a filesystem they share
with the client (the same path on every machine), or an fsspec URL (``s3://bucket/requests/*.jsonl``,
``gs://...``, ``https://...``, with that protocol's package installed on the workers). A local file is
cut into pieces like ``--jobs`` cuts it (JSONL at line boundaries, Parquet by row groups); a file
behind a URL is one piece, copied to the worker's temporary directory to be read.
"""

from __future__ import annotations

import pickle
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claude_quote.errors import UsageError, WorkloadError
from claude_quote.workloads.requests import REQUEST_FILE_SUFFIXES

from .pieces import Piece, PieceKind

if TYPE_CHECKING:
    from claude_quote.estimate.models import Estimate
    from claude_quote.estimate.options import EstimateOptions
    from claude_quote.estimate.partial import EstimatePartial, PieceRunner
    from claude_quote.estimate.sample_parts import SamplePartial
    from claude_quote.pricing import PriceTable

__all__ = ["LOCAL", "client_for", "dask_estimate", "dask_partial", "dask_sample", "expand_urls", "is_url"]

LOCAL = "local"
"""``--dask local``: start a cluster of this machine's cores for the run."""

_RUNNERS: dict[bytes, PieceRunner] = {}


def _dask() -> Any:
    try:
        import distributed
    except ImportError:
        raise UsageError(
            "--dask needs Dask: pip install 'claude-quote[dask]' (on the client and every worker)"
        ) from None
    return distributed


def _fsspec() -> Any:
    import importlib

    # fsspec (a dependency of dask) ships no type information: imported by name, as Any.
    return importlib.import_module("fsspec")


def is_url(path: str | Path) -> bool:
    """Whether ``path`` is an fsspec URL other than a local file (``file://`` is a local path)."""
    text = str(path)
    return "://" in text and not text.startswith("file://")


def _local(path: str) -> str:
    return path.removeprefix("file://")


def expand_urls(paths: Sequence[str | Path]) -> list[str]:
    """Files named by ``paths``: local paths as :func:`~claude_quote.workloads.text.expand_paths`
    expands them, URLs through fsspec (a glob or a folder: every file below it, sorted).

    Raises:
        WorkloadError: a path or glob names nothing.
    """
    from claude_quote.workloads.text import expand_paths

    out: list[str] = []
    for path in paths:
        text = str(path)
        if not is_url(text):
            out += [str(p) for p in expand_paths([_local(text)])]
            continue
        fsspec = _fsspec()
        fs, _, found = fsspec.get_fs_token_paths(text)
        files: list[str] = []
        for item in found:
            files += sorted(fs.find(item)) if fs.isdir(item) else [item]
        if not files:
            raise WorkloadError(f"no files match {text!r}")
        protocol = text.split("://", 1)[0]
        out += [f if "://" in f else f"{protocol}://{f}" for f in files]
    return out


def _url_pieces(urls: list[tuple[int, str]]) -> list[Piece]:
    """One piece per remote file (read whole by the worker that gets it)."""
    fsspec = _fsspec()
    pieces = []
    for index, url in urls:
        fs, _, (path,) = fsspec.get_fs_token_paths(url)
        name = url.lower()
        kind: PieceKind = "text"
        if name.endswith(REQUEST_FILE_SUFFIXES):
            kind = "requests"  # refined on the worker, which reads the first line (a table otherwise)
        elif name.endswith((".csv", ".tsv", ".parquet", ".pq")):
            kind = "table"
        pieces.append(Piece(kind, ((index, url),), size=int(fs.size(path) or 0)))
    return pieces


def plan(files: Sequence[str], *, workers: int) -> list[Piece]:
    """Pieces of ``files`` for ``workers`` Dask workers (local files cut, URLs whole), in input order."""
    from claude_quote.estimate.partial import pieces_of

    pieces: list[Piece] = []
    start = 0
    while start < len(files):
        remote = is_url(files[start])
        end = start
        while end < len(files) and is_url(files[end]) == remote:
            end += 1
        run = list(files[start:end])
        if remote:
            pieces += _url_pieces(list(enumerate(run, start=start)))
        else:
            pieces += pieces_of([_local(f) for f in run], jobs=workers, start=start)
        start = end
    return pieces


@contextmanager
def _staged(piece: Piece) -> Iterator[tuple[Piece, dict[str, str]]]:
    """``piece`` with its remote files copied to a temporary folder, and the copies' URLs."""
    if not any(is_url(f) for _, f in piece.files):
        yield replace(piece, files=tuple((i, _local(f)) for i, f in piece.files)), {}
        return
    fsspec = _fsspec()
    folder = Path(tempfile.mkdtemp(prefix="claude-quote-"))
    try:
        files = []
        names: dict[str, str] = {}
        for index, url in piece.files:
            local = folder / f"{index}-{Path(url.split('://', 1)[1]).name}"
            with fsspec.open(url, "rb") as source, local.open("wb") as target:
                shutil.copyfileobj(source, target, 1 << 20)
            files.append((index, str(local)))
            names[str(local)] = url
        kind = piece.kind
        if kind == "requests":
            from claude_quote.estimate.reading import classify

            found = classify(Path(files[0][1]))
            kind = "table" if found == "table" else kind
        yield replace(piece, kind=kind, files=tuple(files)), names
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _runner(
    options: EstimateOptions, at: date, table: PriceTable | None, found: frozenset[Path]
) -> PieceRunner:
    from claude_quote.estimate.partial import PieceRunner

    key = pickle.dumps((options, at, table, found))
    runner = _RUNNERS.get(key)
    if runner is None:
        _RUNNERS.clear()
        runner = _RUNNERS[key] = PieceRunner(options, at=at, table=table, found=found)
    return runner


def estimate_task(
    piece: Piece,
    options: EstimateOptions,
    at: date,
    table: PriceTable | None,
    found: frozenset[Path] = frozenset(),
) -> EstimatePartial:
    """The partial estimate of one piece, on a worker (the runner made once per worker process)."""
    runner = _runner(options, at, table, found)
    with _staged(piece) as (local, names):
        partial = runner.piece(local)
    if names:
        partial.rename(names)
    return partial


def sample_task(
    piece: Piece, options: EstimateOptions, at: date, table: PriceTable | None, size: int, seed: int
) -> SamplePartial:
    """A piece's share of a sample, on a worker."""
    from claude_quote.estimate.sample_parts import SampleRunner

    return SampleRunner(options, at=at, table=table, size=size, seed=seed).piece(
        replace(piece, files=tuple((i, _local(f)) for i, f in piece.files))
    )


def dask_sample(
    files: Sequence[Path | str],
    options: EstimateOptions,
    *,
    at: date,
    table: PriceTable | None,
    address: str,
    size: int,
    seed: int,
) -> SamplePartial:
    """The pieces of ``files`` sampled as Dask tasks, merged on the client (the same sample as one
    process draws)."""
    from claude_quote.estimate.sample_parts import SamplePartial

    distributed = _dask()
    client = client_for(address)
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        pieces = plan([str(f) for f in files], workers=workers)
        futures = client.map(
            sample_task, pieces, options=options, at=at, table=table, size=size, seed=seed, pure=False
        )
        merged = SamplePartial(size)
        for future in distributed.as_completed(futures, loop=client.loop):
            merged.merge(future.result())
    finally:
        _close(client, address)
    return merged


def _close(client: Any, address: str) -> None:
    cluster = client.cluster if address == LOCAL else None
    client.close()
    if cluster is not None:
        cluster.close()


def client_for(address: str) -> Any:
    """A Dask client of the scheduler at ``address`` (``local``: a new cluster of this machine's cores,
    one single-threaded worker process per core, closed with the client)."""
    distributed = _dask()
    if address == LOCAL:
        from .pieces import default_jobs

        cluster = distributed.LocalCluster(
            n_workers=default_jobs(), threads_per_worker=1, processes=True, dashboard_address=None
        )
        return distributed.Client(cluster, set_as_default=False)
    return distributed.Client(address, set_as_default=False, timeout="30s")


def dask_partial(
    files: Sequence[str],
    options: EstimateOptions,
    *,
    at: date,
    table: PriceTable | None,
    client: Any,
    advance: Any = None,
    found: frozenset[Path] = frozenset(),
) -> EstimatePartial:
    """Every piece of ``files`` counted as a Dask task on ``client``'s cluster, merged on the client as
    the tasks finish (in any order: the merge does not depend on it)."""
    distributed = _dask()
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    pieces = plan(files, workers=workers)
    if not pieces:
        raise WorkloadError(f"no requests found in {', '.join(files)}")
    futures = client.map(estimate_task, pieces, options=options, at=at, table=table, found=found, pure=False)
    sizes = {f.key: p.size for f, p in zip(futures, pieces, strict=True)}
    merged: EstimatePartial | None = None
    try:
        for future in distributed.as_completed(futures, loop=client.loop):
            part = future.result()
            merged = part if merged is None else merged.merge(part)
            if advance is not None:
                advance(sizes[future.key])
    except BaseException:
        client.cancel(futures)
        raise
    assert merged is not None
    return merged


def dask_estimate(
    files: Sequence[str],
    options: EstimateOptions,
    *,
    at: date,
    table: PriceTable | None,
    address: str,
    progress: bool = False,
    run: Any = None,
) -> Estimate:
    """:func:`~claude_quote.estimate.estimate` of ``files`` (expanded: paths and URLs) on the Dask
    cluster at ``address``; ``run``: the estimate's run, which knows the files found in directories."""
    from claude_quote import terminal_progress
    from claude_quote.estimate.partial import estimate_of, result_of

    found = frozenset() if run is None else run.found
    client = client_for(address)
    try:
        total = sum(Path(_local(f)).stat().st_size for f in files if not is_url(f))  # URLs: no bar
        with terminal_progress.progress_bar(total, enabled=progress) as advance:
            merged = dask_partial(
                files, options, at=at, table=table, client=client, advance=advance, found=found
            )
    finally:
        _close(client, address)
    if run is not None:
        return result_of(merged, [Path(f) for f in files], run)
    return estimate_of(merged, files, options, at=at, table=table)
