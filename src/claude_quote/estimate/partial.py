"""Mergeable partial estimates: a piece of the input counted into an :class:`EstimatePartial`, and
partials merged into exactly the estimate one process gives (Decimal for Decimal).

A partial holds what the estimate is made of, summed: the token sums of each bucket (model, tier,
group, modifiers), the counting and output tallies per model, the notes, the skipped lines. Sums
merge by adding. The parts that depend on the order of the requests carry positions
(:data:`~claude_quote.scale.Position`), so that partials merge in any grouping and any order:

- **cache reads** (the ``best`` and ``expected`` bands): a request reads the longest prefix an
  *earlier* request wrote. Within its piece that is known. Each partial also keeps, for every prefix
  digest it wrote, the position and length of its first writer there; a first writer may read more
  once an earlier piece turns out to have written the same prefix. Merging two partials, every digest
  both wrote is settled: the later writer reads it (its bucket's cache sums are recomputed from its
  writes and its new read, exactly as one process computes them), and the earlier stays the digest's
  first writer. What a partial keeps grows with the distinct cache prefixes, like the one-process run's
  memory of them, not with the requests.
- **the first skipped line** and **the first error**: the earliest by position wins.
- **output methods**: each label keeps its count and the position where it first appeared, so the
  report lists labels of equal counts in the order one process meets them.
- **repeated custom_ids** (per-request estimates, where ids must be unique): every id keeps its
  first position; an id two partials both hold is an error at the later one.
- **per-request records** (``reconcile --requests``, ``calibrate``, samples): kept by position.

:func:`estimate_piece` counts one piece (a run of lines of a JSONL file, Parquet row groups, a table,
text files); :func:`estimate_frame` counts a pandas DataFrame (a Spark ``mapInPandas`` or Ray
``map_batches`` batch); :func:`merge` merges; :func:`estimate_of` turns the merged partial into the
:class:`~claude_quote.estimate.Estimate`.
"""

from __future__ import annotations

import pickle
from collections import Counter, deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from claude_quote.engine import Engine
from claude_quote.errors import ClaudeQuoteError, UsageError, WorkloadError
from claude_quote.pricing import PriceTable
from claude_quote.scale.pieces import (
    CapturedError,
    Piece,
    Position,
    cuttable,
    iter_jsonl_cuts,
    piece_target,
    shrinking,
)
from claude_quote.tokens.correction import TextCount
from claude_quote.tokens.request import RequestShape
from claude_quote.workloads.results import MAX_SKIPPED_SHOWN
from claude_quote.workloads.text import DEFAULT_TEMPLATE

from .bands import Bucket, CacheFigures, Measured, round_half_even
from .models import Estimate
from .options import EstimateOptions, calibration_from, new_run
from .pipeline import count_all
from .reading import classify, request_shape, row_shape, template_fields, text_or_skip
from .result import result
from .run import BucketKey, EstimateRun, ModelTally, Record

__all__ = [
    "CapturedError",
    "EstimatePartial",
    "PieceRunner",
    "Skips",
    "estimate_frame",
    "estimate_of",
    "estimate_piece",
    "iter_pieces",
    "merge",
    "merged_skips",
    "piece_items",
    "pieces_of",
    "result_of",
    "run_of",
]

Frame = Any
"""A pandas DataFrame (pandas is imported only where tables are read)."""

_SUMS = tuple(f.name for f in fields(Bucket))
_NO_POSITION: Position = (-1, -1)


@dataclass(slots=True)
class _Pending:
    """A request that was the first in its partial to write some cache prefix: it reads more if an
    earlier partial wrote one of them."""

    key: BucketKey
    write_5m: int
    write_1h: int
    read: int
    open: int
    """How many digests it is still the first writer of."""


Skips = list[tuple[Position, int, CapturedError]]
"""Skipped lines kept by a partial: the piece's position, the order in the piece, the error."""


