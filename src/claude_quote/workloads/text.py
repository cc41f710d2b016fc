"""Text files as requests: a directory, a glob or a list of files, each filled into a prompt template.

Each file becomes one request whose user message is the template with ``{text}`` replaced by the
file's text (``{name}``: the file name). Files are read whole, one at a time; hidden files and
directories are skipped when a directory is expanded.

>>> fill_template("Summarize: {text}", "Hello.", name="a.txt")
'Summarize: Hello.'
"""

from __future__ import annotations

import glob
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from claude_quote.errors import UsageError, WorkloadError

from .files import read_document

__all__ = [
    "DEFAULT_TEMPLATE",
    "TextDocument",
    "check_template",
    "expand_paths",
    "fill_template",
    "iter_text_files",
    "read_text_file",
]

DEFAULT_TEMPLATE = "{text}"
_MAGIC = set("*?[")


@dataclass(frozen=True, slots=True)
class TextDocument:
    """One text file."""

    path: Path
    text: str
    size_bytes: int


def expand_paths(patterns: Iterable[str | Path], *, skipped: list[str] | None = None) -> list[Path]:
    """Files named by ``patterns``: files as given, directories recursively (sorted), globs expanded.

    In a directory, hidden files and directories are left out on purpose; entries that are not regular
    files — FIFOs, sockets, devices, broken symbolic links — are left out too (reading a FIFO could
    wait forever), and each is described in ``skipped`` when a list is given, so a report can say so.

    Raises:
        WorkloadError: a path does not exist or a glob matches nothing.
    """
    files: list[Path] = []
    for pattern in patterns:
        text = str(pattern)
        if isinstance(pattern, str) and _MAGIC & set(text) and not Path(text).exists():
            matches = sorted(glob.glob(text, recursive=True))  # noqa: PTH207 - absolute patterns too
            if not matches:
                raise WorkloadError(f"no files match {text!r}")
            for match in matches:
                _sort_entry(Path(match), files, skipped)
            continue
        path = Path(pattern)
        if path.is_dir():
            found: list[Path] = []
            for entry in sorted(path.rglob("*")):
                if any(part.startswith(".") for part in entry.relative_to(path).parts):
                    continue
                _sort_entry(entry, found, skipped)
            if not found:
                raise WorkloadError("directory holds no files", path=text)
            files += found
        elif path.exists():
            files.append(path)
        elif path.is_symlink():
            raise WorkloadError("a broken symbolic link (its target does not exist)", path=text)
        else:
            raise WorkloadError("no such file or directory", path=text)
    return files


def _sort_entry(entry: Path, files: list[Path], skipped: list[str] | None) -> None:
    """Add ``entry`` to ``files`` when it is a regular file; describe it in ``skipped`` when it is not
    a file or a directory."""
    if entry.is_file():
        files.append(entry)
        return
    if entry.is_dir():
        return
    kind = _special_kind(entry)
    if kind is not None and skipped is not None:
        skipped.append(f"{entry} ({kind})")


def _special_kind(path: Path) -> str | None:
    """What a path that is neither a regular file nor a directory is."""
    if path.is_symlink() and not path.exists():
        return "a broken symbolic link"
    for test, kind in (
        (path.is_fifo, "a FIFO"),
        (path.is_socket, "a socket"),
        (path.is_block_device, "a block device"),
        (path.is_char_device, "a character device"),
    ):
        try:
            if test():
                return kind
        except OSError:
            return "unreadable"
    return None


def fill_template(template: str, text: str, *, name: str) -> str:
    """The template with ``{text}`` and ``{name}`` filled in (other braces are left alone)."""
    return template.replace("{name}", name).replace("{text}", text)


def check_template(template: str) -> None:
    """A template must contain ``{text}``."""
    if "{text}" not in template:
        raise UsageError(f"the template {template!r} has no {{text}} placeholder for the file's text")


def read_text_file(path: Path) -> TextDocument:
    """Read one UTF-8 text file.

    A gzip file is un-packed; a file longer than the line-length cap (a text file is one request) is
    refused, so ``/dev/zero`` is an error, not all the memory.

    Raises:
        WorkloadError: the file cannot be read, is larger than the cap, or is not UTF-8 text.
    """
    data = read_document(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WorkloadError(
            f"not UTF-8 text (byte {exc.start}); estimate reads text files, batch JSONL, JSON, CSV, "
            "Parquet and JSONL tables",
            path=str(path),
        ) from None
    return TextDocument(path=path, text=text, size_bytes=len(data))


def iter_text_files(paths: Iterable[Path]) -> Iterator[TextDocument]:
    """Read the files one at a time."""
    for path in paths:
        yield read_text_file(path)
