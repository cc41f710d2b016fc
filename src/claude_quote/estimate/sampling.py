"""Estimating a huge input from a sample: a uniform random sample of the requests (the ``size`` with the
smallest sampling keys, :mod:`.sample_parts`), estimated like a whole input, each sampled request
priced alone, and the totals extrapolated with a 95% confidence interval (:mod:`claude_quote.sampling`
has the statistics). The pieces of the input are sampled apart (in this process, in worker processes
or as Dask tasks) and merged: the sample is the same whatever the pieces.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from claude_quote import terminal_progress
from claude_quote.errors import UsageError, WorkloadError
from claude_quote.pricing import PriceTable
from claude_quote.sampling import Extrapolation, SampleEstimate
from claude_quote.scale.pieces import Position
from claude_quote.tokens.request import RequestShape

from .models import Estimate
from .notes import count_of, sample_warnings
from .pipeline import count_all
from .reading import row_shape, text_shape
from .result import result
from .run import EstimateRun, Record
from .sample_parts import Picked, SamplePartial, SampleRunner, sample_worker


def sampled_estimate(
    run: EstimateRun,
    files: Sequence[Path | str],
    total: int,
    *,
    size: int,
    seed: int | None,
    progress: bool,
    jobs: int = 1,
    table: PriceTable | None = None,
    dask: str | None = None,
) -> Estimate:
    """The estimate of a sample of ``size`` requests of ``files``, with the whole input's extrapolated cost."""
    if seed is None:
        import secrets

        seed = secrets.randbits(32)
    merged = _sample_of(
        run, files, total, size=size, seed=seed, progress=progress, jobs=jobs, table=table, dask=dask
    )
    chosen = _chosen(run, merged)
    shapes = _materialized(run, chosen)
    population = merged.population - (len(chosen) - len(shapes))
    if population == 0:
        return result(run, files)  # raises: no requests
    run.records = []
    for shape in shapes:
        run.facts_for(shape.facts.model.id)
    count_all(run, iter(shapes))
    estimate = result(run, files)
    records = run.records
    assert len(records) == len(shapes)
    info = _extrapolated(run, records, population, seed)
    warnings = [*estimate.warnings, *sample_warnings(info, run)]
    read_rows = sum(1 for _, _, item in chosen if isinstance(item, tuple) and item[0] == "parquet")
    if merged.unread_rows > read_rows:
        warnings.append(
            f"{count_of(merged.unread_rows - read_rows, 'Parquet row')} outside the sample were counted from the files' "
            "metadata and not read: an invalid row among them is in the population"
        )
    return estimate.model_copy(update={"sample": info, "warnings": tuple(warnings)})


def _chosen(run: EstimateRun, merged: SamplePartial) -> list[Picked]:
    """The sampled items in input order (an error met while sampling raised), and the invalid lines
    skipped while sampling noted in ``run``."""
    if merged.error is not None:
        raise merged.error[1].error()
    chosen = sorted(merged.picked, key=lambda item: item[1])
    run.skipped, run.skips = merged.skipped, []
    for _, _, captured in merged.skips:
        error = captured.error()
        assert isinstance(error, WorkloadError)
        run.skips.append(error)
    return chosen


def _extrapolated(run: EstimateRun, records: list[Record], population: int, seed: int) -> SampleEstimate:
    """The sample's costs per request extrapolated to the ``population`` (with confidence intervals)."""
    from claude_quote.sampling import CONFIDENCE, METHOD

    realtime, batch, worst_realtime, worst_batch = _request_costs(run, records)
    extrapolate = functools.partial(_extrapolate, population=population)
    return SampleEstimate(
        size=len(records),
        population=population,
        seed=seed,
        method=METHOD,
        confidence=CONFIDENCE,
        realtime=extrapolate(realtime),
        batch=None if batch is None else extrapolate(batch),
        worst_realtime=extrapolate(worst_realtime),
        worst_batch=None if worst_batch is None else extrapolate(worst_batch),
    )


