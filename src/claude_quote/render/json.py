"""JSON output: money as exact decimal strings (never floats, never rounded), dates as ISO strings.

:func:`iter_json` writes a report in pieces, so a large one (a projection of 600,000 months) is never
whole in memory; the text is exactly what ``json.dumps(jsonable(document), indent=2,
ensure_ascii=False)`` writes. Rows of one shape can be given as :class:`JsonRows` (a key tuple and
value tuples), which are written without a dict per row.
"""

from __future__ import annotations

import json as _json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from operator import call
from typing import Any

from pydantic import BaseModel

from claude_quote.money import decimal_str

__all__ = ["SCHEMA_VERSION", "JsonRows", "iter_json", "jsonable", "to_json"]

SCHEMA_VERSION = 1
"""Version of the JSON report layout. Keys are only ever added within a version."""

_encode_str = _json.encoder.encode_basestring
"""How ``json.dumps(..., ensure_ascii=False)`` writes a string (the C encoder where there is one)."""


class JsonRows:
    """A JSON array of objects that all have ``keys``, given as one tuple of values per object.

    Values are as in any document (Decimal, date, str, int, bool, None, ...). ``rows`` is read once,
    when the array is written.
    """

    __slots__ = ("keys", "rows")

    def __init__(self, keys: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        self.keys = tuple(keys)
        self.rows = rows


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
    if isinstance(value, JsonRows):
        return [{k: jsonable(v) for k, v in zip(value.keys, row, strict=True)} for row in value.rows]
    if isinstance(value, Iterator):
        return [jsonable(v) for v in value]
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def to_json(document: dict[str, Any]) -> str:
    """Pretty JSON with a trailing newline."""
    return "".join(iter_json(document)) + "\n"


def iter_json(document: Any) -> Iterator[str]:
    """The text of ``document`` as ``json.dumps(jsonable(document), indent=2, ensure_ascii=False)``
    writes it, in pieces (no trailing newline)."""
    scalar = _scalar(document)
    if scalar is not None:
        yield scalar
    else:
        yield from _container(document, 0)


_INDENT = "  "


def _scalar(value: Any) -> str | None:
    """The text of a value that is not a container, or None for a container."""
    kind = type(value)
    if kind is str:
        return str(_encode_str(value))
    if kind is Decimal:
        return '"' + decimal_str(value) + '"'
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return str(_encode_str(str.__str__(value)))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _json.dumps(value)
    if isinstance(value, Decimal):
        return '"' + decimal_str(value) + '"'
    if isinstance(value, date):
        return str(_encode_str(value.isoformat()))
    return None


def _container(value: Any, level: int) -> Iterator[str]:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="python")
    if isinstance(value, dict):
        yield from _object(value, level)
    elif isinstance(value, list | tuple):
        yield from _array(iter(value), level)
    elif isinstance(value, JsonRows):
        yield from _rows(value, level)
    elif isinstance(value, Iterator):
        yield from _array(value, level)
    else:
        raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def _object(value: dict[Any, Any], level: int) -> Iterator[str]:
    if not value:
        yield "{}"
        return
    inner = "\n" + _INDENT * (level + 1)
    parts: list[str] = ["{"]
    first = True
    for key, item in value.items():
        parts.append(inner if first else "," + inner)
        first = False
        parts.append(str(_encode_str(str(key))) + ": ")
        scalar = _scalar(item)
        if scalar is not None:
            parts.append(scalar)
            continue
        yield "".join(parts)
        parts = []
        yield from _container(item, level + 1)
    parts.append("\n" + _INDENT * level + "}")
    yield "".join(parts)


def _array(items: Iterator[Any], level: int) -> Iterator[str]:
    inner = "\n" + _INDENT * (level + 1)
    parts: list[str] = []
    first = True
    for item in items:
        parts.append("[" + inner if first else "," + inner)
        first = False
        scalar = _scalar(item)
        if scalar is not None:
            parts.append(scalar)
            continue
        yield "".join(parts)
        parts = []
        yield from _container(item, level + 1)
    if first:
        yield "[]"
        return
    parts.append("\n" + _INDENT * level + "]")
    yield "".join(parts)


def _rows(rows: JsonRows, level: int) -> Iterator[str]:
    """Objects of one shape, in pieces of many rows. The first row's value types make a template
    (keys, quotes) and a writer per column (C functions where there are); a row whose types differ
    is written the general way."""
    if not rows.keys:
        yield from _array(({} for _ in rows.rows), level)
        return
    inner = "\n" + _INDENT * (level + 2)
    between = ",\n" + _INDENT * (level + 1)
    template = ""
    types: tuple[type, ...] | None = None
    writers: list[Callable[[Any], str]] = []
    general = "".join(
        ("{" if i == 0 else ",") + inner + str(_encode_str(key)).replace("%", "%%") + ": %s"
        for i, key in enumerate(rows.keys)
    ) + ("\n" + _INDENT * (level + 1) + "}")
    parts: list[str] = []
    for row in rows.rows:
        parts.append(between if parts else "[\n" + _INDENT * (level + 1))
        if types is None:
            types = tuple(map(type, row))
            template, writers = _template(rows.keys, types, inner, level)
        if tuple(map(type, row)) == types and template:
            parts.append(template % tuple(map(call, writers, row)))
        else:
            parts.append(general % tuple(["".join(_value(value, level + 2)) for value in row]))
        if len(parts) >= 1024:
            yield "".join(parts)
            parts = [""]
    if not parts:
        yield "[]"
        return
    parts.append("\n" + _INDENT * level + "]")
    yield "".join(parts)


def _template(
    keys: tuple[str, ...], types: tuple[type, ...], inner: str, level: int
) -> tuple[str, list[Callable[[Any], str]]]:
    """The row template and the column writers for rows of these value types ("" if there is a type
    with no writer of its own, or a key without a value)."""
    if len(keys) != len(types) or any(kind not in _WRITERS for kind in types):
        return "", []
    pieces = []
    for i, (key, kind) in enumerate(zip(keys, types, strict=True)):
        slot = '"%s"' if kind in (Decimal, date) else "%s"
        pieces.append(
            ("{" if i == 0 else ",") + inner + str(_encode_str(key)).replace("%", "%%") + ": " + slot
        )
    template = "".join(pieces) + "\n" + _INDENT * (level + 1) + "}"
    return template, [_WRITERS[kind] for kind in types]


def _value(value: Any, level: int) -> Iterator[str]:
    scalar = _scalar(value)
    if scalar is None:
        yield from _container(value, level)
    else:
        yield scalar


_WRITERS: dict[type, Callable[[Any], str]] = {
    str: _encode_str,
    Decimal: decimal_str,
    int: int.__repr__,
    bool: {True: "true", False: "false"}.__getitem__,
    date: date.isoformat,
    type(None): {None: "null"}.__getitem__,
}
"""How a value of exactly the type is written, in a row of values of exactly the types seen first
(a Decimal's and a date's quotes are in the row's template)."""
