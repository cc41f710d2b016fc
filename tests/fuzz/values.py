"""Strategies for breaking inputs: nasty values, tree mutations of JSON and TOML documents, byte mutations.

A document is parsed from a valid example, mutated as a tree (:func:`mutated_tree`), and written back
(:func:`dump_json`, :func:`dump_toml`). A :class:`Raw` leaf is written verbatim, so the document can hold
what no serializer writes: an integer of 5,000 digits, ``NaN``, an array nested 1,000 deep.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

__all__ = [
    "JSON_VALUES",
    "NASTY_JSON",
    "NASTY_TOML",
    "Raw",
    "byte_mutations",
    "dump_json",
    "dump_jsonl",
    "dump_toml",
    "mutated_tree",
    "paths",
]


@dataclass(frozen=True)
class Raw:
    """A value written verbatim into JSON or TOML text."""

    text: str


DEEP = 1_000
"""Nesting depth of the deep values (Python's recursion limit is 1,000)."""

NASTY_SCALARS: list[Any] = [
    0,
    -1,
    1,
    2**63,
    10**20,
    10**200,
    1.5,
    -0.0,
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "1e999999",
    "NaN",
    "Infinity",
    "2.5k",
    "9" * 80,
    "x" * 5_000,
    "9999-06",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59+14:00",
    "2026-13-45",
    "\x00",
    "\u202e",
    "é",
    "\ud800",  # a lone surrogate (json.dumps writes it as an escape)
    "claude-sonnet-4-6",
    "sonnet",
    "batch",
    "us",
    "fast",
    "global",
    "succeeded",
    True,
    False,
    None,
    [],
    {},
    [None],
    {"": None},
]
"""Values every serializer can write."""

RAW_JSON: list[Any] = [
    Raw("9" * 5_000),  # over Python's 4,300-digit limit for int()
    Raw("-" + "9" * 4_000),
    Raw("1e400"),  # a float that overflows to inf
    Raw("-1e-400"),
    Raw("NaN"),
    Raw("Infinity"),
    Raw("-Infinity"),
    Raw("1" + "0" * 4_000 + ".5"),
    Raw("[" * DEEP + "]" * DEEP),
    Raw('{"a":' * DEEP + "1" + "}" * DEEP),
    Raw('"\\udfff"'),
    Raw('"\\ud800\\udc00"'),
]
"""Values only text can hold: written verbatim."""

NASTY_JSON: list[Any] = [*NASTY_SCALARS, *RAW_JSON, *RAW_JSON]
"""The values a JSON input is broken with (the verbatim ones twice as likely)."""

RAW_TOML: list[Any] = [
    Decimal("0.1"),
    Decimal("1E+100"),
    Decimal("-1E-100"),
    dt.date(9999, 12, 31),
    dt.date(1, 1, 1),
    Raw("9" * 5_000),
    Raw("nan"),
    Raw("inf"),
    Raw("-inf"),
    Raw("1e400"),
    Raw("[" * DEEP + "]" * DEEP),
    Raw("{a = " * 400 + "1" + "}" * 400),
    Raw('"\\uD800"'),
    Raw("0x7fffffffffffffffffff"),
    Raw("1979-05-27T07:32:00Z"),
]

NASTY_TOML: list[Any] = [
    *(v for v in NASTY_SCALARS if v is not None and v != {"": None} and v != [None]),
    *RAW_TOML,
    *RAW_TOML,
]
"""The values a TOML input is broken with (the verbatim ones twice as likely)."""

Path = tuple[Any, ...]


def paths(tree: Any, prefix: Path = ()) -> list[Path]:
    """Every node of ``tree``, the root first: a tuple of keys and indexes from the root."""
    found = [prefix]
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += paths(value, (*prefix, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += paths(value, (*prefix, index))
    return found


def _get(tree: Any, path: Path) -> Any:
    for key in path:
        tree = tree[key]
    return tree


def _set(tree: Any, path: Path, value: Any) -> Any:
    if not path:
        return value
    _get(tree, path[:-1])[path[-1]] = value
    return tree


def _delete(tree: Any, path: Path) -> Any:
    if not path:
        return tree
    del _get(tree, path[:-1])[path[-1]]
    return tree


def _copy(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {k: _copy(v) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_copy(v) for v in tree]
    return tree


JSON_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
"""Any JSON value (hypothesis-generated): what a field may hold instead of what it should."""


@st.composite
def mutated_tree(
    draw: st.DrawFn, tree: Any, nasty: list[Any], *, keys: list[str] | None = None, generated: bool = True
) -> Any:
    """``tree`` with one to three mutations: a node replaced by a nasty value, any JSON value
    (``generated``) or another node, deleted, wrapped in a list, or a key added."""
    tree = _copy(tree)
    values = st.sampled_from(nasty) | JSON_VALUES if generated else st.sampled_from(nasty)
    extra_keys = [*(keys or []), "", "x", "requests", "usage", "model", "extends", "data", "results"]
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths(tree)))
        operation = draw(st.sampled_from(["replace", "replace", "replace", "delete", "wrap", "add", "copy"]))
        if (
            operation == "replace"
        ):  # a copy: the nasty values are shared, and later mutations must not change them
            tree = _set(tree, path, _copy(draw(values)))
        elif operation == "delete":
            tree = _delete(tree, path)
        elif operation == "wrap":
            tree = _set(tree, path, [_get(tree, path)])
        elif operation == "copy":
            other = draw(st.sampled_from(paths(tree)))
            tree = _set(tree, path, _copy(_get(tree, other)))
        else:
            node = _get(tree, path)
            if isinstance(node, dict):
                node[draw(st.sampled_from(extra_keys))] = _copy(draw(values))
            elif isinstance(node, list):
                node.append(_copy(draw(values)))
    return tree


def dump_json(value: Any) -> str:
    """JSON text of ``value``, :class:`Raw` leaves verbatim (NaN as JSON's ``NaN`` extension)."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {dump_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(dump_json(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return json.dumps(value.isoformat())
    return json.dumps(value)


def dump_jsonl(values: list[Any]) -> str:
    """One line of JSON per value."""
    return "".join(dump_json(v) + "\n" for v in values)


_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key: object) -> str:
    text = str(key)
    return text if _BARE.match(text) else json.dumps(text)


def _toml_value(value: Any) -> str:
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value) if value == value else "nan"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value if v is not None) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items() if v is not None)
        return "{" + items + "}"
    raise TypeError(type(value))


def dump_toml(document: Any) -> str:
    """TOML text of ``document`` (top-level keys, nested values as inline tables and arrays)."""
    if not isinstance(document, dict):
        return f"value = {_toml_value(document)}\n"
    return "".join(f"{_toml_key(k)} = {_toml_value(v)}\n" for k, v in document.items() if v is not None)


_INSERTS = [
    b"\xff",
    b"\x00",
    b"\n",
    b"\r",
    b"{",
    b"}",
    b'"',
    b",",
    b"\\",
    b"\\u0000",
    b"\\ud800",
    b"\xef\xbb\xbf",
    b"\xed\xa0\x80",  # a UTF-8-encoded surrogate: not valid UTF-8
    b"9" * 30,
    b"\t",
    b"#",
    b"=",
    b"[",
    b"]",
]


@st.composite
def byte_mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` with one to four byte-level changes: inserted, flipped, deleted, cut, lines repeated."""
    for _ in range(draw(st.integers(1, 4))):
        size = len(data)
        at = draw(st.integers(0, size))
        operation = draw(st.sampled_from(["insert", "flip", "delete", "truncate", "repeat_line", "swap"]))
        if operation == "insert":
            data = data[:at] + draw(st.sampled_from(_INSERTS)) + data[at:]
        elif operation == "flip" and size:
            at = min(at, size - 1)
            data = data[:at] + bytes([data[at] ^ (1 << draw(st.integers(0, 7)))]) + data[at + 1 :]
        elif operation == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 40)) :]
        elif operation == "truncate":
            data = data[:at]
        else:
            lines = data.splitlines(keepends=True)
            if lines:
                i = draw(st.integers(0, len(lines) - 1))
                j = draw(st.integers(0, len(lines) - 1))
                if operation == "repeat_line":
                    lines.insert(j, lines[i])
                else:
                    lines[i], lines[j] = lines[j], lines[i]
                data = b"".join(lines)
    return data


def maybe_gzip(data: bytes, compress: bool) -> bytes:
    """``data`` gzip-compressed when ``compress``."""
    return gzip.compress(data, mtime=0) if compress else data


Mutator = Callable[[bytes], bytes]
