"""The layout shows the design, and stays that way: imports flow one way, price rules live in one place.

Read from the source with ``ast``, not by importing: a lazy import inside a function counts too.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "src" / "claude_quote"


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> Iterator[tuple[str, list[str], int]]:
    """Every import in ``path``: (absolute module, names imported from it, line)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module(path) if path.name == "__init__.py" else _module(path).rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base, [a.name for a in node.names], node.lineno


MODULES = sorted(PACKAGE.rglob("*.py"))


def _under(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _violations(forbidden: str) -> list[str]:
    """Modules that import ``forbidden`` (or below it) without being under one of ``ALLOWED[forbidden]``."""
    found = []
    for path in MODULES:
        module = _module(path)
        if _under(module, *ALLOWED[forbidden]) or module in PACKAGE_ONLY.get(forbidden, ()):
            continue
        for imported, _, line in _imports(path):
            if _under(imported, forbidden):
                found.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    return found


# Who may import what. Everything not listed may not.
ALLOWED = {
    "typer": ("claude_quote.cli",),
    "click": ("claude_quote.cli",),
    "claude_quote.cli": ("claude_quote.cli", "claude_quote.__main__"),
    "rich": ("claude_quote.render", "claude_quote.terminal_progress", "claude_quote.cli"),
    # pandas reads tables and returns projections as DataFrames, lazily, nowhere else
    "pandas": (
        "claude_quote.workloads.tables",
        "claude_quote.projections.results",
        "claude_quote.render.plot",
    ),
    # the renderers sit on top: only the CLI reaches them
    "claude_quote.render": ("claude_quote.render", "claude_quote.cli"),
}
PACKAGE_ONLY = {"claude_quote.render": ("claude_quote",)}
"""Modules (not the packages below them) also allowed: the package's lazy ``render`` export."""


@pytest.mark.parametrize("forbidden", sorted(ALLOWED))
def test_imports_flow_one_way(forbidden: str) -> None:
    assert _violations(forbidden) == []


READERS = "claude_quote.workloads"
READERS_MAY_IMPORT = (
    "claude_quote.errors",
    "claude_quote.money",
    "claude_quote.parsing",
    "claude_quote.usage",
    "claude_quote.workloads",
)


def test_readers_only_read() -> None:
    """The readers never price: nothing of claude-quote beyond errors, money, parsing and usage."""
    bad = []
    for path in MODULES:
        if not _under(_module(path), READERS):
            continue
        for imported, _, line in _imports(path):
            if imported.startswith("claude_quote") and not _under(imported, *READERS_MAY_IMPORT):
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    assert bad == []


CORE = (
    "claude_quote.engine",
    "claude_quote.cost",
    "claude_quote.pricing",
    "claude_quote.usage",
    "claude_quote.money",
    "claude_quote.parsing",
)


def test_the_pricing_core_depends_on_nothing_above_it() -> None:
    bad = []
    for path in MODULES:
        if not _under(_module(path), *CORE):
            continue
        for imported, _, line in _imports(path):
            if imported.startswith("claude_quote") and not _under(imported, *CORE, "claude_quote.errors"):
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {imported}")
    assert bad == []


# The only code that knows a price rule: the engine (and the table's schema, which defines the data).
PRICE_RULES = {
    r"\babove_prompt_tokens\b": "a tier threshold",
    r"\.tiers\b": "the tiers of a price entry",
    r"\bbatch\.factor\b": "the batch factor",
    r"\bdata_residency\.multiplier\b": "the residency multiplier",
    r"\busd_per_thousand\b": "the web search fee",
    r"\b\w+_per_mtok\b": "a rate read from the table",
    r"\bPER_MTOK\b|\bPER_THOUSAND\b": "the amount formula's units",
}
RULE_OWNERS = ("claude_quote.engine", "claude_quote.pricing", "claude_quote.money")
# Reports that show the table itself (a model's rates and tiers), and the cross-check of the table.
SHOWS_THE_TABLE = ("claude_quote.catalog", "claude_quote.render.catalog", "claude_quote.render.quote")


@pytest.mark.parametrize("pattern", sorted(PRICE_RULES))
def test_price_rules_live_in_the_engine(pattern: str) -> None:
    bad = []
    for path in MODULES:
        module = _module(path)
        if _under(module, *RULE_OWNERS, *SHOWS_THE_TABLE):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#", 1)[0]
            if re.search(pattern, code) and not code.strip().startswith(('"', "'")):
                bad.append(f"{path.relative_to(ROOT)}:{number}: {PRICE_RULES[pattern]}: {line.strip()}")
    assert bad == []


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_private_name_is_imported_from_another_module() -> None:
    # A name that starts with "_" belongs to its module; another module that needs it makes it public.
    # A private module (cli/_common.py) is shared inside its own package only; _version is generated.
    bad = []
    for path in MODULES:
        module = _module(path)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for imported, names, line in _imports(path):
            where = f"{path.relative_to(ROOT)}:{line}"
            bad += [f"{where} imports {name} from {imported}" for name in names if _private(name)]
            parts = imported.split(".")
            hidden = [i for i, part in enumerate(parts) if _private(part) and part != "_version"]
            if hidden and not _under(module, ".".join(parts[: hidden[0]])):
                bad.append(f"{where} imports {imported}, private to {'.'.join(parts[: hidden[0]])}")
            elif hidden and ".".join(parts[: hidden[0]]) != package and imported.startswith("claude_quote"):
                bad.append(f"{where} imports {imported} from outside its package")
    assert bad == []
