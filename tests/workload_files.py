"""Helpers that write small workload files for the estimate tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def words(n: int) -> str:
    """Text of exactly ``n`` cl100k_base tokens: ``hello`` then `` hello`` × (n - 1)."""
    return "hello" + " hello" * (n - 1)


def request(
    text: str | list[dict[str, Any]] = "hello",
    *,
    model: str = "claude-sonnet-4-6",
    max_tokens: int = 100,
    custom_id: str = "req-1",
    **params: Any,
) -> dict[str, Any]:
    """A Message Batches request line."""
    body: dict[str, Any] = {
        "model": model,
        "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": text}],
    }
    body.update(params)
    return {"custom_id": custom_id, "params": body}


def write_jsonl(path: Path, lines: Sequence[dict[str, Any] | str]) -> Path:
    """Write JSONL (dicts are dumped; strings are written as they are)."""
    with path.open("w", encoding="utf-8") as out:
        for line in lines:
            out.write((line if isinstance(line, str) else json.dumps(line)) + "\n")
    return path
