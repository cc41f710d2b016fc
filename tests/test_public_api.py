"""The public API is exactly what ``__all__`` declares, every name resolves and is documented."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import claude_quote
from tests.conftest import ROOT


def test_all_is_sorted_unique_and_listed_by_dir() -> None:
    assert claude_quote.__all__ == sorted(set(claude_quote.__all__))
    assert dir(claude_quote) == claude_quote.__all__


def test_every_public_name_resolves_and_has_a_docstring() -> None:
    for name in claude_quote.__all__:
        value = getattr(claude_quote, name)
        if name != "__version__":
            assert value.__doc__, name


def test_no_undeclared_public_names() -> None:
    for name in claude_quote.__all__:
        getattr(claude_quote, name)  # resolve the lazy names
    public = sorted(
        name
        for name, value in vars(claude_quote).items()
        if not name.startswith("_") and not isinstance(value, type(importlib))
    )
    assert sorted(set(claude_quote.__all__) - {"__version__"}) == public


def test_functions_are_not_shadowed_by_their_modules() -> None:
    importlib.import_module("claude_quote.cost")
    importlib.import_module("claude_quote.render")
    assert callable(claude_quote.cost)
    assert callable(claude_quote.render)


def test_version_is_set() -> None:
    assert claude_quote.__version__.count(".") == 2


def test_importing_the_cli_loads_no_heavy_modules() -> None:
    code = (
        "import sys, claude_quote.cli; "
        "print(sorted(m for m in ('pandas', 'tiktoken', 'rich', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_declared_name_says_where_it_lives() -> None:
    from claude_quote import _WHERE

    assert sorted([*_WHERE, "__version__"]) == claude_quote.__all__


def test_importing_a_submodule_keeps_the_function_of_the_same_name() -> None:
    for name in ("cost", "render", "estimate"):
        importlib.import_module(f"claude_quote.{name}")
        assert callable(getattr(claude_quote, name)), name
        assert not isinstance(getattr(claude_quote, name), type(importlib)), name


def test_every_builtin_report_type_has_renderers() -> None:
    from claude_quote.render import _BUILTIN

    for name, (module, to_json, to_doc, *to_warnings) in _BUILTIN.items():
        owner, _, cls = name.rpartition(".")
        assert hasattr(importlib.import_module(owner), cls), name
        builders = importlib.import_module(f"claude_quote.render.{module}")
        assert callable(getattr(builders, to_json)), name
        assert callable(getattr(builders, to_doc)), name
        for warnings in to_warnings:  # optional: the document's warnings without the document
            assert callable(getattr(builders, warnings)), name


@pytest.mark.slow
def test_a_downstream_program_type_checks_without_any(tmp_path: Path) -> None:
    """py.typed is shipped and the public API has no ``Any`` in what a user touches (mypy --strict
    --disallow-any-expr, outside the project's own mypy settings and plugins)."""
    import claude_quote as package

    assert (Path(package.__file__).parent / "py.typed").is_file()
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--disallow-any-expr",
            "--disallow-any-explicit",
            "--no-incremental",
            "--config-file",
            str(config),
            str(ROOT / "tests" / "data" / "downstream.py"),
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
