"""Warnings are never lost (issue #14): below the table; on stderr when stdout carries JSON, CSV or
Markdown (and still in the JSON); ``--quiet``/``-q`` silences them; exit codes do not change."""

from __future__ import annotations

import functools
import importlib
import json
import shlex
from typing import Any

import pytest

from tests.conftest import ROOT, run_cli

EX = ROOT / "examples"

COMMANDS: dict[str, tuple[str, tuple[str, ...]]] = {
    # name: (command, the formats it offers besides table)
    "price": ("price opus-4.6 --input 1M --fast --at 2026-11-25", ("json", "csv", "markdown")),
    "models": ("models sonnet-4.6 --at 2026-11-25", ("json", "csv", "markdown")),
    "estimate": (f"estimate {EX}/batch-requests.jsonl --at 2026-11-25", ("json", "csv", "markdown")),
    "project": (
        "project sonnet-4.6 --input 2k --output 500 --requests 1000 --start 2026-12 --months 4",
        ("json", "csv", "markdown"),
    ),
    "reconcile": (f"reconcile {EX}/batch-results.jsonl --at 2026-11-25", ("json", "csv", "markdown")),
    "reconcile --usage-report": (
        f"reconcile --usage-report {EX}/usage-report.json --cost-report {EX}/cost-report.json",
        ("json", "csv", "markdown"),
    ),
    "calibrate": (
        f"calibrate {EX}/batch-requests-support.jsonl {EX}/batch-results-support.jsonl --at 2026-11-25",
        ("json", "csv", "markdown"),
    ),
    "plan": (f"plan {EX}/batch-requests-problems.jsonl --at 2026-11-25", ("json", "csv", "markdown")),
    "check": (f"check --config {EX}/claude-quote.toml --at 2026-11-25", ("json", "markdown", "github")),
}

PLAN_WARNING = "tokenizer data: skipped a test file; used another"


@pytest.fixture(autouse=True)
def _plan_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    """``plan`` warns only when its tokenizer data is unusual; give it a warning to carry."""
    module = importlib.import_module("claude_quote.plan")
    original = module.plan

    def plan(*args: Any, **kwargs: Any) -> Any:
        return original(*args, **kwargs).model_copy(update={"warnings": (PLAN_WARNING,)})

    monkeypatch.setattr(module, "plan", plan)


def _run(command: str, *extra: str) -> Any:
    return run_cli([*shlex.split(command), *extra])


@functools.cache
def _json_text(command: str) -> str:
    return str(_run(command, "--format", "json").stdout)


def _warnings(command: str) -> list[str]:
    data = json.loads(_json_text(command))
    found: list[str] = data["warnings"]
    if data["kind"] == "check":  # the workloads' own warnings are listed with each workload
        found += [w for workload in data["workloads"] for w in workload["warnings"]]
    return found


@pytest.mark.parametrize("name", list(COMMANDS))
def test_table_shows_warnings_below_it_and_stderr_stays_empty(name: str) -> None:
    command, _ = COMMANDS[name]
    expected = _warnings(command)
    assert expected, f"{name}: the example must warn"
    result = _run(command)
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith("warning: ")] == [f"warning: {w}" for w in expected]
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("name", "fmt"), [(name, fmt) for name, (_, formats) in COMMANDS.items() for fmt in formats]
)
def test_machine_formats_copy_warnings_to_stderr(name: str, fmt: str) -> None:
    command, _ = COMMANDS[name]
    expected = _warnings(command)
    table = _run(command)
    result = _run(command, "--format", fmt)
    assert result.exit_code == table.exit_code  # the format never changes the exit code
    assert result.stderr.splitlines() == [f"warning: {w}" for w in expected]
    if fmt == "csv":
        assert not any(w in result.stdout for w in expected)
    if fmt == "json":
        listed = json.loads(result.stdout)["warnings"]
        assert listed == expected[: len(listed)]  # check lists its workloads' warnings with each workload
    if fmt in ("markdown", "github"):  # a report for others to read keeps them
        assert all("> **Warning:** " + w.replace("|", "\\|") in result.stdout for w in expected)


@pytest.mark.parametrize("flag", ["--quiet", "-q"])
@pytest.mark.parametrize("name", list(COMMANDS))
def test_quiet_silences_warnings_in_every_format(name: str, flag: str) -> None:
    command, formats = COMMANDS[name]
    loud = _run(command)
    quiet = _run(command, flag)
    assert quiet.exit_code == loud.exit_code
    assert "warning:" not in quiet.stdout
    assert quiet.stderr == ""
    # Only the warning lines go: the rest of the table is the same.
    kept = "\n".join(line for line in loud.stdout.splitlines() if not line.startswith("warning: "))
    assert quiet.stdout.rstrip("\n") == kept.rstrip("\n")
    for fmt in formats:
        result = _run(command, "--format", fmt, flag)
        assert result.exit_code == loud.exit_code
        assert result.stderr == "", f"{name} --format {fmt} {flag}"
    data = json.loads(_run(command, "--format", "json", flag).stdout)
    assert data["warnings"] or data["kind"] == "check"  # the JSON document keeps them (data, not noise)


def test_check_github_actions_annotations_follow_quiet(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    command, _ = COMMANDS["check"]
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    loud = run_cli([*shlex.split(command), "--format", "markdown"], env=env)
    quiet = run_cli([*shlex.split(command), "--format", "markdown", "-q"], env=env)
    assert "title=claude-quote::max_increase limits were not checked" in loud.stdout
    assert "::warning" not in quiet.stdout
    # Under Actions the warnings are annotations, not also stderr lines.
    assert loud.stderr == quiet.stderr == ""


def test_check_written_to_a_file_still_warns_on_stderr(tmp_path: Any) -> None:
    command, _ = COMMANDS["check"]
    report = tmp_path / "report.txt"
    result = _run(command, "-o", str(report))
    assert result.stdout == ""
    assert "warning: max_increase limits were not checked" in report.read_text(encoding="utf-8")
    assert result.stderr.splitlines() == [f"warning: {w}" for w in _warnings(command)]
