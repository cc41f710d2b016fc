"""Ctrl-C stops every worker process (issue 15): the installed command, counting a 60 MB file with
``--jobs 2``, gets SIGINT on its process group (as a terminal sends it) or on itself alone, exits 130
without a traceback, and leaves no worker behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import console_script

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "requests.jsonl"
    text = " ".join(f"word{i % 97}" for i in range(400))
    with path.open("w") as out:
        for i in range(120_000):  # about 2 s of counting on two workers: Ctrl-C comes first
            params = {
                "model": "claude-sonnet-4-6",
                "max_tokens": 100,
                "messages": [{"role": "user", "content": text}],
            }
            out.write(json.dumps({"custom_id": f"r-{i}", "params": params}) + "\n")
    assert path.stat().st_size > 60 << 20  # above the 24 MiB threshold: worker processes
    return path


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(entry.name))
    return found


def _workers(pid: int) -> set[int]:
    """The worker processes of ``pid``: spawned (``spawn_main`` in their command line) or forked (its
    own command line), not multiprocessing's resource tracker."""
    out: set[int] = set()
    try:
        own = (Path("/proc") / str(pid) / "cmdline").read_bytes()
    except OSError:
        return out
    for child in _children(pid):
        try:
            command = (Path("/proc") / str(child) / "cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command or command == own:
            out.add(child)
    return out


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("wait", [0.5, 0.0], ids=["counting", "starting"])
@pytest.mark.parametrize("group", [True, False], ids=["process group", "parent only"])
def test_ctrl_c_stops_the_workers(big: Path, group: bool, wait: float) -> None:
    """Ctrl-C while the workers count, or as soon as they exist (they are still importing: a worker
    interrupted there used to print a KeyboardInterrupt traceback; now it starts with SIGINT held
    back until it ignores it)."""
    process = subprocess.Popen(
        [console_script(), "estimate", str(big), "--jobs", "2", "--format", "json", "--at", "2026-11-25"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        workers: set[int] = set()
        while time.monotonic() < deadline and len(workers) < 2:
            assert process.poll() is None, process.communicate()
            workers = _workers(process.pid)
            time.sleep(0.05)
        assert len(workers) == 2
        time.sleep(wait)
        if group:
            os.killpg(process.pid, signal.SIGINT)
        else:
            os.kill(process.pid, signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130
    assert out == b""
    assert b"Traceback" not in err, err.decode()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers)
