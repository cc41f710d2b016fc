"""Every example in the docs runs: ``console`` blocks through the CLI, ``>>>`` lines as doctests.

A ``console`` block holds ``$ claude-quote ...`` commands each followed by the exact output expected
(stdout, then stderr). A final ``[exit N]`` line asserts a non-zero exit code. Output that holds a
Markdown fence (a Mermaid chart) goes in a block fenced with four backticks.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re
import shlex
from pathlib import Path

import pytest

import claude_quote
from tests.conftest import ROOT, run_cli

DOCS = sorted([*ROOT.glob("docs/*.md"), ROOT / "README.md"])
_SHA256 = re.compile(r"\b[0-9a-f]{64}\b")
_BLOCK = re.compile(r"^(`{3,})console\n(.*?)^\1$", re.MULTILINE | re.DOTALL)
"""A console block; fenced with more backticks (````console) when its output holds a ``` fence."""


def _console_examples() -> list[tuple[str, str, str, int]]:
    examples = []
    for page in DOCS:
        for _, block in _BLOCK.findall(page.read_text(encoding="utf-8")):
            command: str | None = None
            expected: list[str] = []
            for line in [*block.splitlines(), "$ END"]:
                if line.startswith("$ "):
                    if command is not None:
                        examples.append(_example(page, command, expected))
                    command, expected = line[2:], []
                else:
                    expected.append(line)
    return examples


def _example(page: Path, command: str, expected: list[str]) -> tuple[str, str, str, int]:
    code = 0
    if expected and (m := re.fullmatch(r"\[exit (\d+)\]", expected[-1])):
        code, expected = int(m[1]), expected[:-1]
    return (page.name, command, "\n".join(expected).strip("\n"), code)


@pytest.mark.parametrize(("page", "command", "expected", "code"), _console_examples())
def test_console_example(page: str, command: str, expected: str, code: int) -> None:
    argv = shlex.split(command)
    assert argv[0] == "claude-quote", f"{page}: examples must start with claude-quote: {command}"
    if "|" in argv or ">" in argv:
        pytest.fail(f"{page}: console examples cannot use pipes or redirection: {command}")
    result = run_cli(argv[1:])
    got = "\n".join(line.rstrip() for line in (result.stdout + result.stderr).splitlines()).strip("\n")
    # The table's sha256 changes with every data edit; examples show it, tests don't pin it.
    got, expected = _SHA256.sub("<sha256>", got), _SHA256.sub("<sha256>", expected)
    assert result.exit_code == code, f"{page}: `{command}` exited {result.exit_code}:\n{got}"
    assert got == expected, f"{page}: output of `{command}` changed"


def test_docs_have_console_examples() -> None:
    assert len(_console_examples()) >= 3


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.name)
def test_python_examples(page: Path) -> None:
    result = doctest.testfile(
        str(page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        raise_on_error=False,
        verbose=False,
    )
    assert result.failed == 0, f"{page.name}: {result.failed} doctest example(s) failed (run pytest -rA)"


def _modules() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(claude_quote.__path__, "claude_quote.")]
    return ["claude_quote", *sorted(n for n in names if "__main__" not in n)]


@pytest.mark.parametrize("name", _modules())
def test_module_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
