"""``loads_json`` reads with orjson first: its value and its errors are json's, whatever the input.

The reference is the same function with the fast path refused (every input then goes to json, as
before orjson was added): the value's ``repr`` (types, key order, ``-0.0``) or the error's message
must be the same.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_quote import parsing
from claude_quote.errors import WorkloadError
from claude_quote.parsing import loads_json

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _refuse(data: bytes | str) -> Any:
    raise orjson.JSONDecodeError("refused", "", 0)


@contextmanager
def _json_only() -> Iterator[None]:
    with mock.patch.object(parsing, "_FAST_LOADS", _refuse):
        yield


def _outcome(data: bytes | str, *, line: int | None) -> str:
    try:
        return "value " + repr(loads_json(data, path="f.jsonl", line=line))
    except WorkloadError as exc:
        return "error " + str(exc)


def assert_as_json_reads(data: bytes | str) -> None:
    for line in (None, 3):
        fast = _outcome(data, line=line)
        with _json_only():
            reference = _outcome(data, line=line)
        assert fast == reference, data[:200]


# Every value json.dumps can write: integers of any size (to 4,300 digits), finite floats, text with
# any code point (lone surrogates included), nested lists and objects with repeated keys.
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**20, 10**4_299])
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([-0.0, 5e-324, 1.7976931348623157e308, 2.0**63, -(2.0**63), 1.8446744073709552e19])
    | st.text(st.characters(exclude_categories=()))
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=5), inner, max_size=5),
    max_leaves=30,
)


@SETTINGS
@given(values, st.booleans(), st.sampled_from([None, 0, 2]), st.booleans())
def test_every_value_json_writes_reads_as_json_reads_it(
    value: Any, ascii_only: bool, indent: int | None, as_text: bool
) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only, indent=indent)
    for line in (text, text + "\r\n"):
        try:
            data: bytes | str = line if as_text else line.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate written as itself: only a str can hold it
            data = line
        assert_as_json_reads(data)


@SETTINGS
@given(values, st.lists(st.tuples(st.integers(min_value=0), st.binary(max_size=3)), max_size=4))
def test_broken_json_fails_as_json_fails(value: Any, edits: list[tuple[int, bytes]]) -> None:
    data = json.dumps(value).encode("utf-8")
    for at, replacement in edits:  # cut, insert or replace bytes anywhere: errors must match too
        at %= len(data) + 1
        data = data[:at] + replacement + data[at + len(replacement) % 2 :]
    assert_as_json_reads(data)


@pytest.mark.parametrize(
    "data",
    [
        b'"\\ud800"',  # a lone surrogate, escaped: json reads it, orjson refuses it
        b'{"a": "\\udfff x"}',
        '"\ud800"',  # a str holding a lone surrogate
        b"NaN",
        b'{"total": Infinity}',
        b"[-Infinity]",
        b"1e400",
        b'{"a": -1e400}',
        b"18446744073709551615",  # 2**64 - 1: orjson's largest integer
        b"18446744073709551616",  # 2**64: orjson reads a float
        b'{"max_tokens": 100000000000000000000}',
        b"[-9223372036854775809]",  # below -(2**63): a float in orjson
        b"9223372036854775808.0",
        b"[" + b"9" * 4_300 + b"]",
        b"[" + b"9" * 4_301 + b"]",
        b'\xef\xbb\xbf{"bom": true}',
        b'{"a": "\xff"}',
        b'{"a": 1, "a": 2, "b": 3, "a": 4}',
        b'"a\x01b"',
        b'{"a": 1}\x00',
        b"[1,]",
        b"",
        b"   \n",
        b"-0",
        b"-0.0",
        b"\x0c{}",
    ],
)
def test_hostile_inputs_read_as_json_reads_them(data: bytes | str) -> None:
    assert_as_json_reads(data)


@pytest.mark.parametrize("depth", [63, 64, 65, 500, 1_000, 1_023, 1_024, 1_025, 5_000])
def test_deep_values_read_as_json_reads_them(depth: int) -> None:
    # json's limit depends on the stack (about 1,000 less the frames below it), orjson's is 1,024:
    # past 64 levels json decides
    assert_as_json_reads(b"[" * depth + b"]" * depth)
    assert_as_json_reads(b'{"a": ' * depth + b"1" + b"}" * depth)


def test_the_fast_path_keeps_only_what_json_would_read() -> None:
    # orjson's value is kept (a stand-in answers here, so the test sees which parser's value came
    # back), except a float of 2**63 or more in size and a value nested more than 64 deep: json's
    def answer(value: Any) -> Any:
        return mock.patch.object(parsing, "_FAST_LOADS", return_value=value)

    with answer({"read by": "orjson"}):
        assert loads_json(b'{"read by": "json"}') == {"read by": "orjson"}
    with answer([2.0**63 - 1024]):  # the largest float below 2**63
        assert loads_json(b"[1]") == [2.0**63 - 1024]
    for value in ([2.0**63], {"a": [-(2.0**63)]}, 2.0**64, -(2.0**63)):
        with answer(value):
            assert loads_json(b"[1]") == [1]
    with answer(1.5):
        assert loads_json(b"[1]") == 1.5
    nested: list[Any] = []
    for _ in range(63):
        nested = [nested]
    with answer(nested):  # 64 levels
        assert loads_json(b"[1]") == nested
    with answer([nested]):  # 65 levels
        assert loads_json(b"[1]") == [1]
