"""Parsing JSON and TOML that claude-quote did not write: every failure is an error naming its place.

The standard parsers raise more than their decode errors on hostile input, and accept values no
input means:

- nesting about 1,000 deep raises ``RecursionError`` (json and tomllib alike);
- an integer of more than 4,300 digits raises ``ValueError`` (Python's limit on ``int(str)``);
- bytes that are not UTF-8 raise ``UnicodeDecodeError``;
- json takes ``NaN``, ``Infinity`` and ``1e400`` (which overflows to infinity) as numbers.

:func:`loads_json` and :func:`loads_toml` turn each into the caller's error, with the file and the
line, so a reader never ends in a traceback and never carries a number that is not finite.

:func:`loads_json` reads with orjson first (about twice as fast as json on a request line) and keeps
its value only where it is json's: orjson refuses what json reads otherwise (a lone surrogate
``"\\ud800"``, NaN, a byte order mark, bytes that are not UTF-8) and reads an integer beyond 64 bits
as a float, and nests to 1,024 levels where json's limit depends on the stack; such a line, one with a
float of 2**63 or more in size, or one nested more than 64 deep, is read again by json, with json's
value or error. The value is json's in every case (``tests/property/test_json_fast_path.py``).

>>> loads_json(b'{"a": [1, 2]}')
{'a': [1, 2]}
>>> loads_json(b'{"total": NaN}', path="baseline.json")
Traceback (most recent call last):
...
claude_quote.errors.WorkloadError: baseline.json: not valid JSON (NaN is not a number: JSON has no NaN or Infinity)
>>> loads_json(b'[' * 5000, path="deep.json", line=3)
Traceback (most recent call last):
...
claude_quote.errors.WorkloadError: deep.json:3: not valid JSON (nested too deeply to read: more than about 1,000 levels): '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[…'
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any, Final

import orjson

from claude_quote.errors import ClaudeQuoteError, ConfigError, WorkloadError

__all__ = ["excerpt", "loads_json", "loads_json_fast", "loads_toml", "shown"]

_BOM = b"\xef\xbb\xbf"
_LONG_INTEGER = re.compile(r"[0-9]{4301,}")


class _NotANumber(ValueError):
    """Raised from the decoder's hooks: a number JSON input should never hold."""


def _constant(name: str) -> Any:
    raise _NotANumber(f"{name} is not a number: JSON has no NaN or Infinity")


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _NotANumber(f"the number {text[:40]} is too large")
    return value


_DECODER = json.JSONDecoder(parse_constant=_constant, parse_float=_float)

_FAST_LOADS: Final = orjson.loads
_PLAIN_DEPTH = 64
"""Containers nested deeper than this are read by json (whose depth limit depends on the stack)."""
_BIG = float(2**63)
"""orjson reads an integer beyond 64 bits as a float of at least this size: json reads such a line."""


def _plain(value: Any, depth: int = 1) -> bool:
    """Whether orjson's value of a container is json's: nested at most :data:`_PLAIN_DEPTH` deep, and
    no float of 2**63 or more in size (which may have been an integer beyond 64 bits)."""
    if depth > _PLAIN_DEPTH:
        return False
    for item in value.values() if type(value) is dict else value:
        kind = type(item)
        if kind is str:
            continue
        if kind is dict or kind is list:
            if not _plain(item, depth + 1):
                return False
        elif kind is float and not -_BIG < item < _BIG:
            return False
    return True


class _NotPlain(ValueError):
    """orjson's value may not be json's: :func:`loads_json_fast` leaves the line to json."""


def loads_json_fast(data: bytes | str) -> Any:
    """The parser :func:`loads_json` tries first (orjson), for a reader's fast path: the value json
    gives, or a ``ValueError`` without a message (not JSON, or anything json may read otherwise or
    refuse: see the module docs), after which the reader reads the line again with :func:`loads_json`.
    Whitespace around the value is allowed, as json allows it."""
    value = _FAST_LOADS(data)
    kind = type(value)
    if kind is dict or kind is list:
        if not _plain(value):
            raise _NotPlain
    elif kind is float and not -_BIG < value < _BIG:
        raise _NotPlain
    return value


def _line_of(text: str | bytes, position: int) -> int:
    return (text.count(b"\n", 0, position) if isinstance(text, bytes) else text.count("\n", 0, position)) + 1


