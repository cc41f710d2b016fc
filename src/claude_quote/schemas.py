"""The published JSON Schemas, generated from the pydantic models.

    python -m claude_quote.schemas            # rewrite every schema file in the source tree
    python -m claude_quote.schemas --check    # exit 1 naming the stale ones

A test runs the check, so a model change that is not regenerated fails CI. Field descriptions are the
attribute docstrings of the models, read here (not at import, where it would slow every start-up).
"""

from __future__ import annotations

import ast
import inspect
import itertools
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

__all__ = [
    "SCHEMAS",
    "config_schema",
    "main",
    "pricing_schema",
    "schema_text",
    "token_data_schema",
    "workload_spec_schema",
]

_BASE = "https://github.com/claude-quote/claude-quote/"


def _attribute_docstrings(cls: type) -> dict[str, str]:
    """``{field: docstring}`` for fields followed by a string literal in the class body."""
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body if isinstance(tree.body[0], ast.ClassDef) else []
    found: dict[str, str] = {}
    for node, following in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            found[node.target.id] = inspect.cleandoc(following.value.value)
    return found


def _describe(root: type[BaseModel], schema: dict[str, Any], also: Sequence[str] = ()) -> None:
    """Copy class and attribute docstrings of the models of ``root``'s module (and of the modules
    ``also`` names, whose models it nests) into its JSON Schema definitions."""
    models: dict[str, type[BaseModel]] = {}
    for module in (sys.modules[root.__module__], *(sys.modules[name] for name in also)):
        for name, cls in vars(module).items():
            if isinstance(cls, type) and issubclass(cls, BaseModel) and cls.__module__ == module.__name__:
                models.setdefault(name, cls)
    definitions = {**schema.get("$defs", {}), root.__name__: schema}
    for name, definition in definitions.items():
        cls = models.get(name)
        if cls is None:
            continue
        docs: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            if issubclass(klass, BaseModel) and klass.__module__ == cls.__module__:
                docs.update(_attribute_docstrings(klass))
        if cls.__doc__:
            definition["description"] = inspect.cleandoc(cls.__doc__)
        for field, prop in definition.get("properties", {}).items():
            if field in docs:
                prop["description"] = docs[field]


def schema_text(
    root: type[BaseModel], path: str, extra: dict[str, Any] | None = None, also: Sequence[str] = ()
) -> str:
    """The JSON Schema of ``root`` as published at ``path``; ``also``: other modules whose models it
    nests, described too."""
    schema: dict[str, Any] = root.model_json_schema(mode="validation")
    _describe(root, schema, also)
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": _BASE + path, **schema}
    if extra:
        schema["properties"].update(extra)
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def pricing_schema() -> str:
    """``pricing/schema.json``: price table files."""
    from claude_quote.pricing.model import PriceTable

    extends = {
        "extends": {
            "const": "builtin",
            "description": "Custom tables only: start from the bundled table; models replace or add by id.",
        }
    }
    return schema_text(PriceTable, "pricing/schema.json", extends)


def token_data_schema() -> str:
    """``pricing/tokens.schema.json``: the token data file (how tiktoken counts become Claude counts)."""
    from claude_quote.tokens.data import TokenData

    return schema_text(TokenData, "pricing/tokens.schema.json")


def workload_spec_schema() -> str:
    """``examples/workloads.schema.json``: workload spec files of ``claude-quote project --spec``."""
    from claude_quote.workload_spec import WorkloadSpec

    return schema_text(WorkloadSpec, "examples/workloads.schema.json")


def config_schema() -> str:
    """``docs/config.schema.json``: ``claude-quote.toml`` / ``[tool.claude-quote]`` of ``check``."""
    from claude_quote.config import Config

    return schema_text(Config, "docs/config.schema.json", also=["claude_quote.workload_spec"])


SCHEMAS: dict[str, Callable[[], str]] = {
    "pricing/schema.json": pricing_schema,
    "pricing/tokens.schema.json": token_data_schema,
    "examples/workloads.schema.json": workload_spec_schema,
    "docs/config.schema.json": config_schema,
}
"""Each published schema: its path in the source tree and what generates it."""


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or with ``--check``, verify) every schema in the source tree."""
    args = sys.argv[1:] if argv is None else list(argv)
    root = Path(__file__).resolve().parents[2]
    stale = []
    for relative, make in SCHEMAS.items():
        target, text = root / relative, make()
        if "--check" in args:
            if not target.is_file() or target.read_text(encoding="utf-8") != text:
                stale.append(relative)
        else:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target}")
    if stale:
        print(f"stale: {', '.join(stale)}; run `python -m claude_quote.schemas`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
