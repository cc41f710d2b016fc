"""The progress bar shows only on a terminal outside CI."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest

from claude_quote import terminal_progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_wanted_only_on_a_terminal_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert terminal_progress.wanted() is False  # a pipe or a file
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert terminal_progress.wanted() is True
    monkeypatch.setenv("CI", "true")
    assert terminal_progress.wanted() is False


def test_disabled_bar_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with terminal_progress.progress_bar(100, enabled=False) as advance:
        advance(50)
    assert terminal.getvalue() == ""


class _Clock:
    """A clock the test moves by hand (no timed assertions)."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class _Shown:
    def __init__(self, total: int, done: int, label: str) -> None:
        self.updates = [done]
        self.closed = False

    def update(self, done: int) -> None:
        self.updates.append(done)

    def close(self) -> None:
        self.closed = True


def _bar(total: int) -> tuple[terminal_progress.Bar, _Clock, list[_Shown]]:
    clock, shown = _Clock(), []

    def show(total: int, done: int, label: str) -> _Shown:
        shown.append(_Shown(total, done, label))
        return shown[-1]

    return terminal_progress.Bar(total, "reading", clock=clock, show=show), clock, shown


def test_no_bar_before_the_delay() -> None:
    bar, clock, shown = _bar(1000)
    clock.now += terminal_progress.DELAY - 0.01  # just under half a second: not yet
    bar.advance(10)
    assert shown == []
    clock.now += 0.01  # exactly the delay, 1% done: 49.5 s to go by this pace
    bar.advance(0)
    assert len(shown) == 1
    assert shown[0].updates[-1] == 10
    bar.close()
    assert shown[0].closed


def test_a_job_nearly_done_never_flashes_a_bar() -> None:
    # 1 s elapsed, 2/3 done: 0.5 s to go at this pace, the least worth a bar -> shown
    bar, clock, shown = _bar(300)
    clock.now += 1.0
    bar.update(200)
    assert len(shown) == 1
    # 1 s elapsed, 201/300 done: 0.4925 s to go -> not shown
    bar, clock, shown = _bar(300)
    clock.now += 1.0
    bar.update(201)
    assert shown == []
    # a small file read whole in one step (the 1.2 kB file that flashed a bar): never shown
    bar, clock, shown = _bar(1200)
    clock.now += 5.0
    bar.advance(1200)
    assert shown == []


def test_offsets_of_open_files(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_bytes(b"x" * 1000)
    info = path.stat()
    key = (info.st_dev, info.st_ino)
    with path.open("rb", buffering=0) as handle:
        handle.read(300)
        assert terminal_progress.read_offsets({key: 1000}) == {key: 300}
        with path.open("rb", buffering=0) as second:  # read twice at once (plan): the furthest counts
            second.read(700)
            assert terminal_progress.read_offsets({key: 1000}) == {key: 700}
    assert terminal_progress.read_offsets({key: 1000}) == {}  # closed


def test_watcher_counts_a_closed_file_as_read(tmp_path: Path) -> None:
    first, second = tmp_path / "requests.jsonl", tmp_path / "results.jsonl"
    first.write_bytes(b"r" * 400)
    second.write_bytes(b"s" * 600)
    watcher = terminal_progress._Watcher([first, second, tmp_path / "missing.jsonl"])
    assert watcher.total == 1000
    assert watcher.done() == 0  # nothing opened yet
    with first.open("rb", buffering=0) as handle:
        handle.read(100)
        assert watcher.done() == 100
    with second.open("rb", buffering=0) as handle:
        handle.read(250)
        assert watcher.done() == 400 + 250  # the first was read and closed: read whole


def test_watching_shows_nothing_off_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"x" * 10)
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    with terminal_progress.watching([path], enabled=True, label="reading"):
        pass
    assert pipe.getvalue() == ""


def test_the_bar_follows_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    # on a terminal, with NO_COLOR set: the bar draws (cursor moves) but writes no colour
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    bar = terminal_progress._RichBar(1000, 0, "reading")
    bar.update(500)
    bar.progress.refresh()
    bar.close()
    written = terminal.getvalue()
    assert "reading" in written
    assert not re.search(r"\x1b\[[0-9;]*3[0-9](;[0-9]+)*m", written), "a foreground colour was written"
    monkeypatch.delenv("NO_COLOR")
    coloured = _Terminal()
    monkeypatch.setattr(sys, "stderr", coloured)
    bar = terminal_progress._RichBar(1000, 0, "reading")
    bar.update(500)
    bar.progress.refresh()
    bar.close()
    assert re.search(r"\x1b\[[0-9;]*3[0-9](;[0-9]+)*m", coloured.getvalue()), "the check sees colour"
