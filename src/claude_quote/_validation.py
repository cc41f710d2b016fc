"""Turning pydantic validation errors into messages that name the file and the key."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

__all__ = ["location", "problems"]


def problems(exc: ValidationError, raw: Any, *, prefix: str = "", label: str = "name") -> list[str]:
    """One ``key.path: message (got value)`` line per problem.

    An error inside an item also makes pydantic complain about its container; only the precise one is
    kept. Unknown keys say so instead of pydantic's "Extra inputs are not permitted".
    """
    errors = exc.errors(include_url=False)
    locs = [tuple(e["loc"]) for e in errors]
    precise = [e for e in errors if not any(o != e["loc"] and o[: len(e["loc"])] == e["loc"] for o in locs)]
    out = []
    for error in precise:
        where = prefix + location(error["loc"], raw, label=label)
        message = error["msg"].removeprefix("Value error, ")
        value = error.get("input")
        quiet = error["type"] in ("missing", "extra_forbidden") or isinstance(value, dict | list)
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        out.append(f"{where}: {message}" + ("" if quiet or repr(value) in message else f" (got {value!r})"))
    return out


def location(loc: tuple[int | str, ...], raw: Any, *, label: str = "name") -> str:
    """``('workloads', 1, 'requests')`` → ``workloads[1] (nightly).requests``, naming items by ``label``."""
    parts: list[str] = []
    node: Any = raw
    for key in loc:
        if isinstance(key, int):
            node = node[key] if isinstance(node, list) and key < len(node) else None
            text = f"[{key}]"
            if isinstance(node, dict) and isinstance(node.get(label), str):
                text += f" ({node[label]})"
            if parts:
                parts[-1] += text
            else:
                parts.append(text)
        elif not key.startswith("function-"):
            node = node.get(key) if isinstance(node, dict) else None
            parts.append(key)
    return ".".join(parts) or "(file)"
