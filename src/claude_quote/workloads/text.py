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


def expand_paths(patterns: Iterable[str | Path]) -> list[Path]:
    """Files named by ``patterns``: files as given, directories recursively (sorted), globs expanded.

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
            files += [Path(m) for m in matches if Path(m).is_file()]
            continue
        path = Path(pattern)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            if not found:
                raise WorkloadError("directory holds no files", path=text)
            files += found
        elif path.exists():
            files.append(path)
        else:
            raise WorkloadError("no such file or directory", path=text)
    return files


def fill_template(template: str, text: str, *, name: str) -> str:
    """The template with ``{text}`` and ``{name}`` filled in (other braces are left alone)."""
    return template.replace("{name}", name).replace("{text}", text)


def check_template(template: str) -> None:
    """A template must contain ``{text}``."""
    if "{text}" not in template:
        raise UsageError(f"the template {template!r} has no {{text}} placeholder for the file's text")


def read_text_file(path: Path) -> TextDocument:
    """Read one UTF-8 text file.

    Raises:
        WorkloadError: the file cannot be read or is not UTF-8 text.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WorkloadError(f"cannot read: {exc.strerror}", path=str(path)) from None
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
