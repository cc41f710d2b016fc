"""``plan`` (the check, without ``--split``) of a big JSONL file in worker processes: each piece of the
file is checked and counted as one process checks it (:class:`PlanPartial`), and the pieces merge into
exactly the plan one process makes.

What depends on the whole file is settled on merging: a custom_id an earlier piece already used is a
``custom_id_duplicate`` at its later line (each piece knows only its own ids), and every message names
the id's first line in the file; the parts are drafted again in file order from each request's line,
custom_id, size and model (the drafting is cheap: the checks and the counting are what cost); and the
file's sha256 and its request lines' are computed by reading it once more (hashing runs at disk speed).
Problems keep the order one process gives them: by line, and within a line in the order of the checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from claude_quote.errors import ClaudeQuoteError, WorkloadError
from claude_quote.estimate import counted, text_counts, texts_of
from claude_quote.scale.pieces import CapturedError, Piece, Position, jsonl_cuts, piece_target
from claude_quote.tokens.request import RequestShape
from claude_quote.workloads.requests import iter_request_range

from .checks import check, check_custom_id
from .models import Plan, Problem
from .parts import place
from .planner import Planner, PlanSettings, beta_warnings
from .sink import Sink
from .token_checks import after_count

__all__ = ["PlanPartial", "PlanSettings", "parallel_plan"]


@dataclass
class PlanPartial:
    """The check of a piece of the file (merge with :meth:`merge`)."""

    requests: int = 0
    skipped: int = 0
    first_invalid: tuple[Position, CapturedError] | None = None
    error: tuple[Position, CapturedError] | None = None
    problems: list[Problem] = field(default_factory=list)
    first_line: dict[str, int] = field(default_factory=dict)
    placed: list[tuple[int, str, int, str | None]] = field(default_factory=list)
    methods: set[str] = field(default_factory=set)
    encoding_notes: tuple[str, ...] = ()

    def merge(self, other: PlanPartial) -> PlanPartial:
        """Both pieces' checks (changes and returns ``self``; the order of the two does not matter)."""
        self.requests += other.requests
        self.skipped += other.skipped
        for name in ("first_invalid", "error"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine is None or (theirs is not None and theirs[0] < mine[0]):
                setattr(self, name, theirs)
        self.problems += other.problems
        for custom_id, line in other.first_line.items():
            found = self.first_line.get(custom_id)
            if found is None or line < found:
                self.first_line[custom_id] = line
        self.placed += other.placed
        self.methods |= other.methods
        self.encoding_notes = self.encoding_notes or other.encoding_notes
        return self


def plan_piece(settings: PlanSettings, piece: Piece, advance: Callable[[int], None]) -> PlanPartial:
    """Check and count the requests of one piece of the file."""
    path = Path(piece.path)
    planner = Planner(path, settings, sink=Sink(None), stop_on_error=False)
    planner.placed = []
    part = PlanPartial()
    last_line = _unended_last_line(path, piece)
    try:
        with path.open("rb", buffering=1 << 20) as handle:
            requests = iter_request_range(
                handle,
                piece.path,
                start=piece.start,
                end=piece.end,
                first_line=piece.first_line,
                skip_invalid=True,
                on_skip=planner.invalid,
                max_line_bytes=settings.max_line_bytes,
                bare=False,
            )
            shapes = _checked(planner, requests, last_line)
            for chunk, counts, _ in counted(planner, shapes):
                position = 0
                for shape in chunk:
                    width = len(texts_of(shape))
                    window = None if counts is None else counts[position : position + width]
                    after_count(planner, shape, text_counts(shape, window))
                    position += width
    except ClaudeQuoteError as exc:
        line = exc.line if isinstance(exc, WorkloadError) and exc.line is not None else piece.first_line
        part.error = ((0, line), CapturedError.of(exc))
    advance(piece.size)
    part.requests, part.skipped = planner.requests, planner.skipped
    if planner.first_invalid is not None:
        part.first_invalid = ((0, planner.first_invalid.line or 0), CapturedError.of(planner.first_invalid))
    part.problems = planner.problems
    part.first_line = planner.first_line
    part.placed = planner.placed
    part.methods = {model.method.description for model in planner.by_id.values()}
    part.encoding_notes = planner.encoding_notes
    return part


def _checked(planner: Planner, requests: Any, last_line: int | None) -> Any:
    """Each request checked (the file's last line, without a newline, one byte longer, as one
    process counts it); the shapes worth counting."""
    for request in requests:
        size = request.size_bytes + (1 if request.line == last_line else 0)
        shape: RequestShape | None = check(planner, request, size)
        if shape is not None:
            yield shape


def _unended_last_line(path: Path, piece: Piece) -> int | None:
    """The number of the file's last line when it has no newline (None: it has one, or the piece
    is not the last)."""
    size = path.stat().st_size
    if piece.end is not None or size <= piece.start:
        return None
    with path.open("rb") as handle:
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return None
        handle.seek(piece.start)
        newlines = 0
        while block := handle.read(1 << 23):
            newlines += block.count(b"\n")
    return piece.first_line + newlines


def plan_worker(settings: PlanSettings) -> Callable[[Piece, Callable[[int], None]], PlanPartial]:
    """What a worker process runs on each piece."""

    def work(piece: Piece, advance: Callable[[int], None]) -> PlanPartial:
        return plan_piece(settings, piece, advance)

    return work


class _Merged(Planner):
    methods: set[str]

    def token_method(self) -> str:
        return "; ".join(sorted(self.methods)) or "nothing counted (no known model)"

    def part_now(self) -> int:
        """The part the request just placed went to."""
        return self._part_of_last_line()


def plan_of(partial: PlanPartial, path: Path, settings: PlanSettings) -> Plan:
    """The plan the merged partial of ``path`` adds up to (as :func:`~claude_quote.plan.plan` makes it)."""
    if partial.error is not None:
        raise partial.error[1].error()
    merged = _Merged(path, settings, sink=Sink(None), stop_on_error=False)
    merged.methods = partial.methods
    merged.requests, merged.skipped = partial.requests, partial.skipped
    merged.first_invalid = None if partial.first_invalid is None else _workload(partial.first_invalid[1])
    merged.encoding_notes = partial.encoding_notes
    merged.bytes = path.stat().st_size
    part_of: dict[int, int] = {}
    for line, custom_id, size, label in sorted(partial.placed):
        place(merged, line, custom_id, size, None, label)
        part_of[line] = merged.part_now()
    merged.problems = _problems(partial, Planner(path, settings, sink=Sink(None), stop_on_error=False))
    merged.first_line = partial.first_line
    sink = Sink(None)
    try:
        with path.open("rb", buffering=1 << 20) as handle:
            for number, raw in enumerate(handle, start=1):
                sink.add(raw, part_of.get(number, 0), True)
        source_sha256, lines_sha256 = sink.finish()
    finally:
        sink.close()
    return merged.result(source_sha256, lines_sha256, beta_warnings(settings.betas))


def _problems(partial: PlanPartial, probe: Planner) -> list[Problem]:
    """Every piece's problems, in the order one process finds them, each repeated custom_id naming its
    first line in the file (and a first use in a piece that an earlier piece used, now a repeat)."""
    first = partial.first_line
    by_line: dict[int, list[Problem]] = {}
    for problem in partial.problems:
        by_line.setdefault(problem.line, []).append(problem)
    repeats: dict[int, Problem] = {}
    for line, custom_id, _, _ in partial.placed:
        if first[custom_id] < line:
            probe.problems, probe.first_line = [], {custom_id: first[custom_id]}
            check_custom_id(probe, line, custom_id)
            repeats[line] = next(p for p in probe.problems if p.code == "custom_id_duplicate")
    out: list[Problem] = []
    for line in sorted(by_line.keys() | repeats.keys()):
        problems = [p for p in by_line.get(line, []) if p.code != "custom_id_duplicate"]
        repeat = repeats.get(line)
        if repeat is not None:
            at = 1 if problems and problems[0].code == "custom_id_format" else 0
            problems.insert(at, repeat)
        out += problems
    return out


def _workload(captured: CapturedError) -> WorkloadError:
    error = captured.error()
    assert isinstance(error, WorkloadError)
    return error


def parallel_plan(path: Path, settings: PlanSettings, *, jobs: int, progress: bool = False) -> Plan:
    """:func:`~claude_quote.plan.plan` of a JSONL file (no split) in ``jobs`` worker processes."""
    from claude_quote.scale.local import run_pieces

    size = path.stat().st_size
    pieces = [
        Piece("requests", ((0, str(path)),), start, end, line, size=(size if end is None else end) - start)
        for start, end, line in jsonl_cuts(path, piece_target(size, jobs))
    ]
    merged = run_pieces(
        pieces,
        plan_worker,
        (settings,),
        jobs=jobs,
        merge=PlanPartial.merge,
        progress=progress,
        label="planning",
    )
    return plan_of(merged, path, settings)