@dataclass
class EstimatePartial:
    """A part of an estimate: what a piece of the input (or several, merged) adds up to. Merge with
    :func:`merge`; turn into an estimate with :func:`estimate_of`. Small: sums, tallies, and one entry
    per distinct cache prefix (and per request only when per-request records are kept)."""

    hit_rate: Decimal
    """The options' cache hit rate (the ``expected`` band's writes are recomputed with it)."""
    requests: int = 0
    skipped: int = 0
    skips: Skips = field(default_factory=list)
    """The first skipped lines (the earliest :data:`~claude_quote.workloads.results.MAX_SKIPPED_SHOWN`
    are kept when merging: :func:`merged_skips`)."""
    error: tuple[Position, CapturedError] | None = None
    buckets: dict[BucketKey, Bucket] = field(default_factory=dict)
    counted: Counter[str] = field(default_factory=Counter)
    """Requests per model whose prompts were counted offline (and ``given``, ``exact``: see below)."""
    given: Counter[str] = field(default_factory=Counter)
    exact: Counter[str] = field(default_factory=Counter)
    outputs: dict[str, dict[str, tuple[int, Position]]] = field(default_factory=dict)
    """Per model: each output-method label, its count and the position where it first appeared."""
    notes: Counter[tuple[str, str]] = field(default_factory=Counter)
    has_cache: bool = False
    encoding_notes: tuple[str, ...] = ()
    writers: dict[bytes, tuple[Position, int]] = field(default_factory=dict)
    """Each cache prefix digest written: the position and prefix length of its first writer."""
    pending: dict[Position, _Pending] = field(default_factory=dict)
    records: dict[Position, Record] | None = None
    ids: dict[str, Position] | None = None
    paths: dict[int, str] = field(default_factory=dict)
    """The file of each file index met (to name it in errors found while merging)."""
    not_text: list[tuple[Position, str]] = field(default_factory=list)
    """Files skipped because they are not text, where they were met."""
    skip_invalid: bool = False
    conflict: bool = False
    """A custom_id repeats across partials while invalid lines are skipped: only one process reading
    the file in order knows which later lines to skip (the caller then counts the file in one run)."""

    # -- merging ------------------------------------------------------------------------------------

    def merge(self, other: EstimatePartial) -> EstimatePartial:
        """This partial with ``other``'s requests added (changes and returns ``self``; ``other`` is
        used up). The order of the two does not matter: positions say which request came first."""
        self.requests += other.requests
        self.skipped += other.skipped
        self.skips = merged_skips(self.skips, other.skips)
        self.error = _earliest(self.error, other.error)
        for key, bucket in other.buckets.items():
            mine = self.buckets.get(key)
            if mine is None:
                self.buckets[key] = bucket
            else:
                for name in _SUMS:
                    setattr(mine, name, getattr(mine, name) + getattr(bucket, name))
        self.counted += other.counted
        self.given += other.given
        self.exact += other.exact
        for model, labels in other.outputs.items():
            mine_labels = self.outputs.setdefault(model, {})
            for label, (count, first) in labels.items():
                had = mine_labels.get(label)
                mine_labels[label] = (count, first) if had is None else (had[0] + count, min(had[1], first))
        self.notes += other.notes
        self.has_cache = self.has_cache or other.has_cache
        self.encoding_notes = self.encoding_notes or other.encoding_notes
        self.paths.update(other.paths)
        self.not_text += other.not_text
        self.conflict = self.conflict or other.conflict
        if self.records is not None and other.records is not None:
            self.records.update(other.records)
        self.pending.update(other.pending)
        self._merge_writers(other.writers)
        if self.ids is not None and other.ids is not None:
            self._merge_ids(other.ids)
        return self

    def rename(self, names: dict[str, str]) -> None:
        """Name files by other names in the partial's errors (a remote file's URL for its local copy)."""
        self.paths = {i: names.get(p, p) for i, p in self.paths.items()}
        if self.error is not None:
            self.error = (self.error[0], self.error[1].renamed(names))
        self.skips = [(at, order, error.renamed(names)) for at, order, error in self.skips]

    def to_bytes(self) -> bytes:
        """The partial as bytes (pickled), to pass through a DataFrame column (Spark, Ray)."""
        return pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def from_bytes(cls, data: bytes) -> EstimatePartial:
        """A partial from :meth:`to_bytes` (only from a source you trust: it is a pickle)."""
        found = pickle.loads(data)
        if not isinstance(found, cls):
            raise TypeError(f"not an EstimatePartial: {type(found).__name__}")
        return found

    def _merge_writers(self, theirs: dict[bytes, tuple[Position, int]]) -> None:
        small, large = (theirs, self.writers) if len(theirs) <= len(self.writers) else (self.writers, theirs)
        for digest, (position, length) in small.items():
            found = large.get(digest)
            if found is None:
                large[digest] = (position, length)
            elif position < found[0]:
                large[digest] = (position, length)
                self._read_earlier(*found)
            else:
                self._read_earlier(position, length)
        self.writers = large

    def _read_earlier(self, position: Position, length: int) -> None:
        """The request at ``position`` reads a prefix of ``length`` tokens an earlier request wrote."""
        pending = self.pending[position]
        pending.open -= 1
        if length > pending.read:
            before = _cache_of(pending.write_5m, pending.write_1h, pending.read, self.hit_rate)
            pending.read = length
            after = _cache_of(pending.write_5m, pending.write_1h, length, self.hit_rate)
            bucket = self.buckets[pending.key]
            for name, old, new in zip(_CACHE_FIELDS, before[2:], after[2:], strict=True):
                setattr(bucket, name, getattr(bucket, name) + new - old)
            if self.records is not None:
                measured = self.records[position].measured
                for name, value in zip(_CACHE_FIELDS, after[2:], strict=True):
                    setattr(measured, name, value)
        if not pending.open:
            del self.pending[position]

    def _merge_ids(self, theirs: dict[str, Position]) -> None:
        assert self.ids is not None
        small, large = (theirs, self.ids) if len(theirs) <= len(self.ids) else (self.ids, theirs)
        for custom_id, position in small.items():
            found = large.get(custom_id)
            if found is None:
                large[custom_id] = position
                continue
            first, again = sorted((position, found))
            large[custom_id] = first
            if self.skip_invalid:
                self.conflict = True
                continue
            error = WorkloadError(
                f"custom_id {custom_id!r} already appeared on line {first[1]}; ids are unique in a batch",
                path=self.paths.get(again[0]),
                line=again[1],
            )
            self.error = _earliest(self.error, (again, CapturedError.of(error)))
        self.ids = large


