"""Functions stay short: at most 40 lines of body (the style guide's limit), in every module.

A function's length is its body after the docstring: from its first statement to the end of its last,
blank lines and comments between them included (what a reader scrolls through). Read from the source
with ``ast``. ``SPLIT`` holds the paths checked (``""``: the whole package); a long function is split by
what each part handles (one function per section of a report, per step of a command). ``KEPT`` lists
the few hot loops left long on purpose, each with its reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "src" / "claude_quote"
LIMIT = 40
SPLIT = ("",)
"""Paths under ``src/claude_quote`` whose every function fits ``LIMIT`` (a folder ends in ``/``; ``""``
is every module)."""
KEPT = {
    "workloads/results.py": {
        "_pass": "the results reader's fast path, once per result line (benchmarks/bench_reconcile.py, "
        "at its floor): the sums are added inline, a helper would be a call per line",
    },
    "projections/engine.py": {
        "_batch_months": "the per-month loop of a projection with the Batch API (benchmarks/"
        "bench_projection.py): a helper for its cache-hit or blend arithmetic would add a call per month",
    },
}
"""Functions in ``SPLIT`` modules left over ``LIMIT`` on purpose, each with the reason (a hot loop)."""


def body_lines(function: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines from the first statement after the docstring to the end of the last statement."""
    body = function.body
    first = body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        body = body[1:]
    if not body:
        return 0
    end = body[-1].end_lineno
    assert end is not None
    return end - body[0].lineno + 1


def too_long(source: str, name: str, limit: int = LIMIT) -> list[str]:
    """``name:line function() is N lines`` for every function (methods and nested ones too) over ``limit``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (n := body_lines(node)) > limit:
            found.append(f"{name}:{node.lineno} {node.name}() is {n} lines")
    return found


def _split_modules() -> list[Path]:
    paths = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if any(relative == s or ((s == "" or s.endswith("/")) and relative.startswith(s)) for s in SPLIT):
            paths.append(path)
    return paths


def test_split_modules_have_no_function_over_the_limit() -> None:
    modules = _split_modules()
    assert len(modules) > 100  # every module of the package
    found = [
        line
        for path in modules
        for line in too_long(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
        if line.split(" ")[1].removesuffix("()") not in KEPT.get(path.relative_to(PACKAGE).as_posix(), {})
    ]
    assert not found, f"over {LIMIT} lines (split by what each part handles):\n" + "\n".join(found)


def test_the_functions_kept_long_are_still_long() -> None:
    # An exception that no longer applies goes: the function fits now, or was renamed.
    for module, functions in KEPT.items():
        path = PACKAGE / module
        assert path in _split_modules(), module
        over = {
            line.split(" ")[1].removesuffix("()")
            for line in too_long(path.read_text(encoding="utf-8"), module)
        }
        assert set(functions) <= over, (module, set(functions) - over)


def _function(statements: int, *, docstring: bool = True, indent: str = "") -> str:
    lines = [f"{indent}def f():"]
    if docstring:
        lines += [f'{indent}    """A docstring', f"{indent}    on two lines (not counted)."]
        lines[-1] += '"""'
    lines += [f"{indent}    x = {i}" for i in range(statements)]
    return "\n".join(lines) + "\n"


def test_the_limit_counts_the_body_after_the_docstring() -> None:
    assert too_long(_function(40), "m.py") == []
    assert too_long(_function(41), "m.py") == ["m.py:1 f() is 41 lines"]
    assert too_long(_function(41, docstring=False), "m.py") == ["m.py:1 f() is 41 lines"]
    # Blank lines and comments between statements count: they are in the body a reader scrolls.
    padded = "def g():\n    a = 1\n\n    # why\n    b = 2\n"
    assert too_long(padded, "m.py", limit=3) == ["m.py:1 g() is 4 lines"]
    assert too_long(padded, "m.py", limit=4) == []


def test_methods_and_nested_functions_are_measured_too() -> None:
    method = "class C:\n" + _function(41, indent="    ")
    assert too_long(method, "m.py") == ["m.py:2 f() is 41 lines"]
    nested = "def outer():\n" + _function(41, indent="    ")
    # The nested function is over the limit, and so is the function around it (its body holds it).
    assert too_long(nested, "m.py") == ["m.py:1 outer() is 44 lines", "m.py:2 f() is 41 lines"]
