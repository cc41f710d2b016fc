"""Writing the split while reading (``plan(..., split=DIR)``): nothing the user gave is removed, one
split at a time, the leftovers of a killed run cleaned up, and every failure of the directory (missing,
unwritable, full) an exit 2 with the path and the reason. Real ENOSPC and EROFS run in a private
mount namespace (``unshare``) where the machine allows it."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from claude_quote.errors import UsageError, WorkloadError
from claude_quote.plan import plan, write_parts
from claude_quote.plan.writing import PartFile
from tests.conftest import DAY, ROOT, console_script, run_cli
from tests.workload_files import request, write_jsonl

CLEAN = ROOT / "examples" / "batch-requests.jsonl"


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _sources(tmp_path: Path, n: int = 6) -> Path:
    return write_jsonl(tmp_path / "src.jsonl", [request(f"ticket {i}", custom_id=f"t{i}") for i in range(n)])


# --------------------------------------------------------------------------------------------------
# Written while reading


def test_the_split_written_while_reading_is_the_split_written_after(tmp_path: Path) -> None:
    source = _sources(tmp_path)
    once = plan(source, at=DAY, max_requests=4, split=tmp_path / "once")
    twice = write_parts(plan(source, at=DAY, max_requests=4), tmp_path / "twice")
    assert (
        _names(tmp_path / "once")
        == _names(tmp_path / "twice")
        == [
            "manifest.json",
            "part-0001.jsonl",
            "part-0002.jsonl",
        ]
    )
    for name in _names(tmp_path / "once"):
        assert (tmp_path / "once" / name).read_bytes().replace(b"once", b"twice") == (
            tmp_path / "twice" / name
        ).read_bytes()
    assert once.split is not None
    assert twice.split is not None
    assert once.split.model_dump() == {
        **twice.split.model_dump(),
        "directory": str(tmp_path / "once"),
        "files": tuple(str(tmp_path / "once" / f"part-000{i}.jsonl") for i in (1, 2)),
        "manifest": str(tmp_path / "once" / "manifest.json"),
    }
    joined = b"".join((tmp_path / "once" / f"part-000{i}.jsonl").read_bytes() for i in (1, 2))
    assert joined == source.read_bytes()
    assert once.lines_sha256 == hashlib.sha256(joined).hexdigest()


def test_errors_write_nothing_and_leave_no_directory(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "b.jsonl", [request(custom_id="a"), "{oops", request(custom_id="c")])
    p = plan(source, at=DAY, split=tmp_path / "new" / "out")
    assert p.split is None
    assert _codes(p) == [(2, "invalid_line", "error")]
    assert not (tmp_path / "new").exists()  # created by the run, removed with it
    (tmp_path / "kept").mkdir()
    assert plan(source, at=DAY, split=tmp_path / "kept").split is None
    assert _names(tmp_path / "kept") == []  # a directory that was there stays, empty


def test_force_writes_the_requests_and_no_invalid_line(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "b.jsonl", [request(custom_id="a"), "{oops", request(custom_id="c")])
    p = plan(source, at=DAY, split=tmp_path / "out", force=True)
    assert p.split is not None
    data = (tmp_path / "out" / "part-0001.jsonl").read_bytes()
    assert data.count(b"\n") == 2
    assert b"oops" not in data
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["source"]["skipped_lines"] == [2]
    assert manifest["problems"] == {"errors": 1, "warnings": 0, "forced": True}


def _codes(p: Any) -> list[tuple[int, str, str]]:
    return [(x.line, x.code, x.severity) for x in p.problems]


# --------------------------------------------------------------------------------------------------
# Nothing the user gave is removed


def test_the_source_inside_the_directory_is_never_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    plan(_sources(tmp_path), at=DAY, max_requests=2, split=out)
    source = out / "part-0001.jsonl"
    before = {name: (out / name).read_bytes() for name in _names(out)}
    for overwrite, force in ((False, False), (True, False), (True, True)):
        with pytest.raises(
            UsageError, match=r"part-0001\.jsonl is .*part-0001\.jsonl, one of the files --split"
        ):
            plan(source, at=DAY, split=out, overwrite=overwrite, force=force)
        assert {name: (out / name).read_bytes() for name in _names(out)} == before
    result = run_cli(["plan", str(source), "--at", "2026-11-25", "--split", str(out), "--overwrite"])
    assert result.exit_code == 2
    assert "the source is never removed" in result.stderr
    assert {name: (out / name).read_bytes() for name in _names(out)} == before


def test_a_link_to_a_part_is_the_part(tmp_path: Path) -> None:
    out = tmp_path / "out"
    plan(_sources(tmp_path), at=DAY, split=out)
    link = tmp_path / "link.jsonl"
    link.symlink_to(out / "part-0001.jsonl")
    with pytest.raises(UsageError, match="one of the files --split"):
        plan(link, at=DAY, split=out, overwrite=True)
    assert (out / "part-0001.jsonl").exists()


def test_a_source_in_the_directory_that_is_no_part_stays(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    source = shutil.copy(_sources(tmp_path), out / "requests.jsonl")
    content = Path(source).read_bytes()
    plan(source, at=DAY, split=out)
    plan(source, at=DAY, split=out, overwrite=True, max_requests=1)
    assert Path(source).read_bytes() == content
    assert _names(out) == ["manifest.json", *(f"part-000{i}.jsonl" for i in range(1, 7)), "requests.jsonl"]


def test_overwrite_removes_the_old_manifest_and_the_parts_not_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    plan(_sources(tmp_path), at=DAY, max_requests=1, split=out)
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    plan(_sources(tmp_path), at=DAY, split=out, overwrite=True)
    assert _names(out) == ["manifest.json", "notes.txt", "part-0001.jsonl"]


# --------------------------------------------------------------------------------------------------
# One split at a time; leftovers of a killed run


def test_a_second_split_into_the_same_directory_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # what a split in progress holds
        with pytest.raises(
            UsageError, match=r"out: another `claude-quote plan --split` is writing into this"
        ):
            plan(_sources(tmp_path), at=DAY, split=out)
        assert _names(out) == []
    finally:
        os.close(fd)
    assert plan(_sources(tmp_path), at=DAY, split=out).split is not None


def test_the_temp_files_of_a_killed_run_are_removed_by_the_next(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for name in (
        ".part-0001.0123456789ab.tmp",
        ".part-0002.ba9876543210.tmp",
        ".manifest.json.abcdefabcdef.tmp",
    ):
        (out / name).write_text("half", encoding="utf-8")
    (out / ".keep.tmp").write_text("not ours", encoding="utf-8")
    plan(_sources(tmp_path), at=DAY, split=out)
    assert _names(out) == [".keep.tmp", "manifest.json", "part-0001.jsonl"]


def _big_source(tmp_path: Path, megabytes: int) -> Path:
    line = json.dumps(request("word " * 2_000, custom_id="X" * 10))
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for i in range(megabytes * 100):
            out.write(line.replace("X" * 10, f"r{i:09d}") + "\n")
    return path


@pytest.mark.slow
def test_kill_9_mid_split_leaves_no_part_and_the_next_run_cleans_up(tmp_path: Path) -> None:
    source = _big_source(tmp_path, 120)
    out = tmp_path / "out"
    command = [
        console_script(),
        "plan",
        str(source),
        "--at",
        "2026-11-25",
        "--max-bytes",
        "20MB",
        "--split",
        str(out),
    ]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not list(out.glob(".part-0002.*.tmp")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    if proc.poll() is not None:
        pytest.skip("the split ended before it could be killed (a very fast machine)")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    names = _names(out)
    assert names, "the killed run left no temp file"
    assert all(name.startswith(".part-") and name.endswith(".tmp") for name in names), names
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    names = _names(out)
    assert not [name for name in names if name.endswith(".tmp")]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["total"]["requests"] == 12_000
    joined = hashlib.sha256()
    for part in manifest["parts"]:
        joined.update((out / part["file"]).read_bytes())
    assert joined.hexdigest() == manifest["source"]["lines_sha256"] == manifest["source"]["sha256"]


# --------------------------------------------------------------------------------------------------
# A directory that is missing, unwritable or full: exit 2, the path and the reason


def test_a_directory_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    result = run_cli(["plan", str(CLEAN), "--split", str(tmp_path / "file" / "out")])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --split {tmp_path / 'file' / 'out'}: cannot create the directory: Not a directory (ENOTDIR); "
        "no parts written (choose another directory)\n"
    )


def test_a_full_disk_is_exit_2_with_the_reason_and_nothing_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writing = sys.modules["claude_quote.plan.writing"]
    real_write = os.write
    room = {"left": 500}  # a disk with 500 bytes left

    def write(fd: int, data: Any) -> int:
        if len(data) > room["left"]:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        room["left"] -= len(data)
        return real_write(fd, data)

    monkeypatch.setattr(writing.os, "write", write)
    out = tmp_path / "out"
    result = run_cli(["plan", str(CLEAN), "--at", "2026-11-25", "--split", str(out)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"error: --split {out}: cannot write part 1: No space left on device (ENOSPC); no parts written "
        "(free some space, or choose another directory)\n"
    )
    assert not out.exists()


def test_an_unwritable_directory_is_exit_2_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writing = sys.modules["claude_quote.plan.writing"]
    real_open = os.open

    def refuse(path: Any, flags: int, *args: Any) -> int:
        if Path(path).name.startswith(".part-"):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(writing.os, "open", refuse)
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli(["plan", str(CLEAN), "--at", "2026-11-25", "--split", str(out)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --split {out}: cannot create a part file in {out}: Permission denied (EACCES); no parts "
        "written (choose a directory you can write to)\n"
    )
    assert _names(out) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only mode directory anyway")
def test_a_read_only_directory_as_a_user(tmp_path: Path) -> None:  # pragma: no cover - CI runs as a user
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o500)
    try:
        result = run_cli(["plan", str(CLEAN), "--at", "2026-11-25", "--split", str(out)])
    finally:
        out.chmod(0o700)
    assert result.exit_code == 2
    assert "Permission denied (EACCES); no parts written" in result.stderr


def _in_namespace(mount: str, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run claude-quote plan with a fresh tmpfs (``mount`` options) on ``out``, in a private mount
    namespace that ends with the process (``unshare``); skip where the machine does not allow it."""
    if shutil.which("unshare") is None:
        pytest.skip("no unshare(1) on this machine")
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f'mount -t tmpfs -o size=64k tmpfs "{out}"'],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs in a user namespace here: {probe.stderr.strip()}")
    script = f'mount -t tmpfs -o {mount} tmpfs "$1" && shift && exec "$@"'
    command = ["unshare", "-rm", "sh", "-c", script, "sh", str(out), console_script(), "plan", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)