_CACHE_FIELDS = ("read_best", "write_5m_best", "write_1h_best", "write_5m_expected", "write_1h_expected")


def _cache_of(write_5m: int, write_1h: int, read: int, hit_rate: Decimal) -> CacheFigures:
    """A request's cache figures in every band from its writes and its best-case read (as
    :meth:`EstimateRun._cache` computes them)."""
    write_1h_best = max(0, write_1h - read)
    write_5m_best = write_5m - max(0, read - write_1h)
    miss = Decimal(1) - hit_rate
    return CacheFigures(
        write_5m,
        write_1h,
        read,
        write_5m_best,
        write_1h_best,
        write_5m_best + round_half_even(miss * (write_5m - write_5m_best)),
        write_1h_best + round_half_even(miss * (write_1h - write_1h_best)),
    )


def merged_skips(mine: Skips, theirs: Skips) -> Skips:
    """The first :data:`~claude_quote.workloads.results.MAX_SKIPPED_SHOWN` of both, in input order."""
    return sorted([*mine, *theirs], key=lambda skip: (skip[0], skip[1]))[:MAX_SKIPPED_SHOWN]


def _earliest(
    a: tuple[Position, CapturedError] | None, b: tuple[Position, CapturedError] | None
) -> tuple[Position, CapturedError] | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if a[0] <= b[0] else b


def merge(partials: Iterable[EstimatePartial]) -> EstimatePartial:
    """All ``partials`` merged (in any order: the result is the same). They are used up.

    Raises:
        ValueError: no partials.
    """
    merged: EstimatePartial | None = None
    for partial in partials:
        merged = partial if merged is None else merged.merge(partial)
    if merged is None:
        raise ValueError("nothing to merge")
    return merged


# -- counting a piece ------------------------------------------------------------------------------


