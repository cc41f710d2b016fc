"""Writing the split: the directory taken for it (:class:`SplitDir`: created, locked, checked, the
temp files of a killed run removed), each part's hidden temp file (:class:`PartFile`: written, each
block read back and compared, flushed to disk), and :func:`commit`, which renames the parts into
place and writes ``manifest.json`` last. :func:`write_parts` writes the split of a plan from a second
read of its source; ``plan(..., split=DIR)`` writes it while it reads the source (see :mod:`.sink`).

Nothing the user gave is removed: the source is never one of the files a split replaces, and a
directory holds the parts of one split at a time (a lock on the directory, where the platform has
``fcntl``). A failure leaves no part of the run behind; a kill leaves only hidden temp files, which
the next split into the directory removes.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import stat
import sys
from pathlib import Path
from typing import Any

from claude_quote.errors import UsageError, WorkloadError
from claude_quote.workloads.files import stat_or_none
from claude_quote.workloads.requests import DEFAULT_MAX_LINE_BYTES, STDIN, open_binary

from .models import Plan, Split

_MANIFEST = "manifest.json"
_LEFTOVERS = (".part-*.tmp", f".{_MANIFEST}.*.tmp")


def _existing(directory: Path) -> list[Path]:
    return sorted([*directory.glob("part-*.jsonl"), *directory.glob(_MANIFEST)])


def _names(paths: list[Path]) -> str:
    return ", ".join(p.name for p in paths[:3]) + (", …" if len(paths) > 3 else "")


def cannot(folder: Path, what: str, exc: OSError) -> UsageError:
    """An OSError while writing the split, as one line: the path, the reason, what to do."""
    reason = exc.strerror or str(exc)
    code = errno.errorcode.get(exc.errno or 0)
    if code:
        reason += f" ({code})"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        advice = "free some space, or choose another directory"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        advice = "choose a directory you can write to"
    else:
        advice = "choose another directory"
    return UsageError(f"--split {folder}: cannot {what}: {reason}; no parts written ({advice})")


def _is_dir(folder: Path) -> bool | None:
    """Whether ``folder`` is a directory (None: nothing there); a path that cannot be looked at (a
    name too long, a directory on the way that cannot be searched) is the split's error."""
    try:
        info = stat_or_none(folder)
    except OSError as exc:
        raise cannot(folder, "use the directory", exc) from None
    return None if info is None else stat.S_ISDIR(info.st_mode)


def check_split_dir(directory: str | Path, *, overwrite: bool = False) -> None:
    """Fail early when ``directory`` cannot take the parts (a file, or parts already there)."""
    folder = Path(directory)
    is_dir = _is_dir(folder)
    if is_dir is False:
        raise UsageError(f"{folder} is not a directory: --split needs a directory for the parts")
    if is_dir and not overwrite:
        found = _existing(folder)
        if found:
            raise UsageError(
                f"{folder} already holds {_names(found)}: pass --overwrite to replace them, or choose an "
                "empty directory"
            )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


