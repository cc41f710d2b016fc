"""Reading Message Batches results JSONL: one validated :class:`BatchResult` per line, streamed.

Each line of a results file (``client.messages.batches.results(batch_id)``, or the file behind the
batch's ``results_url``) is one request's outcome::

    {"custom_id": "a", "result": {"type": "succeeded", "message": {"model": "...", "usage": {...}}}}
    {"custom_id": "b", "result": {"type": "errored", "error": {"type": "error", "error": {...}}}}
    {"custom_id": "c", "result": {"type": "canceled"}}
    {"custom_id": "d", "result": {"type": "expired"}}

Only ``succeeded`` requests are billed. Their model comes from ``result.message.model`` and their
usage from ``result.message.usage`` (:meth:`claude_quote.usage.Usage.from_api`): uncached input,
the ``cache_creation`` 5-minute / 1-hour split (or ``cache_creation_input_tokens`` as 5-minute writes
when an older response has no split, flagged on the line), cache reads, output and web searches; and
the way the request ran, as the API wrote it (``inference_geo``, ``speed``, ``service_tier``).

This module only reads: the model name and the modifiers are passed on as written, and pricing them
(:mod:`claude_quote.reconcile`) is where an unknown model or modifier becomes an error.

A line that is not valid JSON, has no ``custom_id``, an unknown result type, a usage without the API's
token counts (``{}``, or another API's ``prompt_tokens``) or a token count that is not a whole number
of 0 or more is a :class:`~claude_quote.errors.WorkloadError` naming the file and line; with
``skip_invalid`` it is skipped and recorded instead.

>>> import json, tempfile, pathlib
>>> line = {"custom_id": "q1", "result": {"type": "succeeded", "message": {
...     "model": "claude-sonnet-4-6", "usage": {"input_tokens": 1200, "output_tokens": 300}}}}
>>> path = pathlib.Path(tempfile.mkdtemp()) / "results.jsonl"
>>> _ = path.write_text(json.dumps(line) + "\\n" + json.dumps({"custom_id": "q2", "result": {"type": "expired"}}))
>>> [(r.custom_id, r.type, r.model, r.usage and r.usage.input_tokens) for r in ResultsReader(path)]
[('q1', 'succeeded', 'claude-sonnet-4-6', 1200), ('q2', 'expired', None, None)]
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict

from claude_quote.errors import WorkloadError
from claude_quote.money import MAX_COUNT
from claude_quote.parsing import loads_json, shown
from claude_quote.usage import Usage

from .files import iter_lines, open_input

__all__ = [
    "MAX_SKIPPED_SHOWN",
    "RESULT_TYPES",
    "BatchResult",
    "InvalidLine",
    "ResultType",
    "ResultsReader",
    "check_token_count",
]

ResultType = Literal["succeeded", "errored", "canceled", "expired"]
RESULT_TYPES: tuple[str, ...] = get_args(ResultType)
"""Every result type the Message Batches API writes. Only ``succeeded`` is billed."""

MAX_SKIPPED_SHOWN = 20
"""How many skipped lines a reader remembers in detail (all are counted)."""

_USAGE_COUNTS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
_SPLIT_COUNTS = ("ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens")
_TOOL_COUNTS = ("web_search_requests", "web_fetch_requests", "code_execution_requests")
_FOREIGN = ("prompt_tokens", "completion_tokens", "total_tokens")
"""Usage keys of other APIs (OpenAI's): a file of those is not a Claude results file."""


class InvalidLine(BaseModel):
    """A line that was skipped (``--skip-invalid``), and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    line: int | None
    """1-based line number in the file; None in a whole-file JSON export (the reason says where)."""
    reason: str
    """What was wrong with it, quoting the value."""


@dataclass(slots=True)
class BatchResult:
    """One validated line of a results file (treat as read-only)."""

    line: int
    """1-based line number."""
    custom_id: str
    """The request's ``custom_id``."""
    type: ResultType
    """``succeeded``, ``errored``, ``canceled`` or ``expired``."""
    model: str | None = None
    """The model that answered, as ``result.message.model`` names it (succeeded only)."""
    usage: Usage | None = None
    """Billed usage (succeeded only)."""
    cache_split_missing: bool = False
    """Cache writes were reported without the 5m/1h split, so they were taken as 5-minute writes."""
    inference_geo: object = None
    """``usage.inference_geo`` as written (``global``, ``us``, ``not_available`` or absent)."""
    speed: object = None
    """``usage.speed`` as written (``standard``, ``fast`` or absent)."""
    service_tier: object = None
    """``usage.service_tier`` as written (``batch`` for batch results)."""
    error_type: str | None = None
    """For ``errored``: the API error type (``invalid_request_error``, ``overloaded_error``, ...)."""


def check_token_count(value: object, where: str, *, noun: str = "token counts") -> str | None:
    """Why ``value`` is not a valid token count (a JSON integer from 0 to :data:`~claude_quote.money.MAX_COUNT`),
    or None when it is fine.

    >>> check_token_count(12, "usage.input_tokens") is None
    True
    >>> check_token_count(-5, "usage.output_tokens")
    'usage.output_tokens is -5; token counts must be whole numbers of 0 or more'
    >>> check_token_count("12", "usage.input_tokens")
    'usage.input_tokens is "12"; token counts must be whole numbers of 0 or more'
    """
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value > MAX_COUNT:
        return f"{where} is {_digits(value)}; more than {MAX_COUNT:,} is not a real count"
    return f"{where} is {shown(value)}; {noun} must be whole numbers of 0 or more"


def _digits(value: int) -> str:
    """A large integer as a message shows it: whole when short, else its first digits and length."""
    text = str(value)
    return text if len(text) <= 30 else f"{text[:12]}… ({len(text):,} digits)"


class _Invalid(Exception):
    """A line is invalid for the reason given (skippable)."""


class ResultsReader:
    """Stream the validated lines of a results JSONL file.

    Iterate once. Afterwards ``skipped`` counts the lines skipped with ``skip_invalid`` and
    ``skipped_lines`` holds the first :data:`MAX_SKIPPED_SHOWN` of them with their reasons.

    Raises (while iterating):
        WorkloadError: the file cannot be read, or a line is invalid (without ``skip_invalid``).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        skip_invalid: bool = False,
        start: int = 0,
        end: int | None = None,
        first_line: int = 1,
    ) -> None:
        self.path = Path(path)
        self.skip_invalid = skip_invalid
        self.start, self.end, self.first_line = start, end, first_line
        """Read only the lines from byte ``start`` (a line's first byte) to ``end`` (None: the end),
        numbered from ``first_line``: a piece of the file (:mod:`claude_quote.scale`)."""
        self.skipped = 0
        self.skipped_lines: list[InvalidLine] = []
        self._seen: dict[str, int] = {}

    def __iter__(self) -> Iterator[BatchResult]:
        name = str(self.path)
        read = 0
        try:
            handle = open_input(self.path)
        except WorkloadError as exc:
            raise WorkloadError(
                f"cannot read results file: {exc.args[0].removeprefix(name + ': ')}", path=name
            ) from None
        with handle:
            for number, raw in self._lines(handle):
                if raw.isspace():
                    continue
                try:
                    parsed = self._parse(raw, number)
                except _Invalid as exc:
                    if not self.skip_invalid:
                        raise WorkloadError(str(exc), path=name, line=number) from None
                    self.skipped += 1
                    if len(self.skipped_lines) < MAX_SKIPPED_SHOWN:
                        self.skipped_lines.append(InvalidLine(line=number, reason=str(exc)))
                    continue
                read += 1
                yield parsed
        whole = self.start == 0 and self.end is None  # a piece of a file may hold only blank lines
        if not read and whole:  # never a silent $0: an empty file is not a batch that cost nothing
            skipped = f" ({self.skipped:,} invalid skipped)" if self.skipped else ""
            raise WorkloadError(
                f"the results file holds no result lines{skipped}; expected one "
                '{"custom_id": ..., "result": {...}} per line',
                path=name,
            )

    def _lines(self, handle: IO[bytes]) -> Iterator[tuple[int, bytes]]:
        """The lines of the file, or of the piece from ``start`` to ``end``, under the line cap."""
        if self.start:
            handle.seek(self.start)
        stop = None if self.end is None else self.end - self.start
        return iter_lines(handle, str(self.path), number=self.first_line - 1, stop=stop)

    def _parse(self, raw: bytes, number: int) -> BatchResult:
        try:
            data = loads_json(raw, line=number)
        except WorkloadError as exc:
            raise _Invalid(str(exc)) from None
        if not isinstance(data, dict):
            raise _Invalid(f"expected a JSON object with custom_id and result, got {_kind(data)}")
        custom_id = data.get("custom_id")
        if custom_id is None:
            raise _Invalid("missing custom_id")
        if not isinstance(custom_id, str) or not custom_id:
            raise _Invalid(f"custom_id must be a non-empty string, got {shown(custom_id)}")
        result = data.get("result")
        if not isinstance(result, dict):
            raise _Invalid(f"custom_id {custom_id!r} has no result object")
        kind = result.get("type")
        if kind not in RESULT_TYPES:
            what = "no type" if kind is None else f"unknown result type {shown(kind)}"
            raise _Invalid(
                f"custom_id {custom_id!r}: {what}; expected succeeded, errored, canceled or expired"
            )
        first = self._seen.get(custom_id)
        if first is not None:
            raise _Invalid(
                f"custom_id {custom_id!r} already appeared on line {first}; ids are unique in a batch"
            )
        if kind == "succeeded":
            parsed = self._succeeded(custom_id, result, number)
        elif kind == "errored":
            parsed = BatchResult(number, custom_id, "errored", error_type=_error_type(result))
        else:
            parsed = BatchResult(number, custom_id, kind)
        self._seen[custom_id] = number
        return parsed

    def _succeeded(self, custom_id: str, result: Mapping[str, Any], number: int) -> BatchResult:
        message = result.get("message")
        if not isinstance(message, dict):
            raise _Invalid(f"custom_id {custom_id!r}: a succeeded result needs result.message")
        model_name = message.get("model")
        if not isinstance(model_name, str) or not model_name:
            raise _Invalid(f"custom_id {custom_id!r}: result.message.model is {shown(model_name)}")
        usage = message.get("usage")
        if not isinstance(usage, dict):
            raise _Invalid(f"custom_id {custom_id!r}: result.message.usage is missing")
        _check_usage(usage)
        return BatchResult(
            number,
            custom_id,
            "succeeded",
            model=model_name,
            usage=Usage.from_api(usage),
            cache_split_missing=Usage.lacks_cache_split(usage),
            inference_geo=usage.get("inference_geo"),
            speed=usage.get("speed"),
            service_tier=usage.get("service_tier"),
        )


def _count_ok(value: object) -> bool:
    return type(value) is int and 0 <= value <= MAX_COUNT


def _check_usage(usage: Mapping[str, Any]) -> None:
    if "input_tokens" not in usage and "output_tokens" not in usage:
        foreign = [key for key in _FOREIGN if key in usage]
        hint = f" (it has {', '.join(foreign)}: another API's usage?)" if foreign else ""
        raise _Invalid(
            f"usage has neither input_tokens nor output_tokens{hint}; a Claude result's usage "
            "reports both, so its cost cannot be known"
        )
    for key in _USAGE_COUNTS:
        value = usage.get(key)
        if value is not None and not _count_ok(value):
            raise _Invalid(check_token_count(value, f"usage.{key}"))
    split = usage.get("cache_creation")
    if split is not None:
        if not isinstance(split, dict):
            raise _Invalid(f"usage.cache_creation must be an object, got {_kind(split)}")
        parts = 0
        for key in _SPLIT_COUNTS:
            value = split.get(key)
            if value is None:
                continue
            if not _count_ok(value):
                raise _Invalid(check_token_count(value, f"usage.cache_creation.{key}"))
            parts += value
        total = usage.get("cache_creation_input_tokens")
        if split and total is not None and total != parts:
            raise _Invalid(
                f"usage.cache_creation splits {parts:,} cache-write tokens but "
                f"usage.cache_creation_input_tokens is {total:,}"
            )
    tools = usage.get("server_tool_use")
    if tools is not None:
        if not isinstance(tools, dict):
            raise _Invalid(f"usage.server_tool_use must be an object, got {_kind(tools)}")
        for key in _TOOL_COUNTS:
            value = tools.get(key)
            if value is not None and not _count_ok(value):
                raise _Invalid(check_token_count(value, f"usage.server_tool_use.{key}", noun="counts"))


def _error_type(result: Mapping[str, Any]) -> str | None:
    outer = result.get("error")
    if not isinstance(outer, dict):
        return None
    inner = outer.get("error")
    kind = inner.get("type") if isinstance(inner, dict) else outer.get("type")
    return kind if isinstance(kind, str) else None


def _kind(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")