class _PartRun(EstimateRun):
    """A run that remembers where each request is and what it wrote first (for the merge)."""

    def start_part(self, *, keep_records: bool, unique_ids: bool) -> None:
        self.part = EstimatePartial(hit_rate=self.hit_rate, skip_invalid=self.skip_invalid)
        self.positions: deque[Position] = deque()
        self.position: Position = _NO_POSITION
        self.reading: Position = _NO_POSITION
        self.fresh: dict[bytes, int] = {}
        self.record_positions: list[Position] = []
        self.not_text_at: list[Position] = []
        if keep_records:
            self.records = []
        if unique_ids:
            self.unique_ids = {}

    def measure(self, shape: RequestShape, raw: Sequence[TextCount], exact: int | None = None) -> Measured:
        position = self.position = self.positions.popleft()
        self.fresh = {}
        m = super().measure(shape, raw, exact)
        part = self.part
        if self.fresh:
            part.pending[position] = _Pending(
                (m.model, m.tier, m.group, m.modifiers), m.write_5m, m.write_1h, m.read_best, len(self.fresh)
            )
            for digest, length in self.fresh.items():
                part.writers[digest] = (position, length)
        labels = part.outputs.setdefault(m.model, {})
        tally = self.tally[m.model]
        assert tally.outputs is not None
        if len(labels) != len(tally.outputs):
            for label in tally.outputs:
                labels.setdefault(label, (0, position))
        if self.records is not None:
            self.record_positions.append(position)
        return m

    def _cache(self, shape: RequestShape, prefixes: list[int]) -> CacheFigures:
        minimum = shape.facts.min_cacheable
        fresh = self.fresh
        for i, _, digest in shape.breaks:
            length = prefixes[i]
            if length >= minimum and digest not in self.seen:
                fresh[digest] = max(length, fresh.get(digest, 0))
        return super()._cache(shape, prefixes)

    def finish_part(self, key: Position) -> EstimatePartial:
        """The partial of what was counted; ``key``: the position of the piece (its first skipped line
        is the earliest of the piece's)."""
        part = self.part
        part.requests, part.skipped = self.requests, self.skipped
        part.skips = [(key, order, CapturedError.of(error)) for order, error in enumerate(self.skips)]
        part.buckets = self.buckets
        for model, tally in self.tally.items():
            part.counted[model] += tally.counted
            part.given[model] += tally.given
            part.exact[model] += tally.exact
            assert tally.outputs is not None
            labels = part.outputs[model]
            for label, count in tally.outputs.items():
                labels[label] = (count, labels[label][1])
        part.notes = self.notes
        part.has_cache = self.has_cache
        part.encoding_notes = self.encoding_notes
        part.not_text = list(zip(self.not_text_at, self.not_text, strict=True))
        if self.records is not None:
            part.records = dict(zip(self.record_positions, self.records, strict=True))
        if self.unique_ids is not None:
            part.ids = {custom_id: (key[0], line) for custom_id, line in self.unique_ids.items()}
        return part


PieceAdvance = Callable[[int], None]


def _ignore(_: int) -> None:
    return None


class PieceRunner:
    """Counts pieces of an input with one set of options (made once per worker process: the price
    table, the calibration and the tokenizer are read once)."""

    def __init__(
        self,
        options: EstimateOptions,
        *,
        at: date | None = None,
        table: PriceTable | Engine | None = None,
        keep_records: bool = False,
        unique_ids: bool = False,
        found: frozenset[Path] = frozenset(),
    ) -> None:
        if options.exact:
            raise UsageError("exact counts are made in one process: count_tokens is the limit, not the CPU")
        calibration, _ = calibration_from(options.calibration)
        probe = new_run(options, table=table, at=at)  # an unknown model or a bad calibration fails here
        self.options = options.but(calibration=calibration) if calibration is not None else options
        self.engine, self.at = probe.engine, probe.at
        self.calibration_path = probe.calibration_path
        self.keep_records, self.unique_ids = keep_records, unique_ids
        self.found = found
        """Files found in a directory or by a glob: skipped, not refused, when not text."""

    def new_run(self) -> _PartRun:
        run = _PartRun(
            options=self.options,
            engine=self.engine,
            at=self.at,
            template=self.options.template if self.options.template is not None else DEFAULT_TEMPLATE,
            calibration=self.options.calibration if not isinstance(self.options.calibration, Path) else None,
            calibration_path=self.calibration_path,
            hit_rate=_hit_rate(self.options),
        )
        run.start_part(keep_records=self.keep_records, unique_ids=self.unique_ids)
        run.found = self.found
        return run

    def piece(self, piece: Piece, advance: PieceAdvance = _ignore) -> EstimatePartial:
        """The partial estimate of ``piece``."""
        run = self.new_run()
        for index, where in piece.files:
            run.part.paths[index] = where
        return self._count(run, _piece_shapes(run, piece, advance), piece.key)

    def frame(self, frame: Frame, *, part: int, where: str, first_row: int = 1) -> EstimatePartial:
        """The partial estimate of the rows of ``frame``, read as a table's rows (at position
        ``(part, row)``: number the batches in input order)."""
        run = self.new_run()
        run.part.paths[part] = where
        return self._count(run, _frame_shapes(run, frame, part, where, first_row), (part, first_row))

    def _count(self, run: _PartRun, shapes: Iterator[RequestShape], key: Position) -> EstimatePartial:
        try:
            count_all(run, shapes)
        except ClaudeQuoteError as exc:
            where = run.reading if run.reading != _NO_POSITION else key
            if isinstance(exc, WorkloadError) and exc.line is not None:
                where = (where[0], exc.line)
            partial = run.finish_part(key)
            partial.error = (where, CapturedError.of(exc))
            return partial
        return run.finish_part(key)


