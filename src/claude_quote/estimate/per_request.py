"""Per-request estimates (:func:`estimate_requests`): every request of a request file estimated one
by one, with the figures :func:`~claude_quote.estimate.estimate` sums; what ``reconcile --requests``
compares and ``calibrate`` learns from.
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Collection, Iterator
from datetime import date
from pathlib import Path

from claude_quote.errors import WorkloadError
from claude_quote.pricing import PriceTable
from claude_quote.tokens.correction import CountingModel, counting_model_for_tokenizer
from claude_quote.workloads.files import stat_input
from claude_quote.workloads.requests import REQUEST_FILE_SUFFIXES, BatchRequest, iter_requests
from claude_quote.workloads.unique import DuplicateIds

from .models import RequestEstimate
from .options import EstimateOptions, new_run
from .pipeline import count_all
from .reading import request_shapes
from .run import EstimateRun, Record


def estimate_requests(
    path: str | Path,
    options: EstimateOptions | None = None,
    *,
    at: date | None = None,
    table: PriceTable | None = None,
    jobs: int | None = 1,
) -> dict[str, RequestEstimate]:
    """Every request of a request file (Message Batches JSONL or request JSON), estimated one by one.

    The per-request figures are those :func:`estimate` sums: over all requests, the usages add up to
    its expected usage. ``options`` are :func:`estimate`'s (``model``, ``template``, ``sample`` and the
    table options do not apply to request files).

    Raises:
        WorkloadError: the file is not a request file, a line is malformed, or a custom_id repeats
            (``file:line``), unless ``skip_invalid``.
        UnknownModelError: a request names an unknown model.
        UsageError, ConfigError, ExactCountError: as :func:`estimate`.

    ``jobs``: worker processes for a big file, as :func:`estimate` takes them (the same estimates).
    """
    records, _ = estimate_each(path, options, at=at, table=table, jobs=jobs)
    return records


def estimate_each(
    path: str | Path,
    options: EstimateOptions | None = None,
    *,
    at: date | None,
    table: PriceTable | None,
    jobs: int | None = 1,
) -> tuple[dict[str, RequestEstimate], EstimateRun]:
    """:func:`estimate_requests`, and the run (its skipped lines and token methods)."""
    options = options or EstimateOptions()
    run = new_run(options, table=table, at=at)
    file = _request_file(path)
    parallel = _in_pieces(file, options, run, table=table, jobs=jobs)
    if parallel is not None:
        assert parallel.records is not None
        counting: dict[str, CountingModel] = {}
        return {r.custom_id: _request_estimate(r, parallel, counting) for r in parallel.records}, parallel
    out: dict[str, RequestEstimate] = {}

    def keep(estimate: RequestEstimate) -> None:
        out[estimate.custom_id] = estimate

    return out, _stream(file, run, keep, None)


def estimate_into(
    path: str | Path,
    into: Callable[[RequestEstimate], None],
    options: EstimateOptions | None = None,
    *,
    at: date | None,
    table: PriceTable | None,
    repeated: set[str] | None = None,
) -> EstimateRun:
    """:func:`estimate_requests` as a stream: ``into`` gets each request's estimate in the file's
    order, and none is kept here, so a request file of any size is estimated in flat memory (in this
    process).

    A repeated custom_id is found exactly, in flat memory too: a first reading notes every id
    (:class:`~claude_quote.workloads.unique.DuplicateIds`), and the estimate then checks only the ids
    that repeat (the error names the first line, as ever). ``repeated``: those ids, already found
    (:func:`repeated_ids` of the same file, to read it once for several estimates).
    """
    run = new_run(options or EstimateOptions(), table=table, at=at)
    return _stream(_request_file(path), run, into, repeated)


def _request_file(path: str | Path) -> Path:
    file = Path(path)
    info = stat_input(file)
    if info is None or not stat.S_ISREG(info.st_mode):
        raise WorkloadError("no such file" if info is None else "not a file", path=str(file))
    if not file.name.lower().endswith(REQUEST_FILE_SUFFIXES):
        raise WorkloadError(
            'not a request file: expected Message Batches JSONL ({"custom_id": ..., "params": {...}} per '
            "line) or a request JSON",
            path=str(file),
        )
    return file


def _stream(
    file: Path, run: EstimateRun, into: Callable[[RequestEstimate], None], repeated: set[str] | None
) -> EstimateRun:
    counting: dict[str, CountingModel] = {}
    run.records = _Into(lambda record: into(_request_estimate(record, run, counting)))
    run.unique_ids = _RepeatedIds(repeated_ids(file) if repeated is None else repeated)
    count_all(run, request_shapes(run, file))
    return run


def _in_pieces(
    file: Path, options: EstimateOptions, run: EstimateRun, *, table: PriceTable | None, jobs: int | None
) -> EstimateRun | None:
    """The run of a big file counted in worker processes (None: count it in this one)."""
    from claude_quote.scale import local
    from claude_quote.scale.pieces import resolve_jobs

    workers = resolve_jobs(jobs)
    if workers == 1 or options.exact or file.stat().st_size < local.MIN_PARALLEL_BYTES:
        return None
    from .partial import parallel_partial, run_of

    merged = parallel_partial(
        [file], options, at=run.at, table=table, jobs=workers, keep_records=True, unique_ids=True
    )
    if merged.conflict:  # a custom_id repeats across pieces while skipping: only one reader knows which
        return None
    return run_of(merged, options, at=run.at, table=run.engine)


class _Into(list[Record]):
    """Where the run puts each request's record: handed on at once, never kept."""

    def __init__(self, into: Callable[[Record], None]) -> None:
        super().__init__()
        self.into = into

    def append(self, record: Record) -> None:
        self.into(record)


