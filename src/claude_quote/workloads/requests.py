"""Reading Messages API requests: one reader of request files for every command.

:func:`read_request_lines` is that reader. It takes every documented shape of a request file:

- Message Batches JSONL, one ``{"custom_id": ..., "params": {...}}`` per line (``params`` being the
  body of a Messages API request), streamed: memory does not grow with the file;
- with ``bare=True`` (``estimate``), also JSONL of bare Messages request bodies (one ``{"model",
  "messages", ...}`` per line, custom_id ``line-N``);
- a ``.json`` file holding the batch-create body ``{"requests": [...]}``, a list of batch requests,
  one batch request, or (``bare=True``) one request body;
- any of these gzip-compressed (``*.gz``, or gzip's magic bytes), and ``-`` for standard input
  (read once, as JSONL).

It yields every line with its bytes and its request, or the reason it is none, and leaves the
caller to decide what a bad line means: :func:`iter_batch_requests` and :func:`iter_requests`
raise at the first one or skip it; ``claude-quote plan`` lists every one. A line longer than
``max_line_bytes`` (a file without newlines, ``/dev/zero``) is refused before it fills the memory.

>>> custom_id_prefix("summarize-00017"), custom_id_prefix("eval_q3_0042"), custom_id_prefix("0042")
('summarize', 'eval_q3', '0042')
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple

from claude_quote.errors import WorkloadError
from claude_quote.parsing import loads_json, loads_json_fast

from .files import DEFAULT_MAX_LINE_BYTES, STDIN, iter_lines, limits, open_input

__all__ = [
    "DEFAULT_MAX_LINE_BYTES",
    "REQUEST_FILE_SUFFIXES",
    "STDIN",
    "BatchRequest",
    "RequestFileKind",
    "RequestLine",
    "custom_id_prefix",
    "is_json_document",
    "iter_batch_requests",
    "iter_request_range",
    "iter_requests",
    "jsonl_kind",
    "open_binary",
    "read_request_lines",
]

RequestFileKind = Literal["batch", "messages", "other", "invalid", "empty"]

KIND_LINES = 20
"""How many non-blank lines :func:`jsonl_kind` looks at."""


class BatchRequest(NamedTuple):
    """One request of a batch file (a named tuple: a third of a frozen dataclass's cost to make, once
    per request)."""

    line: int
    """1-based line number in the file (for a ``.json`` file: the request's 1-based position)."""
    custom_id: str
    """The request's ``custom_id`` (``line-N`` for bare request bodies)."""
    params: dict[str, Any]
    """The Messages API request body."""
    size_bytes: int
    """Bytes of the line, newline included (0 for requests read from a ``.json`` file)."""


@dataclass(frozen=True, slots=True)
class RequestLine:
    """One line of a request file as read: its bytes, and its request or why it is none.

    A blank line has neither ``request`` nor ``error``. In a ``.json`` file the whole document comes
    first (``line`` 0, ``in_source``), then each request as its own line: its compact JSON with a
    newline (``in_source`` false: those bytes are not the file's).
    """

    line: int
    raw: bytes
    """The line's bytes, its newline included when it has one."""
    request: BatchRequest | None
    error: WorkloadError | None
    in_source: bool = True
    """Whether ``raw`` is bytes of the file (false for a request of a ``.json`` document)."""


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


def open_binary(path: Path | str) -> IO[bytes]:
    """Open a file (``-``: standard input) for reading bytes, un-gzipping it: the one opener,
    :func:`claude_quote.workloads.files.open_input` (with its bound on a gzip input's expansion)."""
    return open_input(path)


def _where(path: Path | str) -> str:
    return str(path)


def _open(path: Path | str) -> IO[bytes]:
    return open_input(path)


def _quote(raw: bytes | str, limit: int = 80) -> str:
    text = raw[: limit * 4].decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = text.strip()
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _lines(
    handle: IO[bytes], where: str, max_line_bytes: int | None, *, number: int = 0, stop: int | None = None
) -> Iterator[tuple[int, bytes]]:
    """(number, raw line) for each line, refusing one longer than ``max_line_bytes`` (None: the cap in
    force, :func:`claude_quote.workloads.files.limits`); a piece numbers after ``number`` and reads the
    lines that start in the next ``stop`` bytes."""
    return iter_lines(handle, where, max_line_bytes=max_line_bytes, number=number, stop=stop)


_BATCH_SHAPE = 'each line is {"custom_id": ..., "params": {...}}'


def _batch_request(value: Any, *, line: int, size: int, where: str, bare: bool) -> BatchRequest:
    if not isinstance(value, dict):
        raise WorkloadError(f"expected a JSON object, got {type(value).__name__}", path=where, line=line)
    custom_id, params = value.get("custom_id"), value.get("params")
    if type(custom_id) is str and custom_id and type(params) is dict:  # the usual batch line
        return BatchRequest(line, custom_id, params, size)
    if bare and "params" not in value:
        return BatchRequest(line=line, custom_id=f"line-{line}", params=value, size_bytes=size)
    if "custom_id" not in value and "params" not in value:
        if "messages" in value or "model" in value:
            raise WorkloadError(
                'a bare Messages API request body, without "custom_id": a batch line is '
                '{"custom_id": "<1 to 64 letters, digits, _ or ->", "params": <this body>}',
                path=where,
                line=line,
            )
        if isinstance(value.get("requests"), list):
            raise WorkloadError(
                'a batch-create body {"requests": [...]} on one line: save it as a .json file (read '
                "whole) or write one request per line",
                path=where,
                line=line,
            )
    if not isinstance(custom_id, str) or not custom_id:
        raise WorkloadError(f"custom_id must be a non-empty string, got {custom_id!r}", path=where, line=line)
    shown = "missing" if params is None else f"a {type(params).__name__}"  # params is not an object
    raise WorkloadError(
        f'"params" must be an object with the Messages API request ({shown}); {_BATCH_SHAPE}',
        path=where,
        line=line,
    )


def _jsonl(handle: IO[bytes], where: str, bare: bool, max_line_bytes: int | None) -> Iterator[RequestLine]:
    for number, raw in _lines(handle, where, max_line_bytes):
        if raw.isspace():
            yield RequestLine(number, raw, None, None)
            continue
        try:
            request = _batch_request(
                loads_json(raw, path=where, line=number), line=number, size=len(raw), where=where, bare=bare
            )
        except WorkloadError as exc:
            yield RequestLine(number, raw, None, exc)
        else:
            yield RequestLine(number, raw, request, None)


def _compact(value: Any) -> bytes:
    """A request as one JSONL line: compact JSON (non-ASCII as is, unless it cannot be UTF-8)."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return text.encode("utf-8") + b"\n"
    except UnicodeEncodeError:  # a lone surrogate: keep it escaped
        return json.dumps(value, separators=(",", ":")).encode("ascii") + b"\n"


def _document(handle: IO[bytes], where: str, bare: bool, max_line_bytes: int | None) -> Iterator[RequestLine]:
    """A ``.json`` file: the document, then each request it holds as a line of its own."""
    cap = limits().max_line_bytes if max_line_bytes is None else max_line_bytes
    try:
        raw = handle.read(cap + 1)
    except OSError as exc:
        raise WorkloadError(f"cannot read: {exc.strerror or exc}", path=where) from None
    if len(raw) > cap:
        raise WorkloadError(
            f"larger than {cap:,} bytes, the most a JSON request file is read whole "
            "(--max-line-bytes); write the requests as JSONL, one per line",
            path=where,
        )
    value = loads_json(raw, path=where)
    yield RequestLine(0, raw, None, None)
    if isinstance(value, dict) and isinstance(value.get("requests"), list):
        value = value["requests"]
    if isinstance(value, dict) and (
        "custom_id" in value or "params" in value or (bare and "messages" in value)
    ):
        value = [value]
    if not isinstance(value, list):
        if isinstance(value, dict) and "messages" in value:
            raise WorkloadError(
                'holds one bare Messages API request body, without "custom_id": a batch is '
                '{"requests": [{"custom_id": "<1 to 64 letters, digits, _ or ->", "params": <this body>}, ...]}',
                path=where,
            )
        raise WorkloadError(
            'expected a Messages API request body (with "messages"), a batch request '
            '({"custom_id", "params"}), a list of them, or {"requests": [...]}',
            path=where,
        )
    for position, item in enumerate(value, start=1):
        line = _compact(item)
        try:
            request = _batch_request(item, line=position, size=0, where=where, bare=bare)
        except WorkloadError as exc:
            yield RequestLine(position, line, None, exc, in_source=False)
        else:
            yield RequestLine(position, line, request, None, in_source=False)


REQUEST_FILE_SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.gz", ".jsonl.gz", ".ndjson.gz")
"""The names of request files: JSONL, a ``.json`` document, each gzipped too (lower-case)."""


def is_json_document(name: str | Path) -> bool:
    """Whether a file of this name is one JSON document (``.json``, or ``.json.gz`` gzipped), read whole,
    not JSONL.

    >>> is_json_document("batch.JSON"), is_json_document("body.json.gz"), is_json_document("b.jsonl.gz")
    (True, True, False)
    """
    return str(name).lower().endswith((".json", ".json.gz"))


def read_request_lines(
    path: str | Path, *, bare: bool = False, max_line_bytes: int | None = None
) -> Iterator[RequestLine]:
    """Every line of a request file with its bytes and its request, or the reason it has none.

    ``path`` is JSONL (``*.gz`` too; ``-`` for standard input) or a ``.json`` document (see the
    module docs). With ``bare=True`` a bare Messages request body is a request (custom_id
    ``line-N``); without, it is a bad line whose message says so.

    Raises:
        WorkloadError: the file cannot be read, a line is longer than ``max_line_bytes``, or a
            ``.json`` document is not valid JSON or holds no requests.
    """
    where = _where(path)
    with _open(path) as handle:
        if where != STDIN and is_json_document(where):
            yield from _document(handle, where, bare, max_line_bytes)
        else:
            yield from _jsonl(handle, where, bare, max_line_bytes)


def jsonl_kind(path: Path, *, max_line_bytes: int | None = None, lines: int = KIND_LINES) -> RequestFileKind:
    """What a JSONL file holds, from its first ``lines`` non-blank lines (not only the first, which may
    be the one broken line): ``batch`` requests or bare ``messages`` bodies when any of them is one;
    ``other`` (a table) when the lines are JSON but none is a request; ``invalid`` when none is JSON;
    ``empty`` when there is no non-blank line."""
    where = _where(path)
    seen = parsed = 0
    with _open(path) as handle:
        for number, raw in _lines(handle, where, max_line_bytes):
            if raw.isspace():
                continue
            seen += 1
            try:
                value = loads_json(raw, path=where, line=number)
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


def iter_batch_requests(
    path: str | Path,
    *,
    skip_invalid: bool = False,
    on_skip: OnSkip | None = None,
    bare: bool = False,
    max_line_bytes: int | None = None,
) -> Iterator[BatchRequest]:
    """Stream the requests of a request file (see :func:`read_request_lines`), with line numbers and sizes.

    Blank lines are ignored. With ``bare=True`` a line may also be a bare Messages request body.

    Raises:
        WorkloadError: a line is not JSON or not a batch request (``path:line: ...`` quoting it),
            unless ``skip_invalid``, which passes the error to ``on_skip`` and goes on.
    """
    where = _where(path)
    if where == STDIN or not is_json_document(where):  # JSONL: each line's request, no RequestLine
        with _open(path) as handle:
            lines = _lines(handle, where, max_line_bytes)
            yield from _line_requests(lines, where, bare=bare, skip_invalid=skip_invalid, on_skip=on_skip)
        return
    for item in read_request_lines(path, bare=bare, max_line_bytes=max_line_bytes):
        if item.error is not None:
            if not skip_invalid:
                raise item.error
            if on_skip is not None:
                on_skip(item.error)
        elif item.request is not None:
            yield item.request


def iter_requests(
    path: str | Path, *, skip_invalid: bool = False, on_skip: OnSkip | None = None
) -> Iterator[BatchRequest]:
    """Requests from a ``.json`` file (one or many) or a JSONL file of batch requests or bare bodies."""
    yield from iter_batch_requests(path, skip_invalid=skip_invalid, on_skip=on_skip, bare=True)


def iter_request_range(
    handle: IO[bytes],
    where: str,
    *,
    start: int,
    end: int | None,
    first_line: int = 1,
    skip_invalid: bool = False,
    on_skip: OnSkip | None = None,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    bare: bool = True,
) -> Iterator[BatchRequest]:
    """The requests of the lines of a JSONL request file from byte ``start`` (a line's first byte) to
    ``end`` (None: the end of the file), numbered from ``first_line``: a piece of what
    :func:`iter_requests` reads from the whole file (batch requests, and bare bodies unless ``bare``
    is false), the same lines with the same numbers and the same errors. ``handle`` is the file opened for reading bytes
    (seekable); ``where`` names it in errors.

    Raises:
        WorkloadError: as :func:`iter_batch_requests`.
    """
    handle.seek(start)
    stop = None if end is None else end - start
    lines = _lines(handle, where, max_line_bytes, number=first_line - 1, stop=stop)
    yield from _line_requests(lines, where, bare=bare, skip_invalid=skip_invalid, on_skip=on_skip)


def _line_requests(
    lines: Iterator[tuple[int, bytes]], where: str, *, bare: bool, skip_invalid: bool, on_skip: OnSkip | None
) -> Iterator[BatchRequest]:
    """The request of each non-blank line of a JSONL request file; a bad line raises, or with
    ``skip_invalid`` goes to ``on_skip``."""
    for number, raw in lines:
        if raw.isspace():
            continue
        try:
            try:
                value = loads_json_fast(raw)  # what loads_json tries first, without its call around it
            except ValueError:
                value = loads_json(raw, path=where, line=number)
            request = _batch_request(value, line=number, size=len(raw), where=where, bare=bare)
        except WorkloadError as exc:
            if not skip_invalid:
                raise
            if on_skip is not None:
                on_skip(exc)
            continue
        yield request