def _hit_rate(options: EstimateOptions) -> Decimal:
    from .options import DEFAULT_CACHE_HIT_RATE

    return options.cache_hit_rate if options.cache_hit_rate is not None else DEFAULT_CACHE_HIT_RATE


def piece_items(run: _PartRun, piece: Piece, advance: PieceAdvance) -> Iterator[RequestShape | Path]:
    """Every request of ``piece``, read and checked, its position appended to ``run.positions``; text
    files as their paths (read only when sampled)."""
    return _piece_shapes(run, piece, advance, read_text=False)


def _piece_shapes(
    run: _PartRun, piece: Piece, advance: PieceAdvance, *, read_text: bool = True
) -> Iterator[Any]:
    if piece.kind == "text":
        done = yield from _text_shapes(run, piece, advance, read_text)
    elif piece.kind == "requests":
        done = yield from _request_shapes(run, piece, advance)
    else:
        done = yield from _table_shapes(run, piece, advance)
    advance(max(0, piece.size - done))


def _text_shapes(
    run: _PartRun, piece: Piece, advance: PieceAdvance, read_text: bool
) -> Generator[Any, None, int]:
    """The documents of a piece of text files (their paths, when ``read_text`` is off); returns the
    bytes read."""
    done = 0
    for index, where in piece.files:
        path = Path(where)
        run.reading = (index, 0)
        size = path.stat().st_size
        document: RequestShape | Path | None = path
        if read_text:
            skipped = len(run.not_text)
            document = text_or_skip(run, path)
            if len(run.not_text) > skipped:
                run.not_text_at.append((index, 0))
        done += size
        advance(size)
        if document is not None:
            run.positions.append((index, 0))
            yield document
    return done


def _request_shapes(run: _PartRun, piece: Piece, advance: PieceAdvance) -> Generator[Any, None, int]:
    """The request shapes of a piece of a request file; returns the bytes read."""
    done = 0
    index, where = piece.files[0]
    path = Path(where)
    for request in _requests(run, piece):
        run.reading = (index, request.line)
        shape = request_shape(run, path, request)
        done += request.size_bytes
        advance(request.size_bytes)
        if shape is not None:
            run.positions.append((index, request.line))
            yield shape
    return done


def _table_shapes(run: _PartRun, piece: Piece, advance: PieceAdvance) -> Generator[Any, None, int]:
    """The request shapes of a piece of a table (CSV, or Parquet row groups); returns the bytes read."""
    from claude_quote.workloads.tables import iter_table_rows

    done = 0
    index, where = piece.files[0]
    path = Path(where)
    rows = iter_table_rows(
        path,
        text_column=run.text_column,
        skip_invalid=run.skip_invalid,
        on_skip=run.skip,
        fields=template_fields(run, path),
        row_groups=piece.row_groups,
    )
    for row in rows:
        run.reading = (index, row.row)
        shape = row_shape(run, path, row)
        done += row.size_bytes
        advance(row.size_bytes)
        if shape is not None:
            run.positions.append((index, row.row))
            yield shape
    return done


def _requests(run: EstimateRun, piece: Piece) -> Iterator[Any]:
    from claude_quote.workloads.requests import iter_request_range, iter_requests

    where = piece.path
    if piece.start == 0 and piece.end is None:
        yield from iter_requests(where, skip_invalid=run.skip_invalid, on_skip=run.skip)
        return
    with Path(where).open("rb", buffering=1 << 20) as handle:
        yield from iter_request_range(
            handle,
            where,
            start=piece.start,
            end=piece.end,
            first_line=piece.first_line,
            skip_invalid=run.skip_invalid,
            on_skip=run.skip,
        )


