"""Reading Messages API requests: Message Batches JSONL, streamed line by line, and single requests.

A Message Batches file has one ``{"custom_id": ..., "params": {...}}`` object per line, ``params``
being the body of a Messages API request. :func:`iter_batch_requests` streams it: memory does not grow
with the file. ``claude-quote plan`` reuses it.

:func:`iter_requests` also reads a JSONL of bare Messages request bodies (one ``{"model", "messages",
...}`` per line, custom_id ``line-N``), a ``.json`` file holding one request body, one batch request, a
list of batch requests or a batch-create body ``{"requests": [...]}``, and gzip-compressed JSONL.

>>> custom_id_prefix("summarize-00017"), custom_id_prefix("eval_q3_0042"), custom_id_prefix("0042")
('summarize', 'eval_q3', '0042')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from claude_quote.errors import WorkloadError
from claude_quote.parsing import loads_json

from .files import iter_lines, open_input, read_document

__all__ = [
    "BatchRequest",
    "RequestFileKind",
    "custom_id_prefix",
    "iter_batch_requests",
    "iter_requests",
    "jsonl_kind",
    "open_binary",
]

RequestFileKind = Literal["batch", "messages", "other", "invalid", "empty"]

KIND_LINES = 20
"""How many non-blank lines :func:`jsonl_kind` looks at."""


@dataclass(frozen=True, slots=True)
class BatchRequest:
    """One request of a batch file."""

    line: int
    """1-based line number in the file (for a ``.json`` file: the request's 1-based position)."""
    custom_id: str
    """The request's ``custom_id`` (``line-N`` for bare request bodies)."""
    params: dict[str, Any]
    """The Messages API request body."""
    size_bytes: int
    """Bytes of the line, newline included (0 for requests read from a ``.json`` file)."""


OnSkip = Callable[[WorkloadError], None]

_SEPARATED_NUMBERS = re.compile(r"(?:[-_.:/]+[0-9]+)+$")
_TRAILING_DIGITS = re.compile(r"[0-9]+$")


def custom_id_prefix(custom_id: str) -> str:
    """The group a custom_id belongs to: the id without its trailing number(s) and separators.

    ``summarize-00017`` → ``summarize``; ``doc-2024-0003`` → ``doc``; ``eval_q3_0042`` → ``eval_q3``;
    without a separator the trailing digits go: ``item42`` → ``item``; an all-digit id stays itself.
    """
    prefix, found = _SEPARATED_NUMBERS.subn("", custom_id)
    if not found:
        prefix = _TRAILING_DIGITS.sub("", custom_id)
    return prefix or custom_id


def open_binary(path: str | Path) -> IO[bytes]:
    """Open a file for reading bytes, un-gzipping it: :func:`claude_quote.workloads.files.open_input`."""
    return open_input(path)


def jsonl_kind(path: Path, *, lines: int = KIND_LINES) -> RequestFileKind:
    """What a JSONL file holds, from its first ``lines`` non-blank lines (not only the first, which may
    be the one broken line): ``batch`` requests or bare ``messages`` bodies when any of them is one;
    ``other`` (a table) when the lines are JSON but none is a request; ``invalid`` when none is JSON;
    ``empty`` when there is no non-blank line."""
    seen = parsed = 0
    with open_input(path) as handle:
        for number, raw in iter_lines(handle, str(path)):
            if raw.isspace():
                continue
            seen += 1
            try:
                value = loads_json(raw, path=str(path), line=number)
            except WorkloadError:
                value = None
            else:
                parsed += 1
            if isinstance(value, dict) and "params" in value and "custom_id" in value:
                return "batch"
            if isinstance(value, dict) and "messages" in value:
                return "messages"
            if seen >= lines:
                break
    if not seen:
        return "empty"
    return "other" if parsed else "invalid"


def _batch_request(value: Any, *, line: int, size: int, path: Path, bare: bool) -> BatchRequest:
    where, at = str(path), line
    if not isinstance(value, dict):
        raise WorkloadError(f"expected a JSON object, got {type(value).__name__}", path=where, line=at)
    if bare and "params" not in value:
        return BatchRequest(line=line, custom_id=f"line-{line}", params=value, size_bytes=size)
    custom_id = value.get("custom_id")
    params = value.get("params")
    if not isinstance(custom_id, str) or not custom_id:
        raise WorkloadError(f"custom_id must be a non-empty string, got {custom_id!r}", path=where, line=at)
    if not isinstance(params, dict):
        shown = "missing" if params is None else f"a {type(params).__name__}"
        raise WorkloadError(
            f'"params" must be an object with the Messages API request ({shown}); '
            'each line is {"custom_id": ..., "params": {...}}',
            path=where,
            line=at,
        )
    return BatchRequest(line=line, custom_id=custom_id, params=params, size_bytes=size)


def iter_batch_requests(
    path: str | Path,
    *,
    skip_invalid: bool = False,
    on_skip: OnSkip | None = None,
    bare: bool = False,
) -> Iterator[BatchRequest]:
    """Stream the requests of a Message Batches JSONL file (``*.gz`` too), with line numbers and sizes.

    Blank lines are ignored. With ``bare=True`` a line may also be a bare Messages request body.

    Raises:
        WorkloadError: a line is not JSON or not a batch request (``path:line: ...`` quoting it),
            unless ``skip_invalid``, which passes the error to ``on_skip`` and goes on.
    """
    file = Path(path)
    with open_input(file) as handle:
        for number, raw in iter_lines(handle, str(file)):
            if raw.isspace():
                continue
            try:
                value = loads_json(raw, path=str(file), line=number)
                yield _batch_request(value, line=number, size=len(raw), path=file, bare=bare)
            except WorkloadError as exc:
                if not skip_invalid:
                    raise
                if on_skip is not None:
                    on_skip(exc)


def _json_requests(path: Path) -> Iterator[BatchRequest]:
    raw = read_document(path)
    value = loads_json(raw, path=str(path))
    if isinstance(value, dict) and isinstance(value.get("requests"), list):
        value = value["requests"]
    if isinstance(value, list):
        for position, item in enumerate(value, start=1):
            yield _batch_request(item, line=position, size=0, path=path, bare=True)
        return
    if isinstance(value, dict) and ("messages" in value or "params" in value):
        yield _batch_request(value, line=1, size=len(raw), path=path, bare=True)
        return
    raise WorkloadError(
        'expected a Messages API request body (with "messages"), a batch request '
        '({"custom_id", "params"}), a list of them, or {"requests": [...]}',
        path=str(path),
    )


def iter_requests(
    path: str | Path, *, skip_invalid: bool = False, on_skip: OnSkip | None = None
) -> Iterator[BatchRequest]:
    """Requests from a ``.json`` file (one or many) or a JSONL file of batch requests or bare bodies."""
    file = Path(path)
    if file.suffix == ".json":
        yield from _json_requests(file)
        return
    yield from iter_batch_requests(file, skip_invalid=skip_invalid, on_skip=on_skip, bare=True)
