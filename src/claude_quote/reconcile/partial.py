"""Mergeable partial results of a results file: a piece of the file (lines ``start``–``end``) read and
summed into a :class:`ResultsPartial`, the partials merged into exactly what
:func:`~claude_quote.reconcile.reconcile_results` gives in one process.

A partial holds integer sums — per (model, modifiers, tier): requests and the six usage buckets — the
result counts, the errored types, the cache-split and service-tier tallies, the skipped lines (the first
:data:`~claude_quote.workloads.results.MAX_SKIPPED_SHOWN` by line) and the first error. Prices are not
in it: the merged sums go through the pricing engine's :class:`~claude_quote.engine.Ledger` once, in the
order each group first appeared in the file (as one process adds them), so the report is the same to
the last digit and the last warning.

Each piece is read by the one-process reader's own pass over its lines
(:meth:`~claude_quote.workloads.results.ResultsReader.sums`, its fast path), which also finds the
custom_ids repeated within the piece. Across pieces, each partial keeps the reader's index of its ids (a
64-bit hash, the same in every process, and the line, 16 bytes a line; refused lines with a negative
line), and the merge runs the one-process check
(:meth:`~claude_quote.workloads.unique.DuplicateIds.find`) over all of them: equal hashes are read back
from the file and compared, so a repeat is found exactly, at its later line, against the earliest line
with its id (and a hash collision is not taken for one).
"""

from __future__ import annotations

import sys
import zlib
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from claude_quote.engine import Engine, Ledger, Modifiers, engine_for
from claude_quote.errors import ClaudeQuoteError, WorkloadError
from claude_quote.parsing import loads_json
from claude_quote.pricing import PriceTable
from claude_quote.scale.pieces import CapturedError, Piece, Position, iter_jsonl_cuts, shrinking
from claude_quote.workloads.files import iter_lines
from claude_quote.workloads.results import (
    MAX_SKIPPED_SHOWN,
    InvalidLine,
    ResultsReader,
    ResultSums,
    no_result_lines,
)
from claude_quote.workloads.unique import Duplicate, DuplicateIds

from .results import BatchActuals, Pricer, actuals_from

__all__ = ["ResultsPartial", "actuals_of", "parallel_actuals", "results_piece", "results_pieces"]

_GroupKey = tuple[str, Modifiers, int]
"""(canonical model id, modifiers in batch mode, tier)."""


@dataclass
class ResultsPartial:
    """What a piece of a results file adds up to (see the module docs). Merge with :meth:`merge`."""

    path: str
    counts: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    groups: dict[_GroupKey, list[int]] = field(default_factory=dict)
    """requests and the six usage buckets of each group."""
    first: dict[_GroupKey, int] = field(default_factory=dict)
    """The line where each group first appeared."""
    missing: int = 0
    missing_tokens: int = 0
    other_tiers: Counter[str] = field(default_factory=Counter)
    skipped: int = 0
    skipped_lines: list[InvalidLine] = field(default_factory=list)
    error: tuple[Position, CapturedError] | None = None
    hashes: list[tuple[array[int], array[int]]] = field(default_factory=list)
    """The hash and the line of every custom_id read, per piece (16 bytes a line)."""
    pieces: list[Piece] = field(default_factory=list)
    skip_invalid: bool = False

    def merge(self, other: ResultsPartial) -> ResultsPartial:
        """This partial with ``other``'s lines added (changes and returns ``self``)."""
        self.counts += other.counts
        self.errors += other.errors
        for key, sums in other.groups.items():
            mine = self.groups.get(key)
            if mine is None:
                self.groups[key] = sums
                self.first[key] = other.first[key]
            else:
                for i, value in enumerate(sums):
                    mine[i] += value
                self.first[key] = min(self.first[key], other.first[key])
        self.missing += other.missing
        self.missing_tokens += other.missing_tokens
        self.other_tiers += other.other_tiers
        self.skipped += other.skipped
        self.skipped_lines = sorted([*self.skipped_lines, *other.skipped_lines], key=lambda s: s.line or 0)[
            :MAX_SKIPPED_SHOWN
        ]
        if other.error is not None and (self.error is None or other.error[0] < self.error[0]):
            self.error = other.error
        self.hashes += other.hashes
        self.pieces += other.pieces
        return self


