"""Mergeable partial results of a results file: a piece of the file (lines ``start``–``end``) read and
summed into a :class:`ResultsPartial`, the partials merged into exactly what
:func:`~claude_quote.reconcile.reconcile_results` gives in one process.

A partial holds integer sums — per (model, modifiers, tier): requests and the six usage buckets — the
result counts, the errored types, the cache-split and service-tier tallies, the skipped lines (the first
:data:`~claude_quote.workloads.results.MAX_SKIPPED_SHOWN` by line) and the first error. Prices are not
in it: the merged sums go through the pricing engine's :class:`~claude_quote.engine.Ledger` once, in the
order each group first appeared in the file (as one process adds them), so the report is the same to
the last digit and the last warning.

custom_ids must be unique in a results file. Within a piece the reader checks them; across pieces each
partial keeps a 64-bit hash and the line of every id (16 bytes a line), and the merged hashes are
sorted once: two equal hashes are read back from the file and compared, so a repeat is found exactly
(and reported at its later line), and a hash collision is not taken for one.
"""

from __future__ import annotations

import zlib
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from claude_quote.engine import Engine, Ledger, Modifiers, RateCard, engine_for
from claude_quote.errors import ClaudeQuoteError, WorkloadError
from claude_quote.pricing import PriceTable
from claude_quote.scale.pieces import CapturedError, Piece, Position, jsonl_cuts, piece_target
from claude_quote.workloads.results import MAX_SKIPPED_SHOWN, InvalidLine, ResultsReader

from .results import BatchActuals, actuals_from, batch_modifiers

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
    """64 bits of a custom_id (CRC-32 and Adler-32: fast; equal hashes are checked on the ids)."""
    data = custom_id.encode("utf-8", "surrogatepass")
    return zlib.crc32(data) << 32 | zlib.adler32(data)


def results_piece(
    piece: Piece,
    *,
    at: date,
    engine: Engine,
    skip_invalid: bool = False,
    advance: Callable[[int], None] | None = None,
) -> ResultsPartial:
    """Read and sum one piece of a results file (cards found and tiers chosen by ``engine`` on ``at``)."""
    path = piece.path
    part = ResultsPartial(path=path, pieces=[piece], skip_invalid=skip_invalid)
    reader = ResultsReader(
        path, skip_invalid=skip_invalid, start=piece.start, end=piece.end, first_line=piece.first_line
    )
    cards: dict[tuple[str, Modifiers], RateCard] = {}
    ids = array("Q")
    lines = array("Q")
    number = piece.first_line
    try:
        for line in reader:
            number = line.line
            part.counts[line.type] += 1
            ids.append(_id_hash(line.custom_id))
            lines.append(line.line)
            if line.type == "errored":
                part.errors[line.error_type or "unknown"] += 1
            usage = line.usage
            if usage is None:
                continue
            assert line.model is not None
            mods = batch_modifiers(line, path)
            card = cards.get((line.model, mods))
            if card is None:
                try:
                    card = cards[line.model, mods] = engine.card(line.model, at, mods)
                except ClaudeQuoteError as exc:
                    raise WorkloadError(f"result.message.model: {exc}", path=path, line=line.line) from None
            if line.service_tier not in (None, "batch"):
                part.other_tiers[str(line.service_tier)] += 1
            buckets = usage.buckets()
            key = (card.model.id, mods, card.tier(buckets[0] + buckets[1] + buckets[2] + buckets[3]))
            sums = part.groups.get(key)
            if sums is None:
                sums = part.groups[key] = [0] * 7
                part.first[key] = line.line
            sums[0] += 1
            for i in range(6):
                sums[i + 1] += buckets[i]
            if line.cache_split_missing:
                part.missing += 1
                part.missing_tokens += usage.cache_write_5m_tokens
    except ClaudeQuoteError as exc:
        at_line = exc.line if isinstance(exc, WorkloadError) and exc.line is not None else number
        part.error = ((0, at_line), CapturedError.of(exc))
    part.skipped, part.skipped_lines = reader.skipped, list(reader.skipped_lines)
    part.hashes = [(ids, lines)]
    if advance is not None:
        end = Path(path).stat().st_size if piece.end is None else piece.end
        advance(end - piece.start)
    return part


def results_pieces(path: str | Path, *, jobs: int) -> list[Piece]:
    """A results file cut into pieces at line boundaries for ``jobs`` workers."""
    size = Path(path).stat().st_size
    return [
        Piece("results", ((0, str(path)),), start, end, line, size=(size if end is None else end) - start)
        for start, end, line in jsonl_cuts(path, piece_target(size, jobs))
    ]


def _repeats(partial: ResultsPartial) -> tuple[int, int] | None:
    """The earliest (first line, later line) of a custom_id that two pieces both hold, or None."""
    import numpy as np

    if len(partial.hashes) < 2:
        return None
    all_hashes = np.concatenate([np.frombuffer(h, dtype=np.uint64) for h, _ in partial.hashes])
    all_lines = np.concatenate([np.frombuffer(n, dtype=np.uint64) for _, n in partial.hashes])
    order = np.argsort(all_hashes, kind="stable")
    hashes, lines = all_hashes[order], all_lines[order]
    same = np.flatnonzero(hashes[1:] == hashes[:-1])
    found: tuple[int, int] | None = None
    for i in same.tolist():
        j = i
        while j > 0 and hashes[j - 1] == hashes[i]:
            j -= 1
        first, again = int(lines[j]), int(lines[i + 1])
        first, again = min(first, again), max(first, again)
        if first == again or (found is not None and again >= found[1]):
            continue
        if _id_at(partial, first) == _id_at(partial, again):  # not a hash collision
            found = (first, again)
    return found


def _id_at(partial: ResultsPartial, number: int) -> str | None:
    """The custom_id of line ``number`` (read back from the file)."""
    for piece in partial.pieces:
        reader = ResultsReader(
            piece.path, skip_invalid=True, start=piece.start, end=piece.end, first_line=piece.first_line
        )
        if piece.first_line <= number:
            for line in reader:
                if line.line == number:
                    return line.custom_id
                if line.line > number:
                    break
    return None


def actuals_of(partial: ResultsPartial, *, at: date, engine: Engine) -> BatchActuals | None:
    """The actuals a merged partial adds up to; None when a custom_id repeats across pieces while
    skipping invalid lines (only one reader going through the file in order knows which to skip).

    Raises:
        WorkloadError: the first invalid line or unpriceable model (by line), or a repeated custom_id.
    """
    repeat = _repeats(partial)
    if repeat is not None:
        if partial.skip_invalid:
            return None
        first, again = repeat
        custom_id = _id_at(partial, again)
        error = WorkloadError(
            f"custom_id {custom_id!r} already appeared on line {first}; ids are unique in a batch",
            path=partial.path,
            line=again,
        )
        if partial.error is None or (0, again) < partial.error[0]:
            raise error
    if partial.error is not None:
        raise partial.error[1].error()
    batch, realtime = Ledger(engine), Ledger(engine)
    for key in sorted(partial.groups, key=partial.first.__getitem__):
        model, mods, tier = key
        sums = partial.groups[key]
        batch_card = engine.card(model, at, mods)
        realtime_card = engine.card(batch_card.model, at, mods.with_mode("realtime"))
        for ledger, card in ((batch, batch_card), (realtime, realtime_card)):
            group = ledger.group(card, tier)
            group.requests += sums[0]
            for i in range(6):
                group.sums[i] += sums[i + 1]
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
        merge=ResultsPartial.merge,
        progress=progress,
        label="reading results",
    )
    return actuals_of(merged, at=at, engine=engine_for(table))