def _sample_of(
    run: EstimateRun,
    files: Sequence[Path | str],
    total: int,
    *,
    size: int,
    seed: int,
    progress: bool,
    jobs: int,
    table: PriceTable | None,
    dask: str | None,
) -> SamplePartial:
    from claude_quote.scale import local

    from .partial import pieces_of

    options = run.options
    if dask is not None:
        from claude_quote.scale.dask import dask_sample

        return dask_sample(files, options, at=run.at, table=table, address=dask, size=size, seed=seed)
    if jobs > 1 and total >= local.MIN_PARALLEL_BYTES:
        return local.run_pieces(
            pieces_of(files, jobs=jobs),
            sample_worker,
            (options, run.at, table, size, seed),
            jobs=jobs,
            merge=SamplePartial.merge,
            progress=progress,
            label="sampling",
        )
    sampler = SampleRunner(options, at=run.at, table=run.engine, size=size, seed=seed)
    merged = SamplePartial(size)
    with terminal_progress.progress_bar(total, enabled=progress, label="sampling") as advance:
        for piece in pieces_of(files, jobs=1, target=1 << 62):
            merged.merge(sampler.piece(piece, advance))
            if merged.error is not None:
                break
    return merged


def _materialized(run: EstimateRun, chosen: list[tuple[int, Position, Any]]) -> list[RequestShape]:
    """The sampled items as request shapes, in input order: text files read, Parquet rows read from
    their row groups (an invalid one is skipped with ``skip_invalid``, and is then not in the sample)."""
    from claude_quote.workloads.tables import iter_rows_at

    rows: dict[str, list[int]] = {}
    for _, position, item in chosen:
        if isinstance(item, tuple) and item[0] == "parquet":
            rows.setdefault(item[1], []).append(position[1])
    found: dict[tuple[str, int], RequestShape] = {}
    for path, numbers in rows.items():
        for row in iter_rows_at(
            path, numbers, text_column=run.text_column, skip_invalid=run.skip_invalid, on_skip=run.skip
        ):
            shape = row_shape(run, Path(path), row)
            if shape is not None:
                found[path, row.row] = shape
    shapes: list[RequestShape] = []
    for _, position, item in chosen:
        if isinstance(item, RequestShape):
            shapes.append(item)
        elif item[0] == "text":
            shapes.append(text_shape(run, Path(item[1])))
        elif (item[1], position[1]) in found:
            shapes.append(found[item[1], position[1]])
    return shapes


def _extrapolate(values: list[Decimal], *, population: int) -> Extrapolation:
    from claude_quote.sampling import extrapolate

    try:
        return extrapolate(values, population=population)
    except ValueError as exc:  # pragma: no cover - guarded by --sample >= 2
        raise UsageError(str(exc)) from None


def _request_costs(
    run: EstimateRun, records: Sequence[Record]
) -> tuple[list[Decimal], list[Decimal] | None, list[Decimal], list[Decimal] | None]:
    """Each recorded request's expected and worst-case cost, real time and batch, priced alone."""
    realtime: list[Decimal] = []
    worst_realtime: list[Decimal] = []
    batch: list[Decimal] | None = []
    worst_batch: list[Decimal] | None = []
    for record in records:
        m = record.measured
        key = (m.model, m.tier, m.group, m.modifiers)
        _, rt, bt = run.price(key, m.usage("expected"), 1)
        _, worst_rt, worst_bt = run.price(key, m.usage("miss", worst=True), 1)
        realtime.append(rt.total)
        worst_realtime.append(worst_rt.total)
        if bt is None or worst_bt is None:
            batch = worst_batch = None
        elif batch is not None and worst_batch is not None:
            batch.append(bt.total)
            worst_batch.append(worst_bt.total)
    return realtime, batch, worst_realtime, worst_batch
