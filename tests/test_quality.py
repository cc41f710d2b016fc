"""Lint and type checks are part of the test run: ruff, ruff format, mypy --strict, the schema."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from claude_quote.schemas import SCHEMAS
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


@pytest.mark.parametrize("relative", sorted(SCHEMAS))
def test_published_schemas_are_current(relative: str) -> None:
    committed = (ROOT / relative).read_text(encoding="utf-8")
    assert committed == SCHEMAS[relative](), f"{relative} is stale: run `python -m claude_quote.schemas`"


@pytest.mark.parametrize("relative", sorted(SCHEMAS))
def test_every_schema_key_is_described(relative: str) -> None:
    schema = json.loads(SCHEMAS[relative]())
    definitions = [schema, *schema.get("$defs", {}).values()]
    missing = [
        f"{d.get('title')}.{key}"
        for d in definitions
        for key, prop in d.get("properties", {}).items()
        if not prop.get("description")
    ]
    assert missing == []
