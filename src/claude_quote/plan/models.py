"""What :func:`~claude_quote.plan.plan` returns: the frozen :class:`Plan` with its :class:`Problem`
list and :class:`Part` split, the :class:`Split` that :func:`~claude_quote.plan.write_parts` wrote, and
the problem codes and severities.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

Severity = Literal["error", "warning"]
PartEnd = Literal["end_of_file", "max_requests", "max_bytes", "custom_id_duplicate", "line_too_large"]
ProblemCode = Literal[
    "invalid_line",
    "invalid_params",
    "custom_id_format",
    "custom_id_duplicate",
    "unknown_model",
    "model_not_api_id",
    "retired_model",
    "model_not_batchable",
    "max_tokens_missing",
    "max_tokens_invalid",
    "max_tokens_zero",
    "max_tokens_over_limit",
    "over_context_window",
    "near_context_window",
    "tier_crossed",
    "near_tier",
    "fast_mode_in_batch",
    "invalid_modifier",
    "streaming_in_batch",
    "too_many_cache_breakpoints",
    "line_too_large",
    "betas_in_params",
]


def printable(text: str) -> str:
    """``text`` with any lone surrogate (JSON can hold ``"\\ud800"``; UTF-8 cannot) written as
    ``\\ud800``, so that it can be printed and saved."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Problem(_Frozen):
    """One problem of one request."""

    line: int
    """1-based line of the file."""
    custom_id: str | None
    """The request's custom_id (None for a line that could not be read)."""
    severity: Severity
    """``error``: the API rejects the request or the batch. ``warning``: costs more, or may be rejected."""
    code: ProblemCode
    """Stable identifier of the check."""
    message: str
    """What is wrong, quoting the value, and what to do."""


class Part(_Frozen):
    """One batch of the split: consecutive lines of the file."""

    index: int
    """1-based."""
    file: str
    """The part's file name under ``--split DIR`` (``part-0001.jsonl``)."""
    first_line: int
    last_line: int
    requests: int
    bytes: int
    """Bytes of the part's JSONL: each line as in the source, with its newline."""
    body_bytes: int
    """Bytes of the batch-create body ``{"requests":[...]}`` holding these lines: the limit applies to it."""
    models: tuple[str, ...]
    """Models its requests name (canonical ids; unknown names as written)."""
    over_limit: bool = False
    """A single line over the byte limit, alone in its part (the API rejects this part)."""
    ended_by: PartEnd = "end_of_file"
    """Why the part ends: the file ends, the next line would go over ``max_requests`` or ``max_bytes``,
    repeats a custom_id of this part, or is too large for any batch (and for an over-limit part: itself)."""


class Split(_Frozen):
    """What :func:`write_parts` wrote and verified."""

    directory: str
    files: tuple[str, ...]
    """Part files, in order."""
    manifest: str
    """Path of ``manifest.json``."""
    requests: int
    """Lines read back from the parts (equal to the plan's requests, each once)."""
    custom_ids: int
    """custom_ids in the parts: one per line, the source's (the parts are its request lines, byte for byte)."""
    lines_sha256: str
    """sha256 of the parts concatenated in order (equal to the source's request lines)."""


class Plan(_Frozen):
    """Every problem of a batch file, and how it splits into batches."""

    file: str
    at: date
    requests: int
    """Requests read (invalid lines not included)."""
    skipped: int
    """Lines that are not batch requests (listed as ``invalid_line``: errors, or warnings with
    ``skip_invalid``), written to no part."""
    bytes: int
    """Bytes read (uncompressed for ``*.gz``)."""
    source_sha256: str
    """sha256 of those bytes."""
    lines_sha256: str
    """sha256 of the request lines, each ending with a newline: what the parts concatenate to."""
    custom_ids: int
    """Distinct custom_ids."""
    max_requests: int
    max_bytes: int
    margin: Decimal
    token_method: str
    """How prompt tokens were counted for the context-window and tier checks."""
    problems: tuple[Problem, ...]
    """Sorted by line."""
    parts: tuple[Part, ...]
    pricing_version: str
    pricing_sha256: str
    pricing_checked: date
    """When the price table was last checked against its sources (its ``checked`` date)."""
    warnings: tuple[str, ...] = ()
    """About the run itself (e.g. a skipped tokenizer file), not about a request."""
    split: Split | None = None
    """Set when the parts were written (``plan(..., split=DIR)`` or :func:`write_parts`)."""
    betas: tuple[str, ...] = ()
    """The betas the batch is to be created with (``--beta``), as declared."""

    @property
    def errors(self) -> int:
        """Problems of severity ``error``."""
        return sum(1 for p in self.problems if p.severity == "error")

    @property
    def warning_count(self) -> int:
        """Problems of severity ``warning``."""
        return sum(1 for p in self.problems if p.severity == "warning")

    def summary(self) -> list[tuple[str, Severity, int]]:
        """(code, severity, count), errors first, then by code."""
        counts = Counter((p.code, p.severity) for p in self.problems)
        return sorted(
            ((code, severity, n) for (code, severity), n in counts.items()),
            key=lambda item: (item[1] != "error", item[0]),
        )
