"""Generate ``pricing/schema.json`` from the pydantic models.

    python -m claude_quote.pricing.schema            # rewrite pricing/schema.json
    python -m claude_quote.pricing.schema --check    # exit 1 if it is stale

A test runs the check, so a schema change that is not regenerated fails CI.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .model import PriceTable

__all__ = ["main", "schema_text"]


def schema_text() -> str:
    """The JSON Schema of a price table file, as committed."""
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/claude-quote/claude-quote/pricing/schema.json",
        **PriceTable.model_json_schema(mode="validation"),
    }
    props = schema.setdefault("properties", {})
    props["extends"] = {
        "const": "builtin",
        "description": "Custom tables only: start from the bundled table; models replace or add by id.",
    }
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
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