def _decode(data: bytes | str) -> tuple[str | None, str, int | None]:
    """(text, problem, line): the UTF-8 text, or why it is none and on which line."""
    if isinstance(data, str):
        return data, "", None
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        return data.decode("utf-8"), "", None
    except UnicodeDecodeError as exc:
        byte = data[exc.start : exc.start + 1].hex()
        return None, f"not UTF-8 text (byte 0x{byte} at offset {exc.start:,})", _line_of(data, exc.start)


def excerpt(raw: bytes | str, limit: int = 80) -> str:
    """The start of a line, quoted, for an error message: ``'{"custom_id": "a", "par…'``."""
    text = raw[: limit * 4].decode("utf-8", "replace") if isinstance(raw, bytes) else raw[: limit * 4]
    text = text.strip()
    return repr(text if len(text) <= limit else text[:limit] + "…")


def shown(value: object, limit: int = 60) -> str:
    """A value read from JSON as a message quotes it: its JSON, cut to ``limit`` characters.

    >>> shown("12"), shown([1, 2]), shown(10**50), shown("x" * 100)[-8:]
    ('"12"', '[1, 2]', '100000000000000000000000000000000000000000000000000', 'xxxxxxx…')
    """
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def loads_json(data: bytes | str, *, path: str | None = None, line: int | None = None) -> Any:
    """Parse one JSON value: a line of JSONL (``line`` is its number) or a whole document.

    A line's error quotes the line's start; a whole document's error names the line where it broke.

    Raises:
        WorkloadError: naming ``path`` and the line: not UTF-8, not JSON, nested too deeply, an integer
            of more than 4,300 digits, or NaN / Infinity / a float that overflows.
    """
    try:
        return loads_json_fast(data)
    except ValueError:
        pass  # json decides: the value (a lone surrogate, a BOM, 2**64) or the error
    text, problem, at = _decode(data)
    if text is not None:
        try:
            return _DECODER.decode(text)
        except json.JSONDecodeError as exc:
            if line is None:
                problem, at = f"{exc.msg} at line {exc.lineno}, column {exc.colno}", exc.lineno
            else:
                problem = f"{exc.msg} at character {exc.pos + 1}"
        except _NotANumber as exc:
            problem = str(exc)
        except RecursionError:
            problem = "nested too deeply to read: more than about 1,000 levels"
        except ValueError:  # an integer of more than 4,300 digits (int() refuses to convert it)
            match = _LONG_INTEGER.search(text)
            problem = "an integer has more than 4,300 digits"
            at = _line_of(text, match.start()) if match else None
        problem = f"not valid JSON ({problem})"
        if line is not None:
            problem += f": {excerpt(text)}"
    where = line if line is not None else at
    raise WorkloadError(problem, path=path, line=where if path is not None else None)


def loads_toml(data: bytes, *, origin: str, error: type[ClaudeQuoteError] = ConfigError) -> dict[str, Any]:
    """Parse a TOML document, every number an exact ``Decimal``.

    Raises:
        ``error`` (ConfigError by default): ``origin: not valid TOML: ...`` with the line: not UTF-8,
            not TOML, nested too deeply, an integer of more than 4,300 digits, ``nan`` or ``inf``.
    """
    import tomllib  # here: the bundled price table loads from JSON, so `price` reads no TOML

    text, problem, at = _decode(data)
    if text is not None:
        try:
            document = tomllib.loads(text, parse_float=_toml_float)
        except tomllib.TOMLDecodeError as exc:
            problem = str(exc)
        except _NotANumber as exc:
            problem = str(exc)
        except RecursionError:
            problem = "nested too deeply to read: more than about 1,000 levels"
        except ValueError:  # an integer of more than 4,300 digits
            match = _LONG_INTEGER.search(text)
            problem = "an integer has more than 4,300 digits"
            at = _line_of(text, match.start()) if match else None
        else:
            return document
    if problem.startswith("not UTF-8"):
        raise error(f"{origin}: {problem}" + (f" on line {at}" if at else ""))
    suffix = f" (line {at})" if at is not None else ""
    raise error(f"{origin}: not valid TOML: {problem}{suffix}")


def _toml_float(text: str) -> Decimal:
    value = Decimal(text)
    if not value.is_finite():
        raise _NotANumber(f"{text} is not a number a claude-quote file may hold")
    return value
