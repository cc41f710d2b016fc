"""Text files as requests: a directory, a glob or a list of files, each filled into a prompt template.

Each file becomes one request whose user message is the template with ``{text}`` replaced by the
file's text (``{name}``: the file name; for a table's rows, ``{column}``: any column). Files are read
whole, one at a time, in UTF-8 or the encoding given; hidden files and directories are skipped when a
directory is expanded, and :func:`select_files` keeps the files found there that ``include`` globs
name and ``exclude`` globs do not.

>>> fill_template("Summarize: {text}", "Hello.", name="a.txt")
'Summarize: Hello.'
>>> fill_template("Label ({subject}): {text} {{literal}}", "Hi", name="t-1", fields={"subject": "Billing"})
'Label (Billing): Hi {literal}'
"""

from __future__ import annotations

import codecs
import fnmatch
import glob
import re
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

from claude_quote.errors import NotTextError, UsageError, WorkloadError

from .files import read_document, stat_input

__all__ = [
    "DEFAULT_TEMPLATE",
    "TextDocument",
    "check_template",
    "expand_paths",
    "fill_template",
    "iter_text_files",
    "not_text",
    "placeholders",
    "read_text_file",
    "select_files",
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
        WorkloadError: a path does not exist or cannot be looked at (a name too long, a directory on
            the way that cannot be searched), or a glob matches nothing.
    """
    files: list[Path] = []
    for pattern in patterns:
        text = str(pattern)
        if isinstance(pattern, str) and _MAGIC & set(text) and stat_input(text) is None:
            matches = sorted(glob.glob(text, recursive=True))  # noqa: PTH207 - absolute patterns too
            if not matches:
                raise WorkloadError(f"no files match {text!r}")
            for match in matches:
                _sort_entry(Path(match), files, skipped)
            continue
        path = Path(pattern)
        info = stat_input(path)
        if info is not None and stat.S_ISDIR(info.st_mode):
            found: list[Path] = []
            for entry in sorted(path.rglob("*")):
                if any(part.startswith(".") for part in entry.relative_to(path).parts):
                    continue
                _sort_entry(entry, found, skipped)
            if not found:
                raise WorkloadError("directory holds no files", path=text)
            files += found
        elif info is not None:
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


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][^{}\"':\n]*)\}")
"""``{{`` and ``}}`` (literal braces), or ``{name}``: a name that starts with a letter and holds no
quotes or colons, so that JSON (``{"label": 1}``) or a set (``{1, 2}``) in a prompt is left alone."""


def placeholders(template: str) -> list[str]:
    """The names a template fills in, in order (``{{`` and ``}}`` are literal braces).

    >>> placeholders('Label ({subject}): {text} {"json": 1} {{not}}')
    ['subject', 'text']
    """
    return [m[1] for m in _PLACEHOLDER.finditer(template) if m[1] is not None]


def fill_template(template: str, text: str, *, name: str, fields: Mapping[str, str] | None = None) -> str:
    """The template with ``{text}``, ``{name}`` and each ``{field}`` filled in; ``{{``/``}}`` are braces.

    A name that is neither ``text``, ``name`` nor a field is left as written (:func:`check_names`
    refuses it beforehand).
    """
    values = {**(fields or {}), "name": name, "text": text}

    def fill(match: re.Match[str]) -> str:
        key = match[1]
        if key is None:
            return match[0][0]
        return values.get(key, match[0])

    return _PLACEHOLDER.sub(fill, template)


def check_template(template: str) -> None:
    """A template must contain ``{text}``."""
    if "text" not in placeholders(template):
        raise UsageError(f"the template {template!r} has no {{text}} placeholder for the file's text")


def check_names(template: str, available: Sequence[str], *, path: Path) -> None:
    """Every name the template uses must be ``text``, ``name`` or one of ``available`` (a table's columns).

    Raises:
        WorkloadError: a name that nothing fills in for the file at ``path``, listing what would.
    """
    known = ["text", "name", *(c for c in available if c not in ("text", "name"))]
    unknown = [n for n in dict.fromkeys(placeholders(template)) if n not in known]
    if unknown:
        shown = ", ".join("{" + n + "}" for n in unknown)
        listed = ", ".join("{" + n + "}" for n in known)
        what = "is not a column" if available else "is not filled in for a text file"
        raise WorkloadError(
            f"the prompt template names {shown}, which {what}; it can use {listed} "
            "(write {{ and }} for literal braces)",
            path=str(path),
        )


_SNIFF = 8192
"""Bytes read from the start of a file to tell text from binary (as git does: a NUL byte is binary)."""


def _decode_problem(data: bytes, encoding: str, *, final: bool) -> str | None:
    if b"\x00" in data[:_SNIFF]:
        return "binary"
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=final)
    except UnicodeDecodeError as exc:
        shown = "UTF-8" if codecs.lookup(encoding).name == "utf-8" else encoding
        return f"not {shown} text (byte {exc.start:,})"
    return None


def not_text(path: Path, encoding: str = "utf-8") -> str | None:
    """Why ``path`` does not look like text in ``encoding`` from its first bytes (``binary``, ``not utf-8
    text (byte 3)``), or None when it does (or cannot be read: reading it will say why)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF)
    except OSError:
        return None
    return _decode_problem(head, encoding, final=len(head) < _SNIFF)


def read_text_file(path: Path, *, encoding: str = "utf-8") -> TextDocument:
    """Read one text file in ``encoding`` (default UTF-8).

    A gzip file is un-packed; a file longer than the line-length cap (a text file is one request) is
    refused, so ``/dev/zero`` is an error, not all the memory.

    Raises:
        NotTextError: the file is binary, or not text in ``encoding``.
        WorkloadError: the file cannot be read, or is larger than the cap.
    """
    data = read_document(path)
    problem = _decode_problem(data, encoding, final=True)
    if problem == "binary":
        raise NotTextError(
            "binary, not text: estimate reads text files, batch JSONL, JSON, CSV, Parquet and JSONL tables",
            path=str(path),
        )
    if problem is not None:
        raise NotTextError(
            f"{problem}; give the files' encoding with --encoding (e.g. latin-1)", path=str(path)
        )
    return TextDocument(path=path, text=data.decode(encoding), size_bytes=len(data))


def _matches(path: PurePath, patterns: Sequence[str]) -> bool:
    """Whether a glob matches the path (a pattern with ``/``) or its file name (one without)."""
    text = path.as_posix()
    return any(fnmatch.fnmatch(text if "/" in p else path.name, p.removeprefix("./")) for p in patterns)


def select_files(
    patterns: Iterable[str | Path],
    files: Sequence[Path],
    *,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
) -> tuple[list[Path], frozenset[Path]]:
    """The files of ``files`` (from :func:`expand_paths`) to read, and those of them found in a directory
    or by a glob rather than named.

    A named file is always kept. A file found in a directory is kept when it matches an ``include``
    glob (if any) and no ``exclude`` glob; a glob with ``/`` matches the path below the directory
    (``notes/*.md``), one without matches the file name (``*.md``).
    """
    named = {Path(p) for p in patterns if not (Path(p).is_dir() or (isinstance(p, str) and _MAGIC & set(p)))}
    folders = [Path(p) for p in patterns if Path(p).is_dir()]
    kept: list[Path] = []
    found: set[Path] = set()
    for path in files:
        if path in named:
            kept.append(path)
            continue
        below = next((path.relative_to(f) for f in folders if path.is_relative_to(f)), path)
        if (include and not _matches(below, include)) or _matches(below, exclude):
            continue
        kept.append(path)
        found.add(path)
    return kept, frozenset(found)


def iter_text_files(paths: Iterable[Path]) -> Iterator[TextDocument]:
    """Read the files one at a time."""
    for path in paths:
        yield read_text_file(path)
