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

import gzip
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, cast

from claude_quote.errors import WorkloadError

__all__ = [
    "BatchRequest",
    "RequestFileKind",
    "custom_id_prefix",
    "iter_batch_requests",
    "iter_request_range",
    "iter_requests",
    "jsonl_kind",
    "open_binary",
]

RequestFileKind = Literal["batch", "messages", "other", "empty"]


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


def open_binary(path: Path) -> IO[bytes]:
    """Open a file for reading bytes, transparently un-gzipping ``*.gz``."""
    if path.suffix == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb", buffering=1 << 20)


def _open(path: Path) -> IO[bytes]:
    try:
        return open_binary(path)
    except FileNotFoundError:
        raise WorkloadError("no such file", path=str(path)) from None
    except IsADirectoryError:
        raise WorkloadError("is a directory, not a requests file", path=str(path)) from None
    except OSError as exc:
        raise WorkloadError(f"cannot read: {exc.strerror}", path=str(path)) from None


def _quote(raw: bytes | str, limit: int = 80) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = text.strip()
    return repr(text if len(text) <= limit else text[:limit] + "…")


def jsonl_kind(path: Path) -> RequestFileKind:
    """What the first non-blank line of a JSONL file holds: batch requests, bare Messages bodies, other."""
    with _open(path) as handle:
        for raw in handle:
            if raw.strip():
                try:
                    first = json.loads(raw)
                except ValueError:
                    return "other"
                if isinstance(first, dict) and "params" in first and "custom_id" in first:
                    return "batch"
                if isinstance(first, dict) and "messages" in first:
                    return "messages"
                return "other"
    return "empty"


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
    with _open(file) as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                try:
                    value = json.loads(raw)
                except json.JSONDecodeError as exc:
                    raise WorkloadError(
                        f"not valid JSON ({exc.msg} at character {exc.pos + 1}): {_quote(raw)}",
                        path=str(file),
                        line=number,
                    ) from None
                except ValueError as exc:  # bytes that are not UTF-8
                    raise WorkloadError(
                        f"not valid JSON ({exc}): {_quote(raw)}", path=str(file), line=number
                    ) from None
                yield _batch_request(value, line=number, size=len(raw), path=file, bare=bare)
            except WorkloadError as exc:
                if not skip_invalid:
                    raise
                if on_skip is not None:
                    on_skip(exc)


def _json_requests(path: Path) -> Iterator[BatchRequest]:
    with _open(path) as handle:
        raw = handle.read()
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise WorkloadError(f"not valid JSON ({exc})", path=str(path)) from None
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


def iter_request_range(
    handle: IO[bytes],
    where: str,
    *,
    start: int,
    end: int | None,
    first_line: int = 1,
    skip_invalid: bool = False,
    on_skip: OnSkip | None = None,
) -> Iterator[BatchRequest]:
    """The requests of the lines of a JSONL request file from byte ``start`` (a line's first byte) to
    ``end`` (None: the end of the file), numbered from ``first_line``: a slice of what
    :func:`iter_requests` reads from the whole file (batch requests or bare bodies), the same lines
    with the same numbers and the same errors. ``handle`` is the file opened for reading bytes
    (seekable); ``where`` names it in errors.

    Raises:
        WorkloadError: as :func:`iter_batch_requests`.
    """
    handle.seek(start)
    position = start
    file = Path(where)
    readline = handle.readline
    number = first_line - 1
    while end is None or position < end:
        raw = readline()
        if not raw:
            return
        position += len(raw)
        number += 1
        if not raw.strip():
            continue
        try:
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise WorkloadError(
                    f"not valid JSON ({exc.msg} at character {exc.pos + 1}): {_quote(raw)}",
                    path=where,
                    line=number,
                ) from None
            except ValueError as exc:  # bytes that are not UTF-8
                raise WorkloadError(
                    f"not valid JSON ({exc}): {_quote(raw)}", path=where, line=number
                ) from None
            yield _batch_request(value, line=number, size=len(raw), path=file, bare=True)
        except WorkloadError as exc:
            if not skip_invalid:
                raise
            if on_skip is not None:
                on_skip(exc)
