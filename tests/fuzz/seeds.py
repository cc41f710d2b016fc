"""The valid inputs the fuzz tests break: files of ``examples/`` and ``tests/data/``, parsed once."""

from __future__ import annotations

import functools
import json
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

EXAMPLES = ROOT / "examples"
DATA = ROOT / "tests" / "data"


def jsonl(path: Path) -> list[Any]:
    """The JSON values of a JSONL file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@functools.cache
def requests() -> list[Any]:
    """Four batch requests (two models)."""
    return jsonl(EXAMPLES / "batch-requests.jsonl")


@functools.cache
def support_requests() -> list[Any]:
    return jsonl(EXAMPLES / "batch-requests-support.jsonl")


@functools.cache
def support_results() -> list[Any]:
    return jsonl(EXAMPLES / "batch-results-support.jsonl")


@functools.cache
def results() -> list[Any]:
    """Nine result lines: succeeded, errored, canceled, expired."""
    return jsonl(EXAMPLES / "batch-results.jsonl")


@functools.cache
def usage_report() -> Any:
    return json.loads((EXAMPLES / "usage-report.json").read_text(encoding="utf-8"))


@functools.cache
def cost_report() -> Any:
    return json.loads((EXAMPLES / "cost-report.json").read_text(encoding="utf-8"))


def toml(name: str) -> dict[str, Any]:
    """An example TOML file, numbers as exact decimals."""
    return tomllib.loads((EXAMPLES / name).read_text(encoding="utf-8"), parse_float=Decimal)


def raw(name: str) -> bytes:
    """An example file's bytes."""
    return (EXAMPLES / name).read_bytes()
