"""Start-up: each command imports what it uses and nothing else (speed itself is measured in
benchmarks/bench_startup.py, never asserted). Each check runs the console entry point in a fresh
interpreter and lists the modules it imported."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from claude_quote.cli._common import PRICING_ENV_VAR
from claude_quote.pricing import ENV_VAR
from tests.conftest import ROOT

_MODULES = """
import sys
from claude_quote.cli import main
sys.argv = ["claude-quote", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
finally:
    import json
    print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def imported(*args: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", _MODULES, *args], capture_output=True, text=True, check=False, cwd=ROOT
    )
    modules: list[str] = json.loads(proc.stderr.strip().splitlines()[-1])
    return set(modules)


def test_the_env_var_of_the_pricing_option_is_the_tables() -> None:
    assert PRICING_ENV_VAR == ENV_VAR


@pytest.mark.slow
def test_help_builds_no_model() -> None:
    # Listing the commands needs typer only: no pydantic, no price table, no command's library.
    modules = imported("--help")
    assert "pydantic" not in modules
    assert (
        not {m for m in modules if m.startswith("claude_quote.")}
        - {
            "claude_quote._version",
            "claude_quote.errors",
        }
        - {m for m in modules if m.startswith("claude_quote.cli")}
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "unused"),
    [
        (
            "price sonnet-4.6 --input 1M --output 1M --format json",
            [
                "claude_quote.estimate",
                "claude_quote.reconcile",
                "claude_quote.projections",
                "claude_quote.render.text",
                "tomllib",  # the bundled table loads from its validated JSON
            ],
        ),
        (
            "reconcile examples/batch-results.jsonl --at 2026-11-25 --format json",
            ["claude_quote.reconcile.org", "claude_quote.workloads.admin_exports", "claude_quote.estimate"],
        ),
        (
            "project sonnet-4.6 --input 2k --output 500 --requests 1000 --format json",
            ["claude_quote.projections.comparison", "claude_quote.estimate", "claude_quote.reconcile"],
        ),
        (
            "models --format json",
            ["claude_quote.estimate", "claude_quote.projections", "claude_quote.cli.price"],
        ),
        (
            # Counting one small file: no sampling, no pieces for worker processes, no process pool,
            # no tiktoken (a small input is counted by tokens/bpe.py), no TOML parser (the token data
            # loads from its validated JSON).
            "estimate examples/batch-requests.jsonl --at 2026-11-25 --format json",
            [
                "tiktoken",
                "tomllib",
                "claude_quote.estimate.sampling",
                "claude_quote.estimate.sample_parts",
                "claude_quote.estimate.partial",
                "claude_quote.estimate.per_request",
                "concurrent.futures.process",
                "multiprocessing",
                "claude_quote.projections",
            ],
        ),
        (
            # A month is 30.4375 days without the projections package.
            "check --config examples/claude-quote.toml --at 2026-11-25 --format json",
            [
                "tiktoken",
                "claude_quote.projections",
                "claude_quote.estimate.sampling",
                "claude_quote.estimate.partial",
                "concurrent.futures.process",
                "multiprocessing",
            ],
        ),
        (
            # A small batch is joined in memory (no SQLite database); its JSON and warnings need no
            # document types.
            "calibrate examples/batch-requests-support.jsonl examples/batch-results-support.jsonl "
            "--at 2026-11-25 --format json",
            [
                "tiktoken",
                "claude_quote.estimate.sampling",
                "claude_quote.estimate.partial",
                "concurrent.futures.process",
                "multiprocessing",
                "claude_quote.projections",
                "sqlite3",
                "claude_quote.render.document",
                "claude_quote.render.calibrate_document",
            ],
        ),
        (
            # plan counts tokens with the estimate package's pipeline, not its estimator.
            "plan examples/batch-requests.jsonl --at 2026-11-25 --format json",
            [
                "claude_quote.estimate.estimator",
                "claude_quote.estimate.sampling",
                "concurrent.futures.process",
            ],
        ),
    ],
)
def test_a_command_imports_only_what_it_uses(args: str, unused: list[str]) -> None:
    modules = imported(*args.split())
    assert f"claude_quote.cli.{args.split()[0]}" in modules  # it ran
    assert sorted(m for m in unused if m in modules) == []


@pytest.mark.slow
def test_a_large_input_loads_tiktoken(tmp_path: Path) -> None:
    """The lists above are taken after counting a small input; past SMALL_INPUT_CHARS tiktoken counts."""
    from claude_quote.estimate.pipeline import SMALL_INPUT_CHARS

    text = "word " * (SMALL_INPUT_CHARS // 5) + "x" * (SMALL_INPUT_CHARS % 5 + 1)  # one past the limit
    body = {"model": "claude-sonnet-4-6", "max_tokens": 10, "messages": [{"role": "user", "content": text}]}
    path = tmp_path / "large.jsonl"
    path.write_text(json.dumps({"custom_id": "a", "params": body}) + "\n", encoding="utf-8")
    assert "tiktoken" in imported("estimate", str(path), "--at", "2026-11-25", "--format", "json")
    assert len(text) == SMALL_INPUT_CHARS + 1
    # and one character less is counted without it
    path.write_text(
        json.dumps(
            {"custom_id": "a", "params": {**body, "messages": [{"role": "user", "content": text[:-1]}]}}
        )
        + "\n",
        encoding="utf-8",
    )
    assert "tiktoken" not in imported("estimate", str(path), "--at", "2026-11-25", "--format", "json")


def _models() -> list[type[BaseModel]]:
    """Every pydantic model of claude_quote (each module imported)."""
    import claude_quote

    for info in pkgutil.walk_packages(claude_quote.__path__, "claude_quote."):
        if not info.name.endswith(".__main__"):  # that one runs the command line
            importlib.import_module(info.name)
    found: list[type[BaseModel]] = []
    pending: list[type[BaseModel]] = [BaseModel]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if sub.__module__.startswith("claude_quote."):
                found.append(sub)
    return found


def test_no_model_is_built_or_reads_its_source_at_import() -> None:
    """A model's validator is built when it is first used (``defer_build``): a command pays only for
    the models it validates. Attribute docstrings are read by ``claude_quote.schemas`` when it writes
    the JSON Schemas, never at import (``use_attribute_docstrings`` parses the module's source: 20-45 ms
    a module)."""
    models = _models()
    assert len(models) > 40  # the walk found them (a broken walk would pass vacuously)
    assert sorted(m.__qualname__ for m in models if not m.model_config.get("defer_build")) == []
    assert sorted(m.__qualname__ for m in models if m.model_config.get("use_attribute_docstrings")) == []


@pytest.mark.slow
def test_the_check_can_fail() -> None:
    """The import lists above are real: a comparison does import what a projection leaves out."""
    compare = "project sonnet-4.6 --input 2k --output 500 --requests 1000 --compare opus,haiku"
    modules = imported(*compare.split())
    assert "claude_quote.projections.comparison" in modules


@pytest.mark.slow
def test_calibrate_as_a_table_imports_the_document() -> None:
    """What calibrate's JSON leaves out is what its table uses."""
    args = (
        "calibrate examples/batch-requests-support.jsonl examples/batch-results-support.jsonl --at 2026-11-25"
    )
    modules = imported(*args.split())
    assert {"claude_quote.render.document", "claude_quote.render.calibrate_document"} <= modules
