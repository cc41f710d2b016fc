"""The entry point :func:`plan` and the planner's state (:class:`Planner`): it reads the file once,
has every request checked and placed in a part, lists every line that is no request, counts the
tokens of the requests that could reach a limit, and builds the :class:`~claude_quote.plan.Plan`.
The raw lines go to a :class:`~.sink.Sink`, which hashes them and, with ``split``, writes the parts.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from claude_quote.engine import today
from claude_quote.errors import UsageError, WorkloadError
from claude_quote.estimate import counted, text_counts, texts_of
from claude_quote.pricing import PriceTable, load_pricing
from claude_quote.tokens.request import RequestShape
from claude_quote.workloads.requests import DEFAULT_MAX_LINE_BYTES, read_request_lines

from .checks import Bounds, PlanModel, Resolved, check
from .limits import DEFAULT_MARGIN, MAX_BYTES, MAX_BYTES_CEILING, MAX_REQUESTS, OUTPUT_300K_BETA
from .models import Plan, Problem, ProblemCode, Severity, printable
from .parts import Draft, close, parts
from .sink import Sink
from .token_checks import after_count
from .writing import SplitDir, commit

KNOWN_BETAS = frozenset({OUTPUT_300K_BETA})
"""Betas that change a check (the others are accepted, with a warning that they change none)."""


@dataclass(frozen=True)
class PlanSettings:
    """What a plan is checked against: one frozen value, made once by :func:`plan` and shared by every
    piece of a plan made in parallel."""

    table: PriceTable
    at: date
    max_requests: int
    max_bytes: int
    token_factor: Decimal | None
    margin: Decimal
    skip_invalid: bool
    betas: tuple[str, ...]
    max_line_bytes: int


class Planner:
    """One plan in the making: its settings, the problems found, the parts drafted."""

    def __init__(self, path: Path, settings: PlanSettings, *, sink: Sink, stop_on_error: bool) -> None:
        self.path, self.where = path, str(path)
        self.settings = settings
        table = self.table = settings.table
        self.at = settings.at
        self.max_requests, self.max_bytes = settings.max_requests, settings.max_bytes
        self.token_factor, self.margin = settings.token_factor, settings.margin
        self.skip_invalid = settings.skip_invalid
        self.declared_betas = settings.betas
        self.betas = frozenset(settings.betas)
        self.max_line_bytes = settings.max_line_bytes
        self.sink = sink
        self.stop_on_error = stop_on_error
        self.encoding_notes: tuple[str, ...] = ()  # set by claude_quote.estimate.counted
        self.problems: list[Problem] = []
        self.first_line: dict[str, int] = {}
        self.resolved: dict[str, Resolved] = {}
        self.by_id: dict[str, PlanModel] = {}
        self.bounds: dict[str, Bounds] = {}
        self.api_names = {n: m for m in table.models for n in (m.id, *m.snapshots, *m.aliases)}
        self.pending: dict[int, int | None] = {}
        self.drafts: list[Draft] = []
        self.current: Draft | None = None
        self.bytes = 0
        self.requests = 0
        self.skipped = 0
        self.first_invalid: WorkloadError | None = None
        self.placed: list[tuple[int, str, int, str | None]] | None = None
        """(line, custom_id, bytes, model) of each request placed, when the placing is done elsewhere."""

    # -- problems ------------------------------------------------------------------------------

    def add(
        self, line: int, custom_id: str | None, severity: Severity, code: ProblemCode, message: str
    ) -> None:
        shown = None if custom_id is None else printable(custom_id)
        self.problems.append(
            Problem(line=line, custom_id=shown, severity=severity, code=code, message=printable(message))
        )
        if severity == "error" and self.stop_on_error:
            self.stop_on_error = False  # once: no parts will be written
            self.sink.stop_writing()

    def invalid(self, error: WorkloadError) -> None:
        """A line that is no batch request: an error (a warning with ``skip_invalid``), in no part."""
        self.skipped += 1
        if self.first_invalid is None:
            self.first_invalid = error
        message = str(error).removeprefix(f"{error.path}:{error.line}: ")
        if self.skip_invalid:
            self.add(
                error.line or 0,
                None,
                "warning",
                "invalid_line",
                f"skipped (--skip-invalid) and written to no part: {message}",
            )
        else:
            self.add(error.line or 0, None, "error", "invalid_line", f"{message} (written to no part)")

    # -- reading -------------------------------------------------------------------------------

    def _part_of_last_line(self) -> int:
        """The part the request just placed went to: the current draft, or one alone (too large)."""
        return len(self.drafts) + (1 if self.current is not None else 0)

    def shapes(self) -> Iterator[RequestShape]:
        """Check each request as it is read and yield those worth counting."""
        add = self.sink.add
        for item in read_request_lines(self.path, max_line_bytes=self.max_line_bytes):
            raw, request = item.raw, item.request
            if item.in_source:
                self.bytes += len(raw)
            if request is None:
                if item.error is not None:
                    self.invalid(item.error)
                add(raw, 0, item.in_source)
                continue
            shape = check(self, request, len(raw) if raw.endswith(b"\n") else len(raw) + 1)
            add(raw, self._part_of_last_line(), item.in_source)
            if shape is not None:
                yield shape

    # -- the result ----------------------------------------------------------------------------

    def token_method(self) -> str:
        descriptions = sorted({model.method.description for model in self.by_id.values()})
        return "; ".join(descriptions) or "nothing counted (no known model)"

    def result(self, source_sha256: str, lines_sha256: str, warnings: tuple[str, ...]) -> Plan:
        close(self, "end_of_file")
        if self.requests == 0:
            extra = ""
            if self.first_invalid is not None:
                lines = f"{self.skipped:,} invalid line{'s' if self.skipped != 1 else ''}"
                extra = f" ({lines}; the first, {self.first_invalid})"
            raise WorkloadError(f"no requests found{extra}", path=self.where)
        return Plan(
            file=self.where,
            at=self.at,
            requests=self.requests,
            skipped=self.skipped,
            bytes=self.bytes,
            source_sha256=source_sha256,
            lines_sha256=lines_sha256,
            custom_ids=len(self.first_line),
            max_requests=self.max_requests,
            max_bytes=self.max_bytes,
            margin=self.margin,
            token_method=self.token_method(),
            problems=tuple(sorted(self.problems, key=lambda p: p.line)),
            parts=parts(self.drafts),
            pricing_version=self.table.version,
            pricing_checked=self.table.checked,
            pricing_sha256=self.table.sha256,
            warnings=(*warnings, *self.encoding_notes),
            betas=self.declared_betas,
        )


def beta_warnings(betas: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(
        f"--beta {name}: not a beta claude-quote knows ({', '.join(sorted(KNOWN_BETAS))}); it changes none "
        "of the checks"
        for name in betas
        if name not in KNOWN_BETAS
    )


def plan(
    path: str | Path,
    *,
    at: date | None = None,
    table: PriceTable | None = None,
    max_requests: int = MAX_REQUESTS,
    max_bytes: int = MAX_BYTES,
    token_factor: Decimal | None = None,
    margin: Decimal = DEFAULT_MARGIN,
    skip_invalid: bool = False,
    betas: Sequence[str] = (),
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    split: str | Path | None = None,
    overwrite: bool = False,
    force: bool = False,
    jobs: int | None = 1,
    progress: bool = False,
) -> Plan:
    """Check every request of a Message Batches file and plan its split into batches.

    Every line that is no batch request is listed with its line (an ``invalid_line`` error; a
    warning with ``skip_invalid``) and written to no part. With ``split``, the parts are written
    while the file is read (once: standard input too) and put into place when the plan is done,
    unless it has errors: then nothing is written and ``split`` stays None (``force`` writes them
    anyway).

    Args:
        path: the batch file: JSONL (``*.jsonl.gz`` too; ``-``: standard input), one
            ``{"custom_id", "params"}`` per line, or a ``.json`` batch-create body ``{"requests": [...]}``.
        at: the date whose models and prices apply (default: today, UTC).
        table: the price table (default: the bundled one).
        max_requests: most requests per part (1 to 100,000).
        max_bytes: most bytes per part, measured on the batch-create body (1 to 256 MiB; default
            256,000,000).
        token_factor: Claude tokens per tiktoken token for every model, instead of the defaults.
        margin: share under the context window or a tier within which an estimate is warned about.
        skip_invalid: list lines that are not batch requests as warnings, not errors.
        betas: the betas the batch will be created with (the SDK's ``betas=``), e.g.
            ``output-300k-2026-03-24``, which lifts ``max_tokens`` to 300,000 on some models.
        max_line_bytes: the longest line read (default 512 MiB); a longer one is an error.
        split: a directory to write the parts (``part-0001.jsonl``, ...) and ``manifest.json`` into.
        overwrite: with ``split``, replace the parts and manifest already there.
        force: with ``split``, write the parts even when the plan has errors.
        jobs: without ``split``, worker processes that check pieces of a big JSONL file at once
            (None: one per core; 1: this process only); the same plan (:mod:`.partial`).
        progress: with worker processes, a progress bar of what they have read (on a terminal).

    Raises:
        WorkloadError: the file is missing, empty, holds no request, has a line over
            ``max_line_bytes``, or a part does not read back as written.
        UsageError: a limit out of range; ``split`` is unusable (a file, holds parts without
            ``overwrite``, holds the source, is taken by another split, cannot be written).
        TokenizerUnavailableError: no offline copy of the tiktoken encoding.
    """
    _check_limits(max_requests, max_bytes, max_line_bytes, margin, token_factor)
    if isinstance(betas, str):
        betas = [betas]
    table = table or load_pricing()  # before the split directory is taken
    settings = PlanSettings(
        table=table,
        at=at or today(),
        max_requests=max_requests,
        max_bytes=max_bytes,
        token_factor=token_factor,
        margin=margin,
        skip_invalid=skip_invalid,
        betas=tuple(dict.fromkeys(betas)),
        max_line_bytes=max_line_bytes,
    )
    if split is None and jobs != 1 and _in_pieces(Path(path), jobs):
        from claude_quote.scale.pieces import resolve_jobs

        from .partial import parallel_plan

        return parallel_plan(Path(path), settings, jobs=resolve_jobs(jobs), progress=progress)
    target = None if split is None else SplitDir(split, overwrite=overwrite, source=str(path))
    return _plan_here(Path(path), settings, target, force=force)


def _check_limits(
    max_requests: int, max_bytes: int, max_line_bytes: int, margin: Decimal, token_factor: Decimal | None
) -> None:
    """The limits and factors of :func:`plan` in range (the API's limits per batch)."""
    if isinstance(max_requests, bool) or not 1 <= max_requests <= MAX_REQUESTS:
        raise UsageError(
            f"max_requests must be between 1 and {MAX_REQUESTS:,} (the API's limit per batch), got {max_requests!r}"
        )
    if isinstance(max_bytes, bool) or not 1 <= max_bytes <= MAX_BYTES_CEILING:
        raise UsageError(
            f"max_bytes must be between 1 and {MAX_BYTES_CEILING:,} (256 MiB, the API's limit per batch), "
            f"got {max_bytes!r}"
        )
    if isinstance(max_line_bytes, bool) or max_line_bytes < 1:
        raise UsageError(f"max_line_bytes must be at least 1, got {max_line_bytes!r}")
    if not margin.is_finite() or not Decimal(0) <= margin < 1:
        raise UsageError(f"margin must be at least 0 and under 1, got {margin!r}")
    if token_factor is not None and (not token_factor.is_finite() or token_factor <= 0):
        raise UsageError(f"token_factor must be a decimal number above 0, got {token_factor!r}")


def _plan_here(path: Path, settings: PlanSettings, target: SplitDir | None, *, force: bool) -> Plan:
    """The plan made in this process: the file read once, each request checked and placed, the
    requests that could reach a limit counted; with ``target``, the parts written and committed."""
    sink = Sink(target)
    try:
        planner = Planner(path, settings, sink=sink, stop_on_error=target is not None and not force)
        for chunk, counts, _ in counted(planner, planner.shapes()):
            position = 0
            for shape in chunk:
                width = len(texts_of(shape))
                after_count(
                    planner,
                    shape,
                    text_counts(shape, None if counts is None else counts[position : position + width]),
                )
                position += width
        source_sha256, lines_sha256 = sink.finish()
        result = planner.result(source_sha256, lines_sha256, beta_warnings(planner.declared_betas))
        if target is None or (result.errors and not force):
            return result
        return commit(target, result, sink.files)
    finally:
        sink.close()
        if target is not None:
            target.release()


def _in_pieces(path: Path, jobs: int | None) -> bool:
    """Whether ``path`` is a JSONL file big enough to check in worker processes."""
    from claude_quote.scale import local
    from claude_quote.scale.pieces import cuttable, resolve_jobs

    if str(path) == "-" or not path.name.lower().endswith((".jsonl", ".ndjson")) or resolve_jobs(jobs) < 2:
        return False
    try:
        return cuttable(path) and path.stat().st_size >= local.MIN_PARALLEL_BYTES
    except OSError:
        return False
