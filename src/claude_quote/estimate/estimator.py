"""The entry point :func:`estimate`: check the options, read and count every file (or a random sample
of the requests) and sum the requests into an :class:`~claude_quote.estimate.Estimate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from claude_quote import terminal_progress
from claude_quote.errors import UsageError, WorkloadError
from claude_quote.pricing import PriceTable
from claude_quote.scale.pieces import resolve_jobs
from claude_quote.workloads.text import expand_paths, select_files

from .models import Estimate
from .options import EstimateOptions, new_run
from .pipeline import count_all
from .reading import drop_non_text, shapes
from .result import result

if TYPE_CHECKING:
    from .run import EstimateRun


def estimate(
    paths: Sequence[str | Path],
    options: EstimateOptions | None = None,
    *,
    at: date | None = None,
    table: PriceTable | None = None,
    progress: bool = False,
    jobs: int | None = 1,
    dask: str | None = None,
) -> Estimate:
    """Estimate the real-time and batch cost of the requests in ``paths``.

    Args:
        paths: Message Batches JSONL, request JSON, CSV/TSV/Parquet/JSONL tables, text files,
            directories (read recursively) or glob patterns.
        options: how to read, count and price them (:class:`EstimateOptions`; default: as the files say).
        at: the date whose prices apply (default: today, UTC).
        table: the price table (default: the bundled one).
        progress: show a progress bar on stderr when it is a terminal and ``CI`` is not set.
        jobs: worker processes that count pieces of a big input at once (None: one per core; 1: this
            process only). Inputs under 24 MiB and exact counts use this process. The result is the
            same, Decimal for Decimal. Call it under ``if __name__ == "__main__":`` in a script (the
            workers start a fresh interpreter that imports your main module).
        dask: the address of a Dask scheduler (``tcp://host:8786``), or ``local`` for a cluster of
            this machine's cores: the pieces of the input are counted as Dask tasks (see
            :mod:`claude_quote.scale.dask`; paths may be fsspec URLs). Needs ``claude-quote[dask]``.

    Raises:
        WorkloadError: a file is missing or malformed (the message names file and line), or a request
            cannot be priced (an unknown modifier, fast mode on a model without it, ...).
        UnknownModelError: a request names an unknown model (with suggestions).
        UsageError: contradictory or invalid options.
        ConfigError: an invalid calibration file.
        TokenizerUnavailableError: no offline copy of the tiktoken encoding.
        ExactCountError: ``exact`` without the SDK or a key, or count_tokens kept failing.
    """
    if isinstance(paths, str | Path) or not paths:
        raise UsageError("give a list of one or more files, directories or glob patterns to estimate")
    options = options or EstimateOptions()
    run = new_run(options, table=table, at=at)
    if dask is not None and options.exact:
        raise UsageError("exact counts are made in one process (count_tokens is the limit): drop dask")
    if dask is not None and options.sample is None and _any_url(paths):
        from claude_quote.scale.dask import dask_estimate, expand_urls

        urls = expand_urls(paths)
        return dask_estimate(urls, options, at=run.at, table=table, address=dask, progress=progress)
    files = _selected_files(run, paths, options)
    total = sum(f.stat().st_size for f in files)
    workers = 1 if options.exact else resolve_jobs(jobs)
    if options.sample is None:
        return _every_request(run, files, total, workers, table=table, progress=progress, dask=dask)
    from .sampling import sampled_estimate

    return sampled_estimate(
        run,
        files,
        total,
        size=options.sample,
        seed=options.seed,
        progress=progress,
        jobs=workers,
        table=table,
        dask=dask,
    )


def _selected_files(run: EstimateRun, paths: Sequence[str | Path], options: EstimateOptions) -> list[Path]:
    """The files to read: ``paths`` expanded, filtered by ``--include``/``--exclude`` and left without
    the files that are not text (each skip a note in ``run``); an error when none is left."""
    skipped: list[str] = []
    files, run.found = select_files(
        paths, expand_paths(paths, skipped=skipped), include=options.include, exclude=options.exclude
    )
    if skipped:
        shown = ", ".join(skipped[:5]) + (f" and {len(skipped) - 5:,} more" if len(skipped) > 5 else "")
        run.input_notes.append(f"skipped {len(skipped):,} entries that are not regular files: {shown}")
    files = drop_non_text(run, files)
    if not files:  # every file found was left out: say which and why (never "no requests found in ")
        left_out = [*run.not_text, *skipped]
        why = ", ".join(left_out[:5]) + (f" and {len(left_out) - 5:,} more" if len(left_out) > 5 else "")
        given = ", ".join(str(p) for p in paths)
        raise WorkloadError(
            f"no requests found in {given}: "
            + (f"every file found was left out: {why}" if why else "--include/--exclude left out every file")
        )
    return files


def _every_request(
    run: EstimateRun,
    files: list[Path],
    total: int,
    workers: int,
    *,
    table: PriceTable | None,
    progress: bool,
    dask: str | None,
) -> Estimate:
    """Count every request of ``files``: on Dask, in worker processes (a big input) or here."""
    options = run.options
    if dask is not None:
        from claude_quote.scale.dask import dask_estimate

        return dask_estimate(
            [str(f) for f in files],
            options,
            at=run.at,
            table=table,
            address=dask,
            progress=progress,
            run=run,
        )
    from claude_quote.scale import local

    if workers > 1 and total >= local.MIN_PARALLEL_BYTES:
        from .partial import parallel_partial, result_of

        partial = parallel_partial(
            files, options, at=run.at, table=table, jobs=workers, progress=progress, found=run.found
        )
        return result_of(partial, files, run)
    with terminal_progress.progress_bar(total, enabled=progress) as advance:
        count_all(run, shapes(run, files, advance))
    return result(run, files)


def _any_url(paths: Sequence[str | Path]) -> bool:
    from claude_quote.scale.dask import is_url

    return any(is_url(p) for p in paths)
