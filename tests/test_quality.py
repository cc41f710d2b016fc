"""Lint and type checks are part of the test run: ruff, ruff format, mypy --strict, the schema."""

from __future__ import annotations

import subprocess
import sys

import pytest

from claude_quote.pricing.schema import schema_text
from tests.conftest import ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


@pytest.mark.slow
def test_ruff_check() -> None:
    proc = _run("ruff", "check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_ruff_format() -> None:
    proc = _run("ruff", "format", "--check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_mypy_strict() -> None:
    proc = _run("mypy")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_pricing_schema_is_current() -> None:
    committed = (ROOT / "pricing" / "schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), (
        "pricing/schema.json is stale: run `python -m claude_quote.pricing.schema`"
    )
