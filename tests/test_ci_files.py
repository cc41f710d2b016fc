"""The GitHub Action, the pre-commit hook and the documented workflow: parsed, and the action's check
step run for real with bash, the way a runner would."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, console_script

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())


def _step(name: str) -> dict[str, Any]:
    steps: list[dict[str, Any]] = ACTION["runs"]["steps"]
    return next(s for s in steps if s["name"] == name)


def test_action_shape() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert set(ACTION["inputs"]) == {"config", "baseline", "working-directory", "python", "fail-on-budget"}
    assert set(ACTION["outputs"]) == {"exit-code", "report", "comment"}
    assert all(step["shell"] == "bash" for step in ACTION["runs"]["steps"])


def _run_check_step(project: Path, tmp: Path, **inputs: str) -> tuple[int, dict[str, str]]:
    """Run the action's check step as the runner would: inputs substituted, bash -e, a PATH with claude-quote."""
    step = _step("Check Claude spend")
    values = {"config": "", "baseline": "", "fail-on-budget": "true", **inputs}
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    for key, value in step["env"].items():
        env[key] = re.sub(r"\$\{\{ inputs\.([a-z-]+) \}\}", lambda m: values[m[1]], value)
    outputs = tmp / "github_output"
    outputs.write_text("")
    env |= {
        "RUNNER_TEMP": str(tmp),
        "GITHUB_OUTPUT": str(outputs),
        "PATH": f"{Path(console_script()).parent}{os.pathsep}{env.get('PATH', '')}",
    }
    script = step["run"].replace("claude-quote check ", "claude-quote check --at 2026-11-25 ", 1)
    proc = subprocess.run(
        ["bash", "-e", "-c", script], cwd=project, env=env, capture_output=True, text=True, check=False
    )
    found = dict(line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
    return proc.returncode, found


@pytest.fixture
def project(tmp_path: Path) -> Path:
    work = tmp_path / "repo"
    work.mkdir()
    shutil.copy(ROOT / "examples" / "claude-quote.toml", work / "claude-quote.toml")
    shutil.copy(ROOT / "examples" / "batch-requests.jsonl", work)
    return work


@pytest.mark.slow
def test_action_check_step_within_budget(project: Path, tmp_path: Path) -> None:
    code, outputs = _run_check_step(project, tmp_path)
    assert code == 0
    assert outputs["exit-code"] == "0"
    assert Path(outputs["comment"]).read_text().startswith("<!-- claude-quote check -->\n")
    assert '"kind": "check"' in Path(outputs["report"]).read_text()


@pytest.mark.slow
def test_action_check_step_over_budget(project: Path, tmp_path: Path) -> None:
    config = project / "claude-quote.toml"
    config.write_text(config.read_text().replace("requests = 1500", "requests = 1700"))
    code, outputs = _run_check_step(project, tmp_path)
    assert (code, outputs["exit-code"]) == (1, "1")
    code, outputs = _run_check_step(project, tmp_path, **{"fail-on-budget": "false"})
    assert (code, outputs["exit-code"]) == (0, "1")  # the workflow fails later, after commenting


@pytest.mark.slow
def test_action_uses_a_baseline_and_fails_on_config_errors(project: Path, tmp_path: Path) -> None:
    code, base = _run_check_step(project, tmp_path)
    assert code == 0
    config = project / "claude-quote.toml"
    config.write_text(config.read_text().replace("requests = 1500", "requests = 1600"))
    code, outputs = _run_check_step(project, tmp_path, baseline=base["report"])
    assert code == 0
    assert outputs["report"] != base["report"]  # each use keeps its own files
    assert "+$37.44/month (+6.58%)" in Path(outputs["comment"]).read_text()
    config.write_text(config.read_text().replace('per = "day"', 'per = "daily"'))
    code, outputs = _run_check_step(project, tmp_path, **{"fail-on-budget": "false"})
    assert (code, outputs["exit-code"]) == (2, "2")


def test_pre_commit_hook() -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "claude-quote-check"
    assert hook["entry"].startswith("claude-quote check")
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    pattern = re.compile(hook["files"])
    assert pattern.search("claude-quote.toml")
    assert pattern.search("sub/pyproject.toml")
    assert pattern.search("data/requests.jsonl")
    assert not pattern.search("src/app.py")


def test_documented_workflow() -> None:
    page = (ROOT / "docs" / "ci.md").read_text()
    blocks = re.findall(r"^```yaml\n(.*?)^```", page, re.MULTILINE | re.DOTALL)
    workflow = yaml.safe_load(next(b for b in blocks if "jobs:" in b))
    steps = workflow["jobs"]["claude-quote"]["steps"]
    uses = [s for s in steps if str(s.get("uses", "")).startswith("claude-quote/claude-quote@")]
    assert [s["with"].get("working-directory") for s in uses] == [".claude-quote-base", None]
    for step in uses:
        assert set(step["with"]) <= set(ACTION["inputs"])
    comment = next(s for s in steps if s["name"].startswith("Post or update"))
    assert "<!-- claude-quote check -->" in comment["run"]
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}


def test_documented_shell_commands_use_real_flags() -> None:
    page = (ROOT / "docs" / "ci.md").read_text()
    from typer.testing import CliRunner

    from claude_quote.cli import app

    help_text = CliRunner().invoke(app, ["check", "--help"]).stdout
    for flag in sorted(set(re.findall(r"claude-quote check[^\n]*", page))):
        for option in re.findall(r"(--[a-z-]+)", flag):
            assert option in help_text, (option, flag)