def _id_hash(custom_id: str) -> int:
    """64 bits of a custom_id, the same in every process (CRC-32 and Adler-32, as a signed 64-bit
    integer; equal hashes are checked on the ids)."""
    data = custom_id.encode("utf-8", "surrogatepass")
    value = zlib.crc32(data) << 32 | zlib.adler32(data)
    return value - (1 << 64) if value >> 63 else value


def results_piece(
    piece: Piece,
    *,
    at: date,
    engine: Engine,
    skip_invalid: bool = False,
    advance: Callable[[int], None] | None = None,
) -> ResultsPartial:
    """Read and sum one piece of a results file (cards found and tiers chosen by ``engine`` on ``at``):
    the one-process reader's own pass (:meth:`~claude_quote.workloads.results.ResultsReader.sums`, its
    fast path) over the piece's lines, its index of custom_ids kept for the merge."""
    path = piece.path
    part = ResultsPartial(path=path, pieces=[piece], skip_invalid=skip_invalid)
    ids = DuplicateIds(memory_records=sys.maxsize)  # a piece's records go back to the parent: not spilled
    ids.hash = _id_hash
    reader = ResultsReader(
        path,
        skip_invalid=skip_invalid,
        start=piece.start,
        end=piece.end,
        first_line=piece.first_line,
        ids=lambda: ids,
    )
    pricer = Pricer(engine, at, path)
    try:
        sums = reader.sums(pricer.tiers_for)
    except ClaudeQuoteError as exc:
        at_line = exc.line if isinstance(exc, WorkloadError) and exc.line is not None else piece.first_line
        part.error = ((0, at_line), CapturedError.of(exc))
    else:
        _add_sums(part, sums, pricer)
    part.skipped, part.skipped_lines = reader.skipped, list(reader.skipped_lines)
    part.hashes = [(ids.hashes, ids.lines)]
    if advance is not None:
        end = Path(path).stat().st_size if piece.end is None else piece.end
        advance(end - piece.start)
    return part


def _add_sums(part: ResultsPartial, sums: ResultSums, pricer: Pricer) -> None:
    """The reader's sums (by model as written, way it ran and tier) as the partial keeps them (by
    canonical model, modifiers and tier: two names of one model are one group, as in the ledgers)."""
    part.counts.update(sums.counts)
    part.errors.update(sums.errors)
    part.other_tiers.update(sums.service_tiers)
    part.missing += sums.cache_split_missing
    part.missing_tokens += sums.cache_split_missing_tokens
    for found in sums.groups:
        card, _ = pricer.cards_for(found.model, found.inference_geo, found.speed, found.first_line, "")
        key = (card.model.id, card.modifiers, found.tier)
        mine = part.groups.get(key)
        if mine is None:
            mine = part.groups[key] = [0] * 7
            part.first[key] = found.first_line
        else:
            part.first[key] = min(part.first[key], found.first_line)
        mine[0] += found.requests
        for i, value in enumerate(found.buckets):
            mine[i + 1] += value


def results_pieces(path: str | Path, *, jobs: int) -> Iterator[Piece]:
    """A results file cut into pieces at line boundaries for ``jobs`` workers, each given as soon as it
    is found, smaller towards the end (:func:`~claude_quote.scale.pieces.shrinking`)."""
    size = Path(path).stat().st_size
    for start, end, line in iter_jsonl_cuts(path, shrinking(jobs)):
        yield Piece(
            "results", ((0, str(path)),), start, end, line, size=(size if end is None else end) - start
        )


def _repeats(partial: ResultsPartial) -> dict[int, Duplicate]:
    """Every line whose custom_id an earlier accepted line of the file had, whatever piece either is
    in: the one-process reader's check (:meth:`~claude_quote.workloads.unique.DuplicateIds.find`) over
    the records of all the pieces, by line."""
    if len(partial.hashes) < 2:
        return {}
    ids = DuplicateIds(memory_records=sys.maxsize)
    for hashes, lines in partial.hashes:
        ids.hashes.extend(hashes)
        ids.lines.extend(lines)
    return ids.find(lambda wanted: _ids_at(partial, wanted))