def _frame_shapes(
    run: _PartRun, frame: Frame, part: int, where: str, first_row: int
) -> Iterator[RequestShape]:
    from claude_quote.workloads.tables import iter_frame_rows

    rows = iter_frame_rows(
        frame,
        where=where,
        text_column=run.text_column,
        first_row=first_row,
        skip_invalid=run.skip_invalid,
        on_skip=run.skip,
    )
    path = Path(where)
    for row in rows:
        run.reading = (part, row.row)
        shape = row_shape(run, path, row)
        if shape is not None:
            run.positions.append((part, row.row))
            yield shape


def estimate_piece(
    piece: Piece,
    options: EstimateOptions | None = None,
    *,
    at: date | None = None,
    table: PriceTable | None = None,
) -> EstimatePartial:
    """The partial estimate of one piece of the input (see :func:`pieces_of`)."""
    return PieceRunner(options or EstimateOptions(), at=at, table=table).piece(piece)


def estimate_frame(
    frame: Frame,
    options: EstimateOptions | None = None,
    *,
    part: int = 0,
    where: str = "batch",
    first_row: int = 1,
    at: date | None = None,
    table: PriceTable | None = None,
) -> EstimatePartial:
    """The partial estimate of the rows of a pandas DataFrame, each row a request as in a table file
    (a ``text`` or ``input_tokens`` column; optional ``model``, ``max_tokens``, ``output_tokens``,
    ``custom_id``, ``inference_geo``, ``speed``): what a Spark ``mapInPandas`` or Ray Data
    ``map_batches`` function calls on each batch. ``part`` numbers the batch (batches merge in the
    order of their numbers, which only matters for cache prefixes); ``where`` names it in errors.
    """
    return PieceRunner(options or EstimateOptions(), at=at, table=table).frame(
        frame, part=part, where=where, first_row=first_row
    )


# -- planning and finishing ----------------------------------------------------------------------


def pieces_of(
    files: Sequence[Path | str], *, jobs: int, target: int | None = None, start: int = 0
) -> list[Piece]:
    """``files`` cut into pieces for ``jobs`` workers: big JSONL request files at line boundaries,
    Parquet tables by row groups, other tables whole, text files in runs; in input order (``start``:
    the index of the first file among all the inputs)."""
    return list(iter_pieces(files, jobs=jobs, target=target, start=start))


def iter_pieces(
    files: Sequence[Path | str], *, jobs: int, target: int | None = None, start: int = 0
) -> Iterator[Piece]:
    """:func:`pieces_of`, each piece given as soon as it is found (the workers start on the first
    pieces while a big JSONL file is still being cut). Without ``target``, JSONL pieces shrink towards
    the end of the input (:func:`~claude_quote.scale.pieces.shrinking`), so the workers finish
    together."""
    sizes = [Path(f).stat().st_size for f in files]
    fixed = target or piece_target(sum(sizes), jobs)
    shrink = shrinking(jobs)
    texts: list[tuple[int, str]] = []
    text_bytes = 0
    for index, (file, size) in enumerate(zip(files, sizes, strict=True), start=start):
        path = Path(file)
        kind = classify(path)
        if kind == "text":
            texts.append((index, str(path)))
            text_bytes += size
            if text_bytes >= fixed:
                yield Piece("text", tuple(texts), size=text_bytes)
                texts, text_bytes = [], 0
            continue
        if texts:
            yield Piece("text", tuple(texts), size=text_bytes)
            texts, text_bytes = [], 0
        if kind == "empty":
            continue
        name = path.name.lower()
        if kind == "requests" and name.endswith((".jsonl", ".ndjson")) and cuttable(path):
            later = sum(sizes[index - start + 1 :])

            def cut_size(left: int, later: int = later) -> int:
                return fixed if target else shrink(left + later)

            for begin, end, line in iter_jsonl_cuts(path, cut_size):
                covered = (size if end is None else end) - begin
                yield Piece("requests", ((index, str(path)),), begin, end, line, size=covered)
        elif kind == "table" and path.suffix.lower() in (".parquet", ".pq"):
            yield from _row_group_pieces(index, path, fixed)
        else:
            yield Piece(kind, ((index, str(path)),), size=size)
    if texts:
        yield Piece("text", tuple(texts), size=text_bytes)


