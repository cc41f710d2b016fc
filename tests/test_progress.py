"""The progress bar shows only on a terminal outside CI."""

from __future__ import annotations

import io
import sys

import pytest

from claude_quote import _progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_wanted_only_on_a_terminal_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert _progress.wanted() is False  # a pipe or a file
    monkeypatch.setattr(sys, "stderr", _Terminal())
    assert _progress.wanted() is True
    monkeypatch.setenv("CI", "true")
    assert _progress.wanted() is False


def test_disabled_bar_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with _progress.progress_bar(100, enabled=False) as advance:
        advance(50)
    assert terminal.getvalue() == ""