def _ids_at(partial: ResultsPartial, wanted: Collection[int]) -> dict[int, str]:
    """The custom_ids of lines ``wanted`` (lines whose id was read), read back from the file."""
    pieces = sorted(partial.pieces, key=lambda p: p.first_line)
    firsts = [p.first_line for p in pieces]
    by_piece: dict[int, set[int]] = {}
    for number in wanted:
        by_piece.setdefault(bisect_right(firsts, number) - 1, set()).add(number)
    out: dict[int, str] = {}
    for index, numbers in by_piece.items():
        piece = pieces[index]
        stop = None if piece.end is None else piece.end - piece.start
        with Path(piece.path).open("rb") as handle:
            handle.seek(piece.start)
            for number, raw in iter_lines(handle, piece.path, number=piece.first_line - 1, stop=stop):
                if number in numbers:
                    out[number] = loads_json(raw, line=number)["custom_id"]
                    if len(out) == len(wanted):
                        return out
    return out


def _crosses_pieces(partial: ResultsPartial, repeats: Mapping[int, Duplicate]) -> bool:
    """Whether a repeat and the line it repeats are in different pieces (a repeat within a piece was
    found, and skipped, by that piece's reader as one process would)."""
    firsts = sorted(p.first_line for p in partial.pieces)
    return any(
        bisect_right(firsts, line) != bisect_right(firsts, repeat.first_line)
        for line, repeat in repeats.items()
    )


def actuals_of(partial: ResultsPartial, *, at: date, engine: Engine) -> BatchActuals | None:
    """The actuals a merged partial adds up to; None when a custom_id repeats across pieces while
    skipping invalid lines (only one reader going through the file in order knows which to skip).

    Raises:
        WorkloadError: the first invalid line or unpriceable model (by line), or a repeated custom_id.
    """
    repeats = _repeats(partial)
    if repeats and partial.skip_invalid:
        if _crosses_pieces(partial, repeats):
            return None
    elif repeats:
        line, repeat = next(iter(repeats.items()))  # the earliest
        if partial.error is None or (0, line) <= partial.error[0]:  # a repeat is raised before the
            raise WorkloadError(repeat.message, path=partial.path, line=line)  # line's other errors
    if partial.error is not None:
        raise partial.error[1].error()
    if not sum(partial.counts.values()):  # every piece blank or skipped: as one reader says it
        raise no_result_lines(partial.path, partial.skipped)
    batch, realtime = Ledger(engine), Ledger(engine)
    for key in sorted(partial.groups, key=partial.first.__getitem__):
        model, mods, tier = key
        sums = partial.groups[key]
        batch_card = engine.card(model, at, mods)
        realtime_card = engine.card(batch_card.model, at, mods.with_mode("realtime"))
        for ledger, card in ((batch, batch_card), (realtime, realtime_card)):
            ledger.add_group(card, tier, sums[0], sums[1:7])
    return actuals_from(
        partial.path,
        at=at,
        engine=engine,
        batch=batch,
        realtime=realtime,
        counts=partial.counts,
        errors=partial.errors,
        missing=(partial.missing, partial.missing_tokens),
        other_tiers=partial.other_tiers,
        skipped=(partial.skipped, partial.skipped_lines),
    )


def results_worker(
    at: date, table: PriceTable | None, skip_invalid: bool
) -> Callable[[Piece, Callable[[int], None]], ResultsPartial]:
    """What a worker process runs on each piece (the engine made once per worker)."""
    engine = engine_for(table)

    def work(piece: Piece, advance: Callable[[int], None]) -> ResultsPartial:
        return results_piece(piece, at=at, engine=engine, skip_invalid=skip_invalid, advance=advance)

    return work


def parallel_actuals(
    path: str | Path,
    *,
    at: date,
    table: PriceTable | None,
    skip_invalid: bool,
    jobs: int,
    progress: bool = False,
) -> BatchActuals | None:
    """:func:`~claude_quote.reconcile.reconcile_results` in ``jobs`` worker processes (None: see
    :func:`actuals_of`)."""
    from claude_quote.scale.local import run_pieces

    merged = run_pieces(
        results_pieces(path, jobs=jobs),
        results_worker,
        (at, table, skip_invalid),
        jobs=jobs,
        total=Path(path).stat().st_size,
        merge=ResultsPartial.merge,
        progress=progress,
        label="reading results",
    )
    return actuals_of(merged, at=at, engine=engine_for(table))
