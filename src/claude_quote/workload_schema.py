"""Generate ``examples/workloads.schema.json``, the JSON Schema of workload spec files.

    python -m claude_quote.workload_schema            # rewrite examples/workloads.schema.json
    python -m claude_quote.workload_schema --check    # exit 1 if it is stale

A test compares the committed file with :func:`schema_text`, so a change to
:class:`~claude_quote.workload_spec.WorkloadSpec` that is not regenerated fails CI. Editors that read
``#:schema`` comments (taplo, Even Better TOML) validate and complete spec files with it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .workload_spec import WorkloadSpec

__all__ = ["main", "schema_text"]


def schema_text() -> str:
    """The JSON Schema of a workload spec file, as published."""
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/claude-quote/claude-quote/examples/workloads.schema.json",
        **WorkloadSpec.model_json_schema(mode="validation"),
    }
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or with ``--check``, verify) the published schema."""
    args = sys.argv[1:] if argv is None else list(argv)
    target = Path(__file__).resolve().parents[2] / "examples" / "workloads.schema.json"
    text = schema_text()
    if "--check" in args:
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            print(f"{target} is stale: run `python -m claude_quote.workload_schema`", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