def _row_group_pieces(index: int, path: Path, target: int) -> list[Piece]:
    from claude_quote.workloads.tables import parquet_row_groups

    groups = parquet_row_groups(path)
    size = path.stat().st_size
    total = sum(b for _, b in groups) or 1
    out: list[Piece] = []
    first = row = 0
    chosen: list[int] = []
    acc = 0
    for number, (rows, nbytes) in enumerate(groups):
        if not chosen:
            first = row
        chosen.append(number)
        acc += nbytes
        row += rows
        if acc >= target or number == len(groups) - 1:
            share = size * acc // total
            out.append(
                Piece(
                    "table", ((index, str(path)),), first_line=first + 1, row_groups=tuple(chosen), size=share
                )
            )
            chosen, acc = [], 0
    return out or [Piece("table", ((index, str(path)),), size=size)]


def estimate_of(
    partial: EstimatePartial,
    files: Sequence[str | Path],
    options: EstimateOptions | None = None,
    *,
    at: date | None = None,
    table: PriceTable | Engine | None = None,
) -> Estimate:
    """The estimate a merged partial adds up to: what :func:`~claude_quote.estimate.estimate` of
    ``files`` gives (``files`` only name the inputs in the report).

    Raises:
        ClaudeQuoteError: the first error met while counting (by position), or no requests.
    """
    return result(run_of(partial, options or EstimateOptions(), at=at, table=table), files)


def run_of(
    partial: EstimatePartial,
    options: EstimateOptions,
    *,
    at: date | None,
    table: PriceTable | Engine | None,
    into: EstimateRun | None = None,
) -> EstimateRun:
    """A run holding a merged partial's sums, as if one process had counted every request (``into``:
    fill this run, which holds what was found before counting, such as files that are not text)."""
    if partial.error is not None:
        raise partial.error[1].error()
    run = into if into is not None else new_run(options, table=table, at=at)
    for key in partial.buckets:
        info = run.facts_for(key[0]).model
        run.pricing(info, key[3])
    run.buckets = partial.buckets
    run.requests, run.skipped = partial.requests, partial.skipped
    run.skips = [_as_workload(error.error()) for _, _, error in partial.skips]
    for model, labels in partial.outputs.items():
        ordered = sorted(labels.items(), key=lambda item: item[1][1])
        run.tally[model] = ModelTally(
            counted=partial.counted[model],
            given=partial.given[model],
            exact=partial.exact[model],
            outputs=Counter({label: count for label, (count, _) in ordered}),
        )
    run.notes = partial.notes
    run.has_cache = partial.has_cache
    run.encoding_notes = partial.encoding_notes
    run.not_text = [*run.not_text, *(note for _, note in sorted(partial.not_text))]
    if partial.records is not None:
        run.records = [partial.records[p] for p in sorted(partial.records)]
    return run


def result_of(partial: EstimatePartial, files: Sequence[Path], run: EstimateRun) -> Estimate:
    """The estimate of ``files`` from their merged partial, in ``run`` (made for them)."""
    return result(run_of(partial, run.options, at=run.at, table=run.engine, into=run), files)


def _as_workload(error: ClaudeQuoteError) -> WorkloadError:
    assert isinstance(error, WorkloadError)
    return error


# -- on every core ----------------------------------------------------------------------------------


def piece_worker(
    options: EstimateOptions,
    at: date | None,
    table: PriceTable | None,
    keep_records: bool = False,
    unique_ids: bool = False,
    found: frozenset[Path] = frozenset(),
) -> Callable[[Piece, PieceAdvance], EstimatePartial]:
    """What a worker process runs on each piece (made once per worker)."""
    return PieceRunner(
        options, at=at, table=table, keep_records=keep_records, unique_ids=unique_ids, found=found
    ).piece


def parallel_partial(
    files: Sequence[Path],
    options: EstimateOptions,
    *,
    at: date,
    table: PriceTable | None,
    jobs: int,
    progress: bool = False,
    keep_records: bool = False,
    unique_ids: bool = False,
    found: frozenset[Path] = frozenset(),
) -> EstimatePartial:
    """The merged partial of ``files`` counted in ``jobs`` worker processes."""
    from claude_quote.scale.local import run_pieces

    return run_pieces(
        iter_pieces(files, jobs=jobs),
        piece_worker,
        (options, at, table, keep_records, unique_ids, found),
        jobs=jobs,
        total=sum(Path(f).stat().st_size for f in files),
        merge=EstimatePartial.merge,
        progress=progress,
    )