class _RepeatedIds(dict[str, int]):
    """The run's first line of each custom_id, kept only for the ids that repeat (known beforehand):
    every other id appears once, so its check needs nothing kept."""

    def __init__(self, repeated: set[str]) -> None:
        super().__init__()
        self.repeated = repeated

    def __setitem__(self, custom_id: str, line: int) -> None:
        if custom_id in self.repeated:
            super().__setitem__(custom_id, line)


def repeated_ids(path: str | Path) -> set[str]:
    """The custom_ids that more than one request of a request file has (exactly, in flat memory;
    invalid lines are passed over here: the estimate reports them)."""
    file = Path(path)

    def requests() -> Iterator[BatchRequest]:
        try:
            yield from iter_requests(file, skip_invalid=True, on_skip=lambda _: None)
        except WorkloadError:
            return  # the estimate stops there too, with this error

    ids = DuplicateIds()
    try:
        for request in requests():
            ids.add(request.custom_id, request.line)

        def ids_at(lines: Collection[int]) -> dict[int, str]:
            wanted = set(lines)
            return {r.line: r.custom_id for r in requests() if r.line in wanted}

        return {d.custom_id for d in ids.find(ids_at).values()}
    finally:
        ids.close()


def _request_estimate(
    record: Record, run: EstimateRun, models: dict[str, CountingModel] | None = None
) -> RequestEstimate:
    """One request's estimate; ``models`` remembers each tokenizer's counting model (made once)."""
    m = record.measured
    framing = 0.0
    if m.features is not None:
        tokenizer = run.models[m.model].model.tokenizer
        model = None if models is None else models.get(tokenizer)
        if model is None:
            model = counting_model_for_tokenizer(tokenizer)
            if models is not None:
                models[tokenizer] = model
        framing = model.framing(*record.framing)
    return RequestEstimate(
        custom_id=record.custom_id,
        model=m.model,
        modifiers=m.modifiers,
        usage=m.usage("expected"),
        raw_text_tokens=m.raw_text,
        fixed_tokens=m.fixed,
        max_tokens=m.max_tokens,
        line=record.line,
        class_tokens=m.features,
        framing_tokens=framing,
    )
