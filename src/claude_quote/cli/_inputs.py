"""Input files as users give them: ``-`` for standard input, and two files given the wrong way round.

``-`` as a file name is standard input (``cat requests.jsonl | claude-quote estimate -``).

The readers take paths and may read a file twice (to tell a request file from a table, say), which a
pipe cannot do, so standard input is copied to a private temporary file first and read from there;
reports, warnings and errors show it as ``-``. Its kind is told from its content, since it has no
name: JSON lines (the first non-blank line is JSON, and not a batch-create body), one JSON document,
or else text; gzipped or not.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from claude_quote.errors import UsageError, WorkloadError
from claude_quote.parsing import loads_json

from ._common import showing

__all__ = ["STDIN", "check_not_swapped", "standard_input"]

STDIN = "-"
"""The file name that means standard input."""

_CHUNK = 1 << 20


def _suffix(path: Path) -> str:
    """``.jsonl``, ``.json`` or ``.txt`` (after ``.gz`` for gzip): how the content of ``path`` reads."""
    with path.open("rb") as handle:
        head = handle.read(_CHUNK)
    if head.startswith(b"\x1f\x8b"):
        unpacked = _unpacked_head(head)
        return ".jsonl.gz" if unpacked is None else _suffix_of(unpacked) + ".gz"
    return _suffix_of(head)


def _unpacked_head(head: bytes) -> bytes | None:
    """The first bytes gzip data ``head`` un-packs to (at most :data:`_CHUNK`); None when corrupt (the
    reader then says so, naming the input)."""
    import zlib

    try:
        return zlib.decompressobj(wbits=31).decompress(head, _CHUNK)
    except zlib.error:
        return None


def _suffix_of(head: bytes) -> str:
    first = next((line for line in head.splitlines() if line.strip()), b"")
    if not first.lstrip().startswith((b"{", b"[")):
        return ".txt"
    try:
        value = loads_json(first)
    except WorkloadError:
        return ".json"  # a document over several lines (or malformed JSON lines: the reader says where)
    if isinstance(value, dict) and isinstance(value.get("requests"), list):
        return ".json"  # a batch-create body on one line: one document, not a line of requests
    return ".jsonl"


def _copy_stdin(target: Path) -> None:
    source = getattr(sys.stdin, "buffer", None)
    with target.open("wb") as out:
        if source is None:  # a text stream without bytes underneath
            out.write(sys.stdin.read().encode("utf-8"))
        else:
            shutil.copyfileobj(source, out, _CHUNK)


@contextmanager
def standard_input(names: Sequence[str | Path | None]) -> Iterator[list[str | None]]:
    """``names`` with ``-`` replaced by a temporary copy of standard input, shown as ``-`` meanwhile.

    Raises:
        UsageError: ``-`` is given more than once (standard input can be read once).
    """
    given = [None if name is None else str(name) for name in names]
    if STDIN not in given:
        yield given
        return
    if given.count(STDIN) > 1:
        raise UsageError("standard input (-) can be read only once; give the other inputs as files")
    folder = Path(tempfile.mkdtemp(prefix="claude-quote-"))
    try:
        raw = folder / "stdin"
        _copy_stdin(raw)
        path = raw.rename(folder / f"stdin{_suffix(raw)}")
        with showing(str(path), STDIN):
            yield [str(path) if name == STDIN else name for name in given]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _first_object(path: Path) -> dict[str, object] | None:
    """The first line of a JSONL file as an object, or None (unreadable, gzip, not JSON, not an object)."""
    try:
        with path.open("rb") as handle:
            for line in handle:
                if line.strip():
                    value = loads_json(line)
                    return value if isinstance(value, dict) else None
    except (OSError, WorkloadError):
        return None
    return None


def _kind(path: Path) -> str | None:
    first = _first_object(path)
    if first is None:
        return None
    if "result" in first and "params" not in first:
        return "results"
    if "params" in first and "result" not in first:
        return "requests"
    return None


def check_not_swapped(requests: str | Path | None, results: str | Path | None, *, usage: str) -> None:
    """Refuse a request file and a results file given in each other's place, saying so.

    ``usage`` shows how the command takes them (``calibrate REQUESTS.jsonl RESULTS.jsonl``).

    Raises:
        UsageError: the request file holds results, or the results file holds requests.
    """
    if requests is None or results is None:
        return
    request_kind, result_kind = _kind(Path(requests)), _kind(Path(results))
    if request_kind == "results" or result_kind == "requests":
        described = []
        if request_kind == "results":
            described.append(f'{requests} holds batch results (its lines have "result", not "params")')
        if result_kind == "requests":
            described.append(f'{results} holds batch requests (its lines have "params", not "result")')
        swapped = " and ".join(described)
        raise UsageError(f"{swapped}: were the two files swapped? The command is: {usage}")
