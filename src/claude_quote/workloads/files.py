"""Opening the files readers read: one opener for every reader, with bounds.

:func:`open_input` opens a file for reading bytes (``-`` is standard input). A gzip file (``*.gz``,
or any file that starts with gzip's magic bytes) is un-packed as it is read, so ``results.jsonl.gz``
reads like ``results.jsonl``. Two bounds keep a hostile or mistaken input from taking all the memory
or all the time:

- **a line-length cap** (:data:`DEFAULT_MAX_LINE_BYTES`, 512 MiB: twice the most a whole Message
  Batch may be, so no real line comes near it). :func:`iter_lines` refuses a longer line, and
  :func:`read_document` a longer whole-file JSON document: ``/dev/zero`` or a stream without newlines
  is an error, not all the memory.
- **a gzip expansion bound** (:data:`DEFAULT_MAX_EXPANDED_BYTES`, 64 GiB): a compressed input that
  un-packs to more is refused (a "gzip bomb" of a few megabytes can expand to terabytes). Decompress
  a larger file first; an uncompressed file has no such bound.

Both can be changed for the readers called inside ``with input_limits(...)`` (the command line's
``--max-line-bytes``). Every failure — missing, unreadable, corrupt gzip, a bound passed — is a
:class:`~claude_quote.errors.WorkloadError` naming the file (and the line).

>>> import gzip, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "lines.jsonl.gz"
>>> _ = path.write_bytes(gzip.compress(b'{"a": 1}\\n\\n{"b": 2}\\n'))
>>> with open_input(path) as handle:
...     [(number, raw) for number, raw in iter_lines(handle, str(path))]
[(1, b'{"a": 1}\\n'), (2, b'\\n'), (3, b'{"b": 2}\\n')]
>>> with input_limits(max_line_bytes=5), open_input(path) as handle:
...     list(iter_lines(handle, "lines.jsonl.gz"))
Traceback (most recent call last):
...
claude_quote.errors.WorkloadError: lines.jsonl.gz:1: the line is longer than 5 bytes, the line-length cap (--max-line-bytes); is this a JSONL file?
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import sys
import zlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from claude_quote.errors import WorkloadError
from claude_quote.parsing import loads_json

__all__ = [
    "DEFAULT_MAX_EXPANDED_BYTES",
    "DEFAULT_MAX_LINE_BYTES",
    "STDIN",
    "InputLimits",
    "input_limits",
    "iter_lines",
    "limits",
    "open_input",
    "read_document",
    "read_json_document",
    "stat_input",
    "stat_or_none",
]

DEFAULT_MAX_LINE_BYTES = 512 * 2**20
"""The longest line a reader takes (512 MiB, newline included): twice the most a whole Message Batch
may be (256 MiB), so no request or result the API takes or writes comes near it."""

DEFAULT_MAX_EXPANDED_BYTES = 64 * 2**30
"""The most a gzip input may un-pack to (64 GiB)."""

STDIN = "-"
"""The path that means standard input."""

_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class InputLimits:
    """The bounds readers apply."""

    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    max_expanded_bytes: int = DEFAULT_MAX_EXPANDED_BYTES


_DEFAULT_LIMITS = InputLimits()
_LIMITS: ContextVar[InputLimits | None] = ContextVar("claude_quote_input_limits", default=None)


def limits() -> InputLimits:
    """The bounds in force."""
    return _LIMITS.get() or _DEFAULT_LIMITS


@contextlib.contextmanager
def input_limits(
    *, max_line_bytes: int | None = None, max_expanded_bytes: int | None = None
) -> Iterator[InputLimits]:
    """Change the bounds for the readers called inside the ``with`` block (this thread and context)."""
    current = limits()
    chosen = InputLimits(
        max_line_bytes=current.max_line_bytes if max_line_bytes is None else max_line_bytes,
        max_expanded_bytes=current.max_expanded_bytes if max_expanded_bytes is None else max_expanded_bytes,
    )
    if chosen.max_line_bytes < 1 or chosen.max_expanded_bytes < 1:
        raise ValueError(f"input limits must be at least 1 byte, got {chosen}")
    token = _LIMITS.set(chosen)
    try:
        yield chosen
    finally:
        _LIMITS.reset(token)


class _Unpacked(io.RawIOBase):
    """A gzip stream's bytes, counted: past ``limit`` (or on corrupt data) reading raises WorkloadError."""

    def __init__(self, packed: gzip.GzipFile, source: IO[bytes] | None, where: str, limit: int) -> None:
        super().__init__()
        self._packed, self._source, self._where, self._limit = packed, source, where, limit
        self._total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            count = self._packed.readinto(buffer)
        except (OSError, EOFError, zlib.error) as exc:
            after = f" after {self._total:,} un-packed bytes" if self._total else ""
            raise WorkloadError(f"not a valid gzip file ({exc}){after}", path=self._where) from None
        self._total += count
        if self._total > self._limit:
            raise WorkloadError(
                f"un-packs to more than {self._limit:,} bytes, the bound on a compressed input; "
                "decompress it first if it is real",
                path=self._where,
            )
        return count

    def close(self) -> None:
        if not self.closed:
            self._packed.close()
            if self._source is not None:
                self._source.close()
        super().close()


