"""JSON output: money as exact decimal strings (never floats, never rounded), dates as ISO strings."""

from __future__ import annotations

import json as _json
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from claude_quote.money import decimal_str

__all__ = ["SCHEMA_VERSION", "jsonable", "to_json"]

SCHEMA_VERSION = 1
"""Version of the JSON report layout. Keys are only ever added within a version."""


def jsonable(value: Any) -> Any:
    """Turn Decimals, dates, tuples and pydantic models into JSON-ready values."""
    if isinstance(value, BaseModel):
        return jsonable(value.model_dump(mode="python"))
    if isinstance(value, Decimal):
        return decimal_str(value)
    if isinstance(value, bool | int | str | float) or value is None:
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def to_json(document: dict[str, Any]) -> str:
    """Pretty JSON with a trailing newline."""
    return _json.dumps(jsonable(document), indent=2, ensure_ascii=False) + "\n"
