"""Shared fixtures: an isolated environment, the CLI runner, the bundled table, a fixed quote date."""

from __future__ import annotations

import os
import shlex
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from claude_quote.cli import app
from claude_quote.pricing import PriceTable, load_pricing

ROOT = Path(__file__).resolve().parents[1]
"""The repository root (tests read docs/, pricing/ and examples/ from here)."""

DAY = date(2026, 11, 25)
"""The date tests quote at, so results do not drift with the calendar."""


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the user's custom pricing, CI variables or a real terminal."""
    for name in list(os.environ):
        if name.startswith(("CLAUDE_QUOTE_", "GITHUB_")) or name in ("ANTHROPIC_API_KEY", "CI"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "240")


@pytest.fixture(scope="session")
def table() -> PriceTable:
    """The bundled price table."""
    return load_pricing()


def run_cli(args: list[str] | str, *, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    """Invoke the CLI in-process. ``args`` may be a shell-style string."""
    argv = shlex.split(args) if isinstance(args, str) else args
    return CliRunner().invoke(app, argv, input=input, env=env, catch_exceptions=False)


def console_script() -> str:
    """Path of the installed ``claude-quote`` script next to this interpreter."""
    script = Path(sys.executable).parent / "claude-quote"
    assert script.exists(), f"claude-quote is not installed next to {sys.executable}"
    return str(script)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fuzz-examples",
        type=int,
        default=None,
        metavar="N",
        help="Examples per fuzz test (tests/fuzz); default $CLAUDE_QUOTE_FUZZ_EXAMPLES or a few dozen.",
    )


def pytest_configure(config: pytest.Config) -> None:
    from hypothesis import settings

    from tests.fuzz.harness import set_examples

    set_examples(config.getoption("--fuzz-examples"))
    # No time limit per example: hypothesis's deadline is a timed assertion, and on a shared machine
    # the first example of a test (which may load the tokenizer) can take a second.
    settings.register_profile("claude-quote", deadline=None)
    settings.load_profile("claude-quote")
