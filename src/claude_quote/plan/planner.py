"""The entry point :func:`plan` and the planner's state (:class:`_Planner`): it streams the file,
reading each raw line beside its parsed request (for the digests and the byte sizes), has every request
checked and placed in a part, counts the tokens of those that could reach a limit, and builds the
:class:`~claude_quote.plan.Plan`.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Generator, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

from claude_quote.cost import today
from claude_quote.errors import UsageError, WorkloadError
from claude_quote.estimate import counted, text_counts, texts_of
from claude_quote.pricing import PriceTable, load_pricing
from claude_quote.tokens.request import RequestShape
from claude_quote.workloads.requests import iter_batch_requests, open_binary

from .checks import _Model, _Resolved, check
from .digests import _content, _hex
from .limits import DEFAULT_MARGIN, MAX_BYTES, MAX_BYTES_CEILING, MAX_REQUESTS
from .models import Plan, Problem, ProblemCode, Severity
from .parts import _Draft, close, parts
from .token_checks import after_count


class _Planner:
    """One plan in the making: its options, the problems found, the parts drafted, the digests so far."""

    def __init__(
        self,
        path: Path,
        *,
        table: PriceTable,
        at: date,
        max_requests: int,
        max_bytes: int,
        token_factor: Decimal | None,
        margin: Decimal,
        skip_invalid: bool,
    ) -> None:
        self.path, self.where = path, str(path)
        self.table, self.at = table, at
        self.max_requests, self.max_bytes = max_requests, max_bytes
        self.token_factor, self.margin = token_factor, margin
        self.skip_invalid = skip_invalid
        self.encoding_notes: tuple[str, ...] = ()  # set by claude_quote.estimate.counted
        self.problems: list[Problem] = []
        self.first_line: dict[str, int] = {}
        self.resolved: dict[str, _Resolved] = {}
        self.by_id: dict[str, _Model] = {}
        self.api_names = {n: m for m in table.models for n in (m.id, *m.snapshots, *m.aliases)}
        self.pending: dict[int, int | None] = {}
        self.drafts: list[_Draft] = []
        self.current: _Draft | None = None
        self.source = hashlib.sha256()
        self.lines = hashlib.sha256()
        self.lines_digest = 0
        self.ids_digest = 0
        self.bytes = 0
        self.requests = 0
        self.skipped = 0

    # -- problems ------------------------------------------------------------------------------

    def add(
        self, line: int, custom_id: str | None, severity: Severity, code: ProblemCode, message: str
    ) -> None:
        self.problems.append(
            Problem(line=line, custom_id=custom_id, severity=severity, code=code, message=message)
        )

    def skip(self, error: WorkloadError) -> None:
        self.skipped += 1
        message = str(error)
        prefix = f"{error.path}:{error.line}: "
        message = message.removeprefix(prefix)
        self.add(
            error.line or 0,
            None,
            "warning",
            "invalid_line",
            f"skipped (--skip-invalid) and written to no part: {message}",
        )

    # -- reading -------------------------------------------------------------------------------

    def _raw_lines(self) -> Generator[tuple[int, bytes], None, None]:
        with open_binary(self.path) as handle:
            for number, raw in enumerate(handle, start=1):
                self.source.update(raw)
                self.bytes += len(raw)
                yield number, raw

    def shapes(self) -> Iterator[RequestShape]:
        """Check each request (reading its raw line alongside) and yield those worth counting."""
        raw_lines = self._raw_lines()
        with contextlib.closing(raw_lines):
            requests = iter_batch_requests(self.path, skip_invalid=self.skip_invalid, on_skip=self.skip)
            for request in requests:
                number, raw = next(raw_lines, (0, b""))
                while number != request.line:  # blank or skipped lines
                    if number == 0:
                        raise WorkloadError("changed while it was being read: plan it again", path=self.where)
                    number, raw = next(raw_lines, (0, b""))
                shape = check(self, request, _content(raw))
                if shape is not None:
                    yield shape
            for _ in raw_lines:
                pass

    # -- the result ----------------------------------------------------------------------------

    def token_method(self) -> str:
        descriptions = sorted({model.method.description for model in self.by_id.values()})
        return "; ".join(descriptions) or "nothing counted (no known model)"

    def result(self) -> Plan:
        close(self, "end_of_file")
        if self.requests == 0:
            extra = f" ({self.skipped:,} invalid lines skipped)" if self.skipped else ""
            raise WorkloadError(f"no requests found in {self.where}{extra}")
        return Plan(
            file=self.where,
            at=self.at,
            requests=self.requests,
            skipped=self.skipped,
            bytes=self.bytes,
            source_sha256=self.source.hexdigest(),
            lines_sha256=self.lines.hexdigest(),
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
            warnings=self.encoding_notes,
            lines_digest=_hex(self.lines_digest),
            custom_ids_digest=_hex(self.ids_digest),
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
) -> Plan:
    """Check every request of a Message Batches JSONL file and plan its split into batches.

    Args:
        path: the batch file (``*.jsonl``, ``*.jsonl.gz``), one ``{"custom_id", "params"}`` per line.
        at: the date whose models and prices apply (default: today, UTC).
        table: the price table (default: the bundled one).
        max_requests: most requests per part (1 to 100,000).
        max_bytes: most bytes per part, measured on the batch-create body (1 to 256 MiB; default
            256,000,000).
        token_factor: Claude tokens per tiktoken token for every model, instead of the defaults.
        margin: share under the context window or a tier within which an estimate is warned about.
        skip_invalid: skip lines that are not batch requests (listed as ``invalid_line`` warnings and
            written to no part) instead of failing.

    Raises:
        WorkloadError: the file is missing, empty, or a line is not a batch request (``file:line``).
        UsageError: a limit out of range.
        TokenizerUnavailableError: no offline copy of the tiktoken encoding.
    """
    if isinstance(max_requests, bool) or not 1 <= max_requests <= MAX_REQUESTS:
        raise UsageError(
            f"max_requests must be between 1 and {MAX_REQUESTS:,} (the API's limit per batch), got {max_requests!r}"
        )
    if isinstance(max_bytes, bool) or not 1 <= max_bytes <= MAX_BYTES_CEILING:
        raise UsageError(
            f"max_bytes must be between 1 and {MAX_BYTES_CEILING:,} (256 MiB, the API's limit per batch), "
            f"got {max_bytes!r}"
        )
    if not margin.is_finite() or not Decimal(0) <= margin < 1:
        raise UsageError(f"margin must be at least 0 and under 1, got {margin!r}")
    if token_factor is not None and (not token_factor.is_finite() or token_factor <= 0):
        raise UsageError(f"token_factor must be a decimal number above 0, got {token_factor!r}")
    planner = _Planner(
        Path(path),
        table=table or load_pricing(),
        at=at or today(),
        max_requests=max_requests,
        max_bytes=max_bytes,
        token_factor=token_factor,
        margin=margin,
        skip_invalid=skip_invalid,
    )
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
    return planner.result()