@pytest.mark.slow
def test_a_real_full_tmpfs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    source = _big_source(tmp_path, 1)  # 1 MB of requests into 256 kB
    proc = _in_namespace(
        "size=256k", out, str(source), "--at", "2026-11-25", "--max-bytes", "100kB", "--split", str(out)
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.startswith(f"error: --split {out}: cannot write part ")
    assert proc.stderr.endswith(
        "No space left on device (ENOSPC); no parts written (free some space, or choose another directory)\n"
    )
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_a_real_read_only_file_system(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    proc = _in_namespace("ro", out, str(CLEAN), "--at", "2026-11-25", "--split", str(out))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == (
        f"error: --split {out}: cannot create a part file in {out}: Read-only file system (EROFS); no parts "
        "written (choose a directory you can write to)\n"
    )


def test_a_part_that_reads_back_wrong_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writing = sys.modules["claude_quote.plan.writing"]
    real_preadv = os.preadv

    def preadv(fd: int, buffers: Any, offset: int) -> int:  # a disk that loses a bit
        got = real_preadv(fd, buffers, offset)
        buffers[-1][got - 3] ^= 1
        return got

    monkeypatch.setattr(writing.os, "preadv", preadv)
    source = _sources(tmp_path)
    size = len(source.read_bytes())
    with pytest.raises(
        WorkloadError, match=rf"part 1 reads back differently from what was written, from byte {size - 3:,}"
    ):
        plan(source, at=DAY, split=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_closed_part_keeps_no_read_back_buffer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept: list[tuple[int, int]] = []
    original = PartFile.close

    def close(self: PartFile) -> None:
        before = len(self._back)
        original(self)
        kept.append((before, len(self._back)))

    monkeypatch.setattr(PartFile, "close", close)
    plan(_sources(tmp_path), at=DAY, max_requests=2, split=tmp_path / "out")
    # 6 requests, 2 a part: 3 parts, each read back through its buffer, which goes when it is closed
    # (the parts stay listed until the commit: with the buffers, memory would grow with the parts)
    assert len(kept) == 3
    assert all(before > 0 and after == 0 for before, after in kept)


def test_a_directory_removed_while_splitting_is_exit_2_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = PartFile.__init__

    def init(self: PartFile, folder: Path, index: int) -> None:
        shutil.rmtree(folder)  # someone removes the directory as the first part starts
        original(self, folder, index)

    monkeypatch.setattr(PartFile, "__init__", init)
    out = tmp_path / "out"
    result = run_cli(["plan", str(CLEAN), "--at", "2026-11-25", "--split", str(out)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: --split {out}: cannot create a part file in {out}: No such file or directory (ENOENT); no "
        "parts written (choose another directory)\n"
    )


def test_on_one_cpu_the_same_work_runs_on_the_reading_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = sys.modules["claude_quote.plan.sink"]
    lines = [request(custom_id=f"r{i}") for i in range(5)] + ["", "{oops"]
    source = write_jsonl(tmp_path / "b.jsonl", lines)
    monkeypatch.setattr(sink, "_worker_pays", lambda: True)  # a worker thread, whatever the machine's load
    threaded = plan(source, at=DAY, max_requests=2, split=tmp_path / "a", force=True)
    monkeypatch.setattr(sink, "_worker_pays", lambda: False)
    inline = plan(source, at=DAY, max_requests=2, split=tmp_path / "b", force=True)
    assert inline.model_dump(exclude={"split"}) == threaded.model_dump(exclude={"split"})
    assert inline.lines_sha256 != inline.source_sha256  # the blank and bad lines are no request lines
    for name in _names(tmp_path / "a"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


@pytest.mark.parametrize(
    ("cores", "load", "worker"),
    [
        (1, 0.0, False),  # one CPU: never a worker
        (2, 0.0, True),
        (2, 1.0, True),  # 2 − 1.0 = 1 CPU idle over the last minute: the worker runs beside the reader
        (2, 1.01, False),  # 0.99 idle: the worker would take turns with the reader or the neighbours
        (2, 3.0, False),
        (8, 7.0, True),
        (8, 7.01, False),
        (2, None, True),  # no load average (Windows): two CPUs are enough
    ],
)
def test_a_worker_thread_only_where_a_cpu_is_idle_for_it(
    cores: int, load: float | None, worker: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    sink = sys.modules["claude_quote.plan.sink"]
    monkeypatch.setattr(sink, "_cores", lambda: cores)
    monkeypatch.setattr(sink, "_load", lambda: load)
    assert sink._worker_pays() is worker
