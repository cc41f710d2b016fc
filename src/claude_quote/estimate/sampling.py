"""Estimating a huge input from a sample: a uniform reservoir sample of the requests, estimated like
a whole input, each sampled request priced alone, and the totals extrapolated with a 95% confidence
interval (:mod:`claude_quote.sampling` has the statistics).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from claude_quote import _progress
from claude_quote.errors import UsageError
from claude_quote.sampling import Extrapolation, SampleEstimate
from claude_quote.tokens.request import RequestShape

from .models import Estimate
from .notes import sample_warnings
from .pipeline import _count_all
from .reading import items, materialize
from .result import result
from .run import _Record, _Run


def _sampled(
    run: _Run, files: Sequence[Path], total: int, *, size: int, seed: int | None, progress: bool
) -> Estimate:
    """The estimate of a sample of ``size`` requests of ``files``, with the whole input's extrapolated cost."""
    from claude_quote.sampling import CONFIDENCE, METHOD, Reservoir

    if seed is None:
        import secrets

        seed = secrets.randbits(32)
    reservoir: Reservoir[RequestShape | Path] = Reservoir(size, seed=seed)
    with _progress.progress_bar(total, enabled=progress) as advance:
        for item in items(run, files, advance):
            reservoir.offer(item)
    population = reservoir.seen
    if population == 0:
        return result(run, files)  # raises: no requests
    run.records = []
    _count_all(run, (materialize(run, item) for item in reservoir.items()))
    estimate = result(run, files)
    records = run.records
    assert len(records) == len(reservoir.items())  # sampled requests were read and checked while streaming
    realtime, batch, worst_realtime, worst_batch = _request_costs(run, records)
    extrapolate = functools.partial(_extrapolate, population=population)
    info = SampleEstimate(
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
    warnings = [*estimate.warnings, *sample_warnings(info, run)]
    return estimate.model_copy(update={"sample": info, "warnings": tuple(warnings)})


def _extrapolate(values: list[Decimal], *, population: int) -> Extrapolation:
    from claude_quote.sampling import extrapolate

    try:
        return extrapolate(values, population=population)
    except ValueError as exc:  # pragma: no cover - guarded by --sample >= 2
        raise UsageError(str(exc)) from None


def _request_costs(
    run: _Run, records: Sequence[_Record]
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
