"""The installed command in a real pseudo-terminal (tmux), as a person sees it: nothing cropped.

These are the commands issue #14 saw cut short at 80, 100 and 120 columns. Each runs through the
console script inside a detached tmux session of a fixed size (its own server socket, killed after),
and the screen is read back with ``capture-pane``. Skipped when tmux is not installed.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import pytest
from rich.cells import cell_len

from tests.conftest import ROOT, console_script
from tests.test_render_widths import REPORTS, _pick, _shows

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"),
]

EX = ROOT / "examples"
CASES = [
    (f"reconcile {EX}/batch-results.jsonl --at 2026-11-25", 80, "reconcile"),
    (f"reconcile {EX}/batch-results.jsonl --at 2026-11-25", 120, "reconcile"),
    (f"estimate {EX}/batch-requests.jsonl --output-tokens 60 --no-progress --at 2026-11-25", 80, None),
    (
        "project sonnet-4.6 --input 2k --output 500 --requests 1000 --per day --growth 5 --months 3 --start 2026-12",
        100,
        None,
    ),
    (
        f"calibrate {EX}/batch-requests-support.jsonl {EX}/batch-results-support.jsonl --at 2026-11-25",
        100,
        "calibrate",
    ),
]
DONE = "__claude_quote_done__"


def _screen(command: str, width: int, tmp_path: Path) -> str:
    """What the terminal shows after ``claude-quote COMMAND`` in a ``width``-column tmux window."""
    socket = f"claude-quote-test-{os.getpid()}-{width}-{abs(hash(command))}"
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "CI", "TMUX")}
    env["TERM"] = "xterm-256color"
    shell = f"cd {shlex.quote(str(tmp_path))} && {shlex.quote(console_script())} {command}; echo {DONE} $?; sleep 60"
    tmux = ["tmux", "-L", socket, "-f", os.devnull]
    subprocess.run([*tmux, "new-session", "-d", "-x", str(width), "-y", "50", shell], check=True, env=env)
    try:
        screen = ""
        for _ in range(
            600
        ):  # waits for the command to finish (at most about a minute); no timing is asserted
            screen = subprocess.run(
                [*tmux, "capture-pane", "-p", "-S", "-", "-E", "-"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            if DONE in screen:
                break
            time.sleep(0.1)
        assert DONE in screen, f"`claude-quote {command}` did not finish in tmux:\n{screen}"
        return screen[: screen.index(DONE)]
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True, check=False)


@pytest.mark.parametrize(("command", "width", "report"), CASES)
def test_nothing_is_cropped_in_a_real_terminal(
    command: str, width: int, report: str | None, tmp_path: Path
) -> None:
    screen = _screen(command, width, tmp_path)
    data = json.loads(
        subprocess.run(
            [console_script(), *shlex.split(command), "--format", "json"],
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp_path,
        ).stdout
    )
    assert all(cell_len(line) <= width for line in screen.splitlines())
    fields = REPORTS[report][1] if report else []
    if report is None and data["kind"] == "estimate":
        # The case: at 80 columns the model column vanished and $0.000653 showed as $0.0006.
        fields = ["by_model[*].model:id", "by_model[*].realtime.total:usd", "by_model[*].batch.total:usd"]
    if report is None and data["kind"] == "projection":
        # The case: at 100 columns the month column vanished.
        fields = ["months[*].month:id", "months[*].realtime_cost:usd", "months[*].cumulative_savings:usd"]
    missing = [
        f"{path} = {value!r}"
        for field in fields
        for path, _, kind in [field.partition(":")]
        for value in _pick(data, path)
        if value is not None and not _shows(screen, kind, value)
    ]
    assert not missing, f"at {width} columns the terminal lost:\n" + "\n".join(missing) + "\n\n" + screen
    if data["kind"] == "estimate":  # claude-haiku-4-5's real-time cost (under a cent), whole
        haiku = next(m for m in data["by_model"] if m["model"].startswith("claude-haiku"))
        assert Decimal(haiku["realtime"]["total"]) < Decimal("0.01")
        assert _shows(screen, "usd", haiku["realtime"]["total"])


@pytest.mark.parametrize("width", [80, 120])
def test_warnings_on_stderr_fold_at_the_terminal_width(width: int, tmp_path: Path) -> None:
    # With --format json the warnings go to stderr. In a pipe they are one line each; on a terminal
    # they fold at spaces as a table folds them, so the terminal never splits a word or a number at
    # its edge (at 80 columns "the minimum of 30" used to show as "minimum of 3" / "0").
    arguments = f"calibrate {EX}/batch-requests-support.jsonl {EX}/batch-results-support.jsonl --at 2026-11-25 --format json"
    piped = subprocess.run(
        [console_script(), *shlex.split(arguments)], capture_output=True, text=True, check=True, cwd=tmp_path
    ).stderr
    screen = _screen(f"{arguments} > /dev/null", width, tmp_path)
    assert piped.count("warning: ") == 4 == len(piped.splitlines())  # a pipe: one line each
    assert screen.split() == piped.split()  # every word and number whole, in order
    assert all(cell_len(line) <= width for line in screen.splitlines())
    if width == 80:  # the longest warning is 104 characters: folded, its folds indented by 2
        assert "\n  " in screen
