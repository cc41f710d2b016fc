"""Writing the split (:func:`write_parts`): each part a byte-for-byte copy of its source lines,
written atomically (temp file, then rename), read back to prove every line and custom_id is there once
and in order, and ``manifest.json`` written last. :func:`check_split_dir` refuses a directory early.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
from pathlib import Path
from typing import Any

from claude_quote.errors import UsageError, WorkloadError
from claude_quote.workloads.requests import iter_batch_requests, open_binary

from .digests import _content, _digest_add, _hex, _id_bytes
from .models import Part, Plan, Split

_MANIFEST = "manifest.json"


def _existing(directory: Path) -> list[Path]:
    return sorted([*directory.glob("part-*.jsonl"), *directory.glob(_MANIFEST)])


def check_split_dir(directory: str | Path, *, overwrite: bool = False) -> None:
    """Fail early when ``directory`` cannot take the parts (a file, or parts already there)."""
    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is not a directory: --split needs a directory for the parts")
    if folder.is_dir() and not overwrite:
        found = _existing(folder)
        if found:
            names = ", ".join(p.name for p in found[:3]) + (", …" if len(found) > 3 else "")
            raise UsageError(
                f"{folder} already holds {names}: pass --overwrite to replace them, or choose an empty directory"
            )


class _Writer:
    """One part file: a temp file in the directory, renamed into place when complete."""

    def __init__(self, directory: Path, name: str) -> None:
        self.final = directory / name
        while True:  # like tempfile, but with the permissions a plain open() gives (0o666 less umask)
            self.temp = directory / f".{name}.{secrets.token_hex(6)}.tmp"
            try:
                fd = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:  # pragma: no cover - 48 random bits
                continue
            break
        self.handle = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        self.handle.write(data)

    def finish(self) -> Path:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        self.temp.replace(self.final)
        return self.final

    def abort(self) -> None:
        self.handle.close()
        self.temp.unlink(missing_ok=True)


def _atomic_write(path: Path, data: bytes) -> None:
    writer = _Writer(path.parent, path.name)
    try:
        writer.write(data)
        writer.finish()
    except BaseException:
        writer.abort()
        raise


def _write(plan: Plan, folder: Path, written: list[Path]) -> tuple[int, str, str]:
    """Copy the source's request lines into the parts; the source's line digest and sha256."""
    skipped = {p.line for p in plan.problems if p.code == "invalid_line"}
    parts = iter(plan.parts)
    part: Part | None = None
    writer: _Writer | None = None
    left = 0
    source = hashlib.sha256()
    digest = 0
    lines = 0
    try:
        with open_binary(Path(plan.file)) as handle:
            for number, raw in enumerate(handle, start=1):
                source.update(raw)
                if not raw.strip() or number in skipped:
                    continue
                if left == 0:
                    if writer is not None:
                        written.append(writer.finish())
                    part = next(parts, None)
                    if part is None:
                        raise WorkloadError(f"line {number} belongs to no part", path=plan.file)
                    writer, left = _Writer(folder, part.file), part.requests
                assert part is not None
                assert writer is not None
                if not part.first_line <= number <= part.last_line:
                    raise WorkloadError(f"line {number} is outside part {part.file}", path=plan.file)
                content = _content(raw)
                writer.write(content)
                writer.write(b"\n")
                digest = _digest_add(digest, content)
                lines += 1
                left -= 1
        if writer is not None:
            written.append(writer.finish())
            writer = None
    finally:
        if writer is not None:
            writer.abort()
    return lines, _hex(digest), source.hexdigest()


def _read_back(folder: Path, plan: Plan) -> tuple[list[dict[str, Any]], int, str, str, int, str]:
    """Re-read the parts: per part facts; lines, their digest and sha256; custom_ids and their digest."""
    whole = hashlib.sha256()
    lines = ids = 0
    lines_digest = ids_digest = 0
    entries: list[dict[str, Any]] = []
    for part in plan.parts:
        path = folder / part.file
        sha = hashlib.sha256()
        count = size = 0
        with path.open("rb") as handle:
            for raw in handle:
                sha.update(raw)
                whole.update(raw)
                size += len(raw)
                count += 1
                lines_digest = _digest_add(lines_digest, _content(raw))
        seen: set[str] = set()
        for request in iter_batch_requests(path):
            seen.add(request.custom_id)
            ids += 1
            ids_digest = _digest_add(ids_digest, _id_bytes(request.custom_id))
        if count != part.requests or size != part.bytes or len(seen) != part.requests:
            raise WorkloadError(
                f"{part.file} holds {count:,} lines, {size:,} bytes and {len(seen):,} custom_ids; "
                f"the plan has {part.requests:,} requests and {part.bytes:,} bytes",
                path=str(folder),
            )
        lines += count
        entries.append(
            {
                "file": part.file,
                "first_line": part.first_line,
                "last_line": part.last_line,
                "requests": part.requests,
                "custom_ids": len(seen),
                "bytes": part.bytes,
                "body_bytes": part.body_bytes,
                "sha256": sha.hexdigest(),
                "models": list(part.models),
            }
        )
    return entries, lines, _hex(lines_digest), whole.hexdigest(), ids, _hex(ids_digest)


def write_parts(plan: Plan, directory: str | Path, *, overwrite: bool = False, force: bool = False) -> Plan:
    """Write the parts of ``plan`` into ``directory``, prove them complete, then write ``manifest.json``.

    Each part is a byte-for-byte copy of its source lines (each ending with a newline), written to a
    temp file in ``directory`` and renamed into place. After writing, the parts are read back: the
    lines must be the source's request lines, each once and in order (count, an order-free digest and
    the sha256 of the concatenation), and the custom_ids must be the source's, each once. Only then is
    the manifest written (also atomically). On any failure the parts written so far are removed, so a
    directory without ``manifest.json`` never holds parts from this run.

    Raises:
        WorkloadError: the plan has errors (unless ``force``), the source changed since it was
            planned, or the parts do not read back as planned.
        UsageError: ``directory`` already holds parts or a manifest (unless ``overwrite``), or is a file.
    """
    if plan.errors and not force:
        raise WorkloadError(
            f"{plan.errors:,} error{'s' if plan.errors != 1 else ''}: no parts written; fix them, or pass "
            "--force to write the parts anyway",
            path=plan.file,
        )
    folder = Path(directory)
    check_split_dir(folder, overwrite=overwrite)
    folder.mkdir(parents=True, exist_ok=True)
    for old in _existing(folder):  # only with overwrite: check_split_dir refused otherwise
        old.unlink()
    written: list[Path] = []
    try:
        lines, digest, source_sha = _write(plan, folder, written)
        if source_sha != plan.source_sha256:
            raise WorkloadError(
                "changed since it was planned (sha256 differs): plan it again", path=plan.file
            )
        if lines != plan.requests or digest != plan.lines_digest:
            raise WorkloadError(
                f"copied {lines:,} lines, but the plan read {plan.requests:,} requests", path=plan.file
            )
        entries, back, back_digest, back_sha, ids, ids_digest = _read_back(folder, plan)
        if (back, back_digest, back_sha) != (plan.requests, plan.lines_digest, plan.lines_sha256):
            raise WorkloadError(
                f"the parts read back as {back:,} lines, not the source's {plan.requests:,} request lines "
                "each once in order",
                path=str(folder),
            )
        if (ids, ids_digest) != (plan.requests, plan.custom_ids_digest):
            raise WorkloadError(
                f"the parts hold {ids:,} custom_ids, not the source's {plan.requests:,}, each once",
                path=str(folder),
            )
        manifest = _manifest(plan, entries, ids)
        _atomic_write(
            folder / _MANIFEST, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
        )
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # make the renames durable where the platform allows it
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    split = Split(
        directory=str(folder),
        files=tuple(str(p) for p in written),
        manifest=str(folder / _MANIFEST),
        requests=back,
        custom_ids=ids,
        lines_sha256=back_sha,
    )
    return plan.model_copy(update={"split": split})


def _manifest(plan: Plan, entries: list[dict[str, Any]], ids: int) -> dict[str, Any]:
    from claude_quote._version import __version__

    return {
        "schema_version": 1,
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
        "total": {"parts": len(entries), "requests": plan.requests, "custom_ids": ids},
    }