def _stdin() -> IO[bytes]:
    handle: Any = getattr(sys.stdin, "buffer", sys.stdin)
    if not hasattr(handle, "peek"):
        handle = io.BufferedReader(handle)
    return cast(IO[bytes], handle)


def _open_error(exc: OSError, where: str) -> WorkloadError:
    if isinstance(exc, FileNotFoundError):
        return WorkloadError("no such file", path=where)
    if isinstance(exc, IsADirectoryError):
        return WorkloadError("is a directory, not a file", path=where)
    return WorkloadError(f"cannot read: {exc.strerror or exc}", path=where)


def stat_or_none(path: str | Path) -> os.stat_result | None:
    """What ``path`` is (``os.stat``, symbolic links followed), or None when nothing is there.

    pathlib's ``exists()``, ``is_file()`` and ``is_dir()`` answer False only for a missing path; a name
    too long for the file system, or a directory on the way that cannot be searched, raises
    ``OSError`` from them, and here too: the caller words it (:func:`stat_input`).
    """
    try:
        return Path(path).stat()
    except (FileNotFoundError, NotADirectoryError):
        return None


def stat_input(path: str | Path) -> os.stat_result | None:
    """:func:`stat_or_none` of an input, a path that cannot be looked at being the input's error.

    Raises:
        WorkloadError: naming ``path``: it cannot be looked at (``cannot read: File name too long``).
    """
    try:
        return stat_or_none(path)
    except OSError as exc:
        raise _open_error(exc, str(path)) from None
    except ValueError as exc:  # an embedded NUL byte
        raise WorkloadError(f"not a file name: {exc}", path=str(path).replace("\0", "\\0")) from None


def open_input(path: str | Path) -> IO[bytes]:
    """Open ``path`` (``-``: standard input) for reading bytes, un-packing gzip (see the module docs).

    The input is opened once (a pipe can be read only once).

    Raises:
        WorkloadError: the file is missing, a directory or unreadable; later, while reading, corrupt
            gzip data or more un-packed bytes than the bound.
    """
    where = str(path)
    stdin = where == STDIN
    try:
        handle = _stdin() if stdin else Path(where).open("rb", buffering=1 << 20)  # noqa: SIM115
    except OSError as exc:
        raise _open_error(exc, where) from None
    try:
        head = cast(io.BufferedReader, handle).peek(2)[:2]
    except (OSError, AttributeError):
        head = b""
    if where.endswith(".gz") or head == _GZIP_MAGIC:
        packed = gzip.GzipFile(fileobj=handle, mode="rb")
        raw = _Unpacked(packed, None if stdin else handle, where, limits().max_expanded_bytes)
        return cast(IO[bytes], io.BufferedReader(raw, buffer_size=1 << 20))
    return handle


def _too_long(where: str, cap: int, line: int | None) -> WorkloadError:
    if line is None:
        return WorkloadError(
            f"larger than {cap:,} bytes, the most a file read whole may be (--max-line-bytes)",
            path=where,
        )
    return WorkloadError(
        f"the line is longer than {cap:,} bytes, the line-length cap (--max-line-bytes); is this a JSONL file?",
        path=where,
        line=line,
    )


def iter_lines(
    handle: IO[bytes],
    where: str,
    *,
    max_line_bytes: int | None = None,
    number: int = 0,
    stop: int | None = None,
) -> Iterator[tuple[int, bytes]]:
    """``(number, raw line)`` for each line (1-based, newline included), refusing one longer than
    ``max_line_bytes`` (default: the cap in force, :func:`limits`). A piece of a file (parallel
    reading) starts numbering after ``number`` and reads only the lines that start within the next
    ``stop`` bytes.

    Raises:
        WorkloadError: a line is longer than the cap, or the file cannot be read further.
    """
    cap = limits().max_line_bytes if max_line_bytes is None else max_line_bytes
    readline = handle.readline
    read = 0
    while stop is None or read < stop:
        try:
            raw = readline(cap + 1)
        except OSError as exc:
            raise WorkloadError(
                f"cannot read line {number + 1:,}: {exc.strerror or exc}", path=where
            ) from None
        if not raw:
            return
        number += 1
        read += len(raw)
        if len(raw) > cap:
            raise _too_long(where, cap, number)
        yield number, raw


def read_document(path: str | Path) -> bytes:
    """A whole file's bytes (un-packed when gzip), at most the line-length cap.

    Raises:
        WorkloadError: missing, unreadable, corrupt gzip, or larger than the cap.
    """
    where = str(path)
    cap = limits().max_line_bytes
    with open_input(path) as handle:
        try:
            data = handle.read(cap + 1)
        except OSError as exc:
            raise WorkloadError(f"cannot read: {exc.strerror or exc}", path=where) from None
    if len(data) > cap:
        raise _too_long(where, cap, None)
    return data


def read_json_document(path: str | Path, *, what: str = "file") -> Any:
    """A whole JSON file, parsed (:func:`claude_quote.parsing.loads_json`); an empty file is an error.

    Raises:
        WorkloadError: unreadable, empty, or not valid JSON (naming the line).
    """
    data = read_document(path)
    if not data.strip():
        raise WorkloadError(f"the {what} is empty", path=str(path))
    return loads_json(data, path=str(path))
