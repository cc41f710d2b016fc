"""Generate ``pricing/schema.json`` from the pydantic models.

    python -m claude_quote.pricing.schema            # rewrite pricing/schema.json
    python -m claude_quote.pricing.schema --check    # exit 1 if it is stale

A test runs the check, so a schema change that is not regenerated fails CI. Field descriptions come
from the attribute docstrings in :mod:`claude_quote.pricing.model`, read here rather than at import.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from claude_quote.pricing import model as schema_models
from claude_quote.pricing.model import PriceTable

__all__ = ["main", "schema_text"]


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


def _describe(schema: dict[str, Any]) -> None:
    """Copy every model's class and attribute docstrings into its JSON Schema definition."""
    models = {
        name: cls
        for name, cls in vars(schema_models).items()
        if isinstance(cls, type) and issubclass(cls, BaseModel) and cls.__module__ == schema_models.__name__
    }
    definitions = {**schema.get("$defs", {}), PriceTable.__name__: schema}
    for name, definition in definitions.items():
        cls = models.get(name)
        if cls is None:
            continue
        docs: dict[str, str] = {}
        for klass in reversed(cls.__mro__):
            if issubclass(klass, BaseModel) and klass.__module__ == schema_models.__name__:
                docs.update(_attribute_docstrings(klass))
        if cls.__doc__:
            definition["description"] = inspect.cleandoc(cls.__doc__)
        for field, prop in definition.get("properties", {}).items():
            if field in docs:
                prop["description"] = docs[field]


def schema_text() -> str:
    """The JSON Schema of a price table file, as committed."""
    schema: dict[str, Any] = PriceTable.model_json_schema(mode="validation")
    _describe(schema)
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/claude-quote/claude-quote/pricing/schema.json",
        **schema,
    }
    schema["properties"]["extends"] = {
        "const": "builtin",
        "description": "Custom tables only: start from the bundled table; models replace or add by id.",
    }
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check``, verify) ``pricing/schema.json`` in the source tree."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(__file__).resolve().parents[3] / "pricing" / "schema.json"
    text = schema_text()
    if "--check" in args:
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            print(f"{target} is stale: run `python -m claude_quote.pricing.schema`", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