class SplitDir:
    """A directory taken for one split: created, locked against another split, checked."""

    def __init__(self, directory: str | Path, *, overwrite: bool, source: str | None) -> None:
        self.folder = Path(directory)
        self.overwrite = overwrite
        self.source = None if source is None or source == STDIN else Path(source)
        self._lock: int | None = None
        self.committed = False
        if _is_dir(self.folder):
            self._protect_source()
        check_split_dir(self.folder, overwrite=overwrite)
        self._created = [d for d in (self.folder, *self.folder.parents) if _is_dir(d) is None]
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise cannot(self.folder, "create the directory", exc) from None
        self._take_lock()
        try:
            check_split_dir(self.folder, overwrite=overwrite)  # again, now that no other split runs
            self._protect_source()
            self._remove_leftovers()
        except BaseException:
            self.release()
            raise

    def _take_lock(self) -> None:
        if sys.platform == "win32":  # pragma: no cover - no fcntl: no lock
            return
        import fcntl

        try:
            fd = os.open(self.folder, os.O_RDONLY)
        except OSError as exc:
            raise cannot(self.folder, "open the directory", exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise UsageError(
                    f"{self.folder}: another `claude-quote plan --split` is writing into this directory; "
                    "wait for it to end, or choose another directory"
                ) from None
            raise cannot(self.folder, "lock the directory", exc) from None
        self._lock = fd

    def _protect_source(self) -> None:
        if self.source is None:
            return
        for path in _existing(self.folder):
            if _same_file(path, self.source):
                raise UsageError(
                    f"{self.source} is {path}, one of the files --split {self.folder} "
                    f"{'--overwrite ' if self.overwrite else ''}would replace: write the parts into "
                    "another directory (the source is never removed)"
                )

    def _remove_leftovers(self) -> None:
        """Hidden temp files of a split that was killed (no split runs now: the lock is ours)."""
        for pattern in _LEFTOVERS:
            for path in self.folder.glob(pattern):
                if self.source is not None and _same_file(path, self.source):
                    continue
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()

    def release(self) -> None:
        """Unlock; without a commit, remove the directories this split created (if still empty)."""
        if self._lock is not None:
            os.close(self._lock)  # closing the descriptor releases the lock
            self._lock = None
        if not self.committed:
            for folder in self._created:  # deepest first
                try:
                    folder.rmdir()
                except OSError:
                    break


def _read_into(fd: int, view: memoryview, offset: int) -> int:
    """Fill ``view`` from the file at ``offset``; the bytes read (fewer at its end)."""
    done = 0
    while done < len(view):
        if hasattr(os, "preadv"):
            got = os.preadv(fd, [view[done:]], offset + done)
        else:  # pragma: no cover - Windows
            chunk = _pread(fd, len(view) - done, offset + done)
            view[done : done + len(chunk)] = chunk
            got = len(chunk)
        if not got:
            break
        done += got
    return done


def _pread(fd: int, size: int, offset: int) -> bytes:  # pragma: no cover - Windows: no pread
    end = os.lseek(fd, 0, os.SEEK_CUR)
    os.lseek(fd, offset, os.SEEK_SET)
    try:
        return os.read(fd, size)
    finally:
        os.lseek(fd, end, os.SEEK_SET)


class PartFile:
    """One part being written: a hidden temp file in the directory. Each block is read back from the
    file as soon as it is written (into one reused buffer: no new memory) and compared byte for byte
    with what was written; the part's lines and bytes are those of its blocks, and
    ``sha256_through`` (set by the sink when the part ends) the sha256 of every part up to this one.
    :meth:`close` flushes it to disk and checks its size there."""

    def __init__(self, folder: Path, index: int) -> None:
        self.folder = folder
        self.index = index
        self.sha256_through = ""
        self.lines = 0
        self.bytes = 0
        self._back = bytearray()
        while True:  # like tempfile, but with the permissions a plain open() gives (0o666 less umask)
            self.temp = folder / f".part-{index:04d}.{secrets.token_hex(6)}.tmp"
            try:
                fd = os.open(self.temp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:  # pragma: no cover - 48 random bits
                continue
            except OSError as exc:
                raise cannot(folder, f"create a part file in {folder}", exc) from None
            break
        self.fd: int | None = fd

    def write(self, data: bytes | memoryview, lines: int) -> None:
        """Append ``data`` (``lines`` request lines) and read it back."""
        assert self.fd is not None
        size = len(data)
        if len(self._back) < size:
            self._back = bytearray(size)
        try:
            view = memoryview(data)
            while view:  # a write may be short
                view = view[os.write(self.fd, view) :]
            got = _read_into(self.fd, memoryview(self._back)[:size], self.bytes)
        except OSError as exc:
            raise cannot(self.folder, f"write part {self.index}", exc) from None
        if got != size or not self._back.startswith(data):  # byte for byte (memcmp)
            at = next((i for i in range(got) if self._back[i] != data[i]), got)
            raise WorkloadError(
                f"part {self.index} reads back differently from what was written, from byte "
                f"{self.bytes + at:,}: no parts written",
                path=str(self.folder),
            )
        self.lines += lines
        self.bytes += size

    def close(self) -> None:
        """Flush the part to disk; it must hold the bytes written, no more."""
        self._back = bytearray()  # the parts stay listed until the commit: not their buffers
        if self.fd is None:
            return
        fd, self.fd = self.fd, None
        try:
            os.fsync(fd)
            size = os.fstat(fd).st_size
        except OSError as exc:
            raise cannot(self.folder, f"write part {self.index}", exc) from None
        finally:
            os.close(fd)
        if size != self.bytes:
            raise WorkloadError(
                f"part {self.index} holds {size:,} bytes on disk, not the {self.bytes:,} written: no parts written",
                path=str(self.folder),
            )

    def discard(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None
        with contextlib.suppress(OSError):
            self.temp.unlink()


def _sync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # make the renames durable where the platform allows it
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _atomic_write(folder: Path, name: str, data: bytes) -> Path:
    temp = folder / f".{name}.{secrets.token_hex(6)}.tmp"
    try:
        with temp.open("xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        return temp.replace(folder / name)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise cannot(folder, f"write {name}", exc) from None


def refused(plan: Plan) -> WorkloadError:
    """Why a plan with errors writes no parts (without ``force``)."""
    return WorkloadError(
        f"{plan.errors:,} error{'s' if plan.errors != 1 else ''}: no parts written; fix them, or pass "
        "--force to write the parts anyway",
        path=plan.file,
    )


def commit(target: SplitDir, plan: Plan, files: list[PartFile]) -> Plan:
    """Put the parts, written and read back, into place; then ``manifest.json``; the plan with ``split``.

    The plan's parts must be the files written (lines and bytes of each). The old manifest goes
    first (a directory without one is incomplete), then old parts this split does not replace.
    """
    folder = target.folder
    _check_written(folder, plan, files)
    finals = [folder / part.file for part in plan.parts]
    _put_in_place(folder, plan, files, finals)
    _sync_dir(folder)
    target.committed = True
    split = Split(
        directory=str(folder),
        files=tuple(str(p) for p in finals),
        manifest=str(folder / _MANIFEST),
        requests=sum(f.lines for f in files),
        custom_ids=sum(f.lines for f in files),
        lines_sha256=plan.lines_sha256,
    )
    return plan.model_copy(update={"split": split})


def _check_written(folder: Path, plan: Plan, files: list[PartFile]) -> None:
    """The files written are the plan's parts: as many, of the same lines and bytes each."""
    written = [(f.lines, f.bytes) for f in files]
    planned = [(p.requests, p.bytes) for p in plan.parts]
    if written != planned:
        raise WorkloadError(
            f"wrote {len(files):,} parts of {sum(f.lines for f in files):,} lines, but the plan has "
            f"{len(plan.parts):,} parts of {plan.requests:,} requests: no parts written",
            path=str(folder),
        )


def _put_in_place(folder: Path, plan: Plan, files: list[PartFile], finals: list[Path]) -> None:
    """The old manifest and old parts removed, the parts renamed to ``finals``, the manifest written;
    on a failure the parts put in place are removed again."""
    placed: list[Path] = []
    try:
        old = _existing(folder)
        for path in sorted(old, key=lambda p: p.name != _MANIFEST):  # the manifest first
            if path not in finals:
                path.unlink()
        for file, final in zip(files, finals, strict=True):
            file.temp.replace(final)
            placed.append(final)
        _sync_dir(folder)
        manifest = _manifest(plan, files)
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        _atomic_write(folder, _MANIFEST, text.encode("utf-8", "backslashreplace"))  # a path's lone surrogates
    except OSError as exc:
        for path in placed:
            with contextlib.suppress(OSError):
                path.unlink()
        raise cannot(folder, "put the parts in place", exc) from None
    except BaseException:
        for path in placed:
            with contextlib.suppress(OSError):
                path.unlink()
        raise


def write_parts(plan: Plan, directory: str | Path, *, overwrite: bool = False, force: bool = False) -> Plan:
    """Write the parts of ``plan`` into ``directory`` from a second read of its source, prove them
    complete, then write ``manifest.json``. (``plan(..., split=directory)`` does the same while it
    reads the source, once.)

    Each part is a byte-for-byte copy of its source lines (each ending with a newline), written to a
    hidden temp file in ``directory``, each block read back at once and compared with what was
    written, flushed to disk; and the source must be the one planned (its sha256). Only then are the
    parts renamed into place and the manifest written, last and also atomically. On any failure no
    part of this run is left in ``directory``.

    Raises:
        WorkloadError: the plan has errors (unless ``force``), the source changed since it was
            planned or was standard input, or a part does not read back as written.
        UsageError: ``directory`` already holds parts or a manifest (unless ``overwrite``), is a
            file, holds the source, is taken by another split, or cannot be written.
    """
    from .sink import Sink

    if plan.errors and not force:
        raise refused(plan)
    if plan.file == STDIN:
        raise WorkloadError(
            "the requests came from standard input, which cannot be read again: write the parts "
            "while planning (plan(..., split=DIR), or `claude-quote plan - --split DIR`)",
            path=plan.file,
        )
    target = SplitDir(directory, overwrite=overwrite, source=plan.file)
    sink = Sink(target)
    try:
        _copy(plan, sink)
        source, _ = sink.finish()
        if source != plan.source_sha256:
            raise WorkloadError(
                "changed since it was planned (sha256 differs): plan it again", path=plan.file
            )
        return commit(target, plan, sink.files)
    finally:
        sink.close()
        target.release()


def _copy(plan: Plan, sink: Any) -> None:
    """Feed the source's lines to the sink, each request line with its part (blank and invalid lines: 0)."""
    from claude_quote.workloads.requests import is_json_document, read_request_lines

    invalid = {p.line for p in plan.problems if p.code == "invalid_line"}
    parts = iter(plan.parts)
    part = next(parts, None)
    if is_json_document(plan.file):  # the lines are the requests re-serialised: parse again
        for item in read_request_lines(plan.file):
            number = item.line
            while part is not None and number > part.last_line:
                part = next(parts, None)
            keep = item.request is not None and number not in invalid and part is not None
            sink.add(item.raw, part.index if keep and part is not None else 0, item.in_source)
        return
    with open_binary(plan.file) as handle:
        number = 0
        while raw := handle.readline(DEFAULT_MAX_LINE_BYTES + 1):
            number += 1
            while part is not None and number > part.last_line:
                part = next(parts, None)
            keep = (
                part is not None and part.first_line <= number and number not in invalid and not raw.isspace()
            )
            sink.add(raw, part.index if keep and part is not None else 0, True)


def _manifest(plan: Plan, files: list[PartFile]) -> dict[str, Any]:
    from claude_quote._version import __version__

    entries = [
        {
            "file": part.file,
            "first_line": part.first_line,
            "last_line": part.last_line,
            "requests": part.requests,
            "custom_ids": file.lines,
            "bytes": part.bytes,
            "body_bytes": part.body_bytes,
            "sha256_through": file.sha256_through,
            "models": list(part.models),
        }
        for part, file in zip(plan.parts, files, strict=True)
    ]
    return {
        "schema_version": 2,
        "kind": "plan-manifest",
        "generator": f"claude-quote {__version__}",
        "source": {
            "file": plan.file,
            "sha256": plan.source_sha256,
            "bytes": plan.bytes,
            "requests": plan.requests,
            "custom_ids": plan.custom_ids,
            "lines_sha256": plan.lines_sha256,
            "skipped_lines": sorted(p.line for p in plan.problems if p.code == "invalid_line"),
        },
        "limits": {
            "max_requests": plan.max_requests,
            "max_bytes": plan.max_bytes,
            "bytes_of": 'the batch-create body {"requests":[<line>,...]}: part bytes + 14',
        },
        "problems": {"errors": plan.errors, "warnings": plan.warning_count, "forced": plan.errors > 0},
        "parts": entries,
        "total": {"parts": len(entries), "requests": plan.requests, "custom_ids": plan.requests},
    }
