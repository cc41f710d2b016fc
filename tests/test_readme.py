"""The README opens with the two set-up commands, and .ci/run runs exactly the test one."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def _first_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```bash\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    commands = []
    for block in blocks[:2]:
        commands += [ln for ln in block.splitlines() if ln.strip() and not ln.startswith("#")]
    return commands


def test_readme_starts_with_quote_then_tests() -> None:
    quote_cmd, test_cmd = _first_commands()
    assert "pip install ." in quote_cmd
    assert "claude-quote price" in quote_cmd
    assert "pytest" in test_cmd


def test_ci_runs_the_readme_test_command() -> None:
    _, test_cmd = _first_commands()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_cmd in ci.splitlines(), ".ci/run must run the README's test command verbatim"
