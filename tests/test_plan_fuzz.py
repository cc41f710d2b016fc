"""Fuzzing the plan reader: request files built by hypothesis and the example files mutated byte by
byte. Every input ends in a valid plan or in one error that names the file (exit 2), never another
exception or a traceback; a plan's counts add up, and a split gives back exactly its request lines.

    pytest tests/test_plan_fuzz.py                        # a bounded number of examples (CI)
    FUZZ_EXAMPLES=5000 pytest tests/test_plan_fuzz.py     # more, on demand
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_quote.errors import ClaudeQuoteError
from claude_quote.plan import Plan, plan
from tests.conftest import DAY, ROOT, run_cli
from tests.workload_files import request

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SEEDS = [
    ROOT / "examples" / name
    for name in (
        "batch-requests.jsonl",
        "batch-requests-problems.jsonl",
        "batch-requests-bad-lines.jsonl",
        "broken-batch.jsonl",
    )
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
models = st.sampled_from(
    [
        "claude-sonnet-4-6",
        "claude-haiku-4-5",
        "claude-haiku-5-5",
        "claude-opus-4-6",
        "sonnet-4.6",
        "nope",
        "",
        7,
    ]
)
requests = st.builds(
    lambda text, model, max_tokens, custom_id, extra: {
        "custom_id": custom_id,
        "params": {
            **request(text, model="x", max_tokens=1)["params"],
            "model": model,
            "max_tokens": max_tokens,
            **extra,
        },
    },
    st.text(max_size=30),
    models,
    st.sampled_from([1, 100, 0, -5, 64_001, 300_000, "7", None, True]),
    st.sampled_from(["a", "b", "a-1", "bad id", "", "x" * 65, "\ud800"]),
    st.dictionaries(
        st.sampled_from(
            ["stream", "speed", "betas", "tools", "system", "cache_control", "thinking", "messages"]
        ),
        json_values,
        max_size=2,
    ),
)
lines = st.lists(
    st.one_of(
        requests.map(lambda r: json.dumps(r).encode()),
        requests.map(lambda r: json.dumps(r, ensure_ascii=False).encode("utf-8", "surrogatepass")),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=40),
        st.sampled_from(
            [
                b"",
                b"   ",
                b"[" * 3_000,
                b"1" * 5_000,
                b"NaN",
                b'{"custom_id": "n", "params": NaN}',
                b"\xff\xfe",
            ]
        ),
    ),
    min_size=1,
    max_size=12,
)


def _located(exc: ClaudeQuoteError, path: Path) -> None:
    assert str(path) in str(exc), f"the error does not name the file: {exc}"


def _invariants(p: Plan, data: bytes) -> None:
    total = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    assert all(1 <= x.line <= total for x in p.problems)
    assert [x.line for x in p.problems] == sorted(x.line for x in p.problems)
    assert sum(part.requests for part in p.parts) == p.requests > 0
    assert all(a.last_line < b.first_line for a, b in zip(p.parts, p.parts[1:], strict=False))
    assert sum(1 for x in p.problems if x.code == "invalid_line") == p.skipped
    assert p.errors + p.warning_count == len(p.problems)


def _plan_file(path: Path, data: bytes, **options: Any) -> None:
    split = path.parent / "out"
    try:
        p = plan(path, at=DAY, split=split, force=True, **options)
    except ClaudeQuoteError as exc:
        _located(exc, path)
        assert not split.exists()  # nothing left behind
        return
    plain = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    _invariants(p, plain)
    assert p.split is not None
    joined = b"".join((split / part.file).read_bytes() for part in p.parts)
    assert joined.count(b"\n") == p.requests
    assert not [x for x in split.iterdir() if x.name.endswith(".tmp")]


@FUZZ
@given(lines, st.booleans(), st.booleans(), st.integers(1, 4), st.sampled_from([200, 1_000, 10**6]))
def test_built_files_end_in_a_plan_or_a_located_error(
    content: list[bytes], last_newline: bool, packed: bool, max_requests: int, max_bytes: int
) -> None:
    data = b"\n".join(content) + (b"\n" if last_newline else b"")
    if packed:
        data = gzip.compress(data)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "batch.jsonl"
        path.write_bytes(data)
        _plan_file(path, data, max_requests=max_requests, max_bytes=max_bytes, skip_invalid=last_newline)


mutations = st.lists(
    st.tuples(
        st.sampled_from(["flip", "delete", "insert", "duplicate", "truncate"]),
        st.floats(0, 1),
        st.binary(min_size=1, max_size=8),
    ),
    min_size=1,
    max_size=6,
)


def _mutate(data: bytes, steps: list[tuple[str, float, bytes]]) -> bytes:
    for op, where, extra in steps:
        at = int(where * len(data))
        if op == "flip" and data:
            at = min(at, len(data) - 1)
            data = data[:at] + bytes([data[at] ^ extra[0]]) + data[at + 1 :]
        elif op == "delete":
            data = data[:at] + data[at + len(extra) * 7 :]
        elif op == "insert":
            data = data[:at] + extra + data[at:]
        elif op == "duplicate":
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            end = len(data) if end < 0 else end + 1
            data = data[:end] + data[start:end] + data[end:]
        elif op == "truncate":
            data = data[:at]
    return data


@FUZZ
@given(st.sampled_from(SEEDS), mutations)
def test_mutated_examples_end_in_a_plan_or_a_located_error(
    seed: Path, steps: list[tuple[str, float, bytes]]
) -> None:
    data = _mutate(seed.read_bytes(), steps)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / seed.name
        path.write_bytes(data)
        _plan_file(path, data)


@FUZZ
@given(st.sampled_from(SEEDS), mutations, st.sampled_from(["table", "json", "csv", "markdown"]))
def test_the_command_never_shows_a_traceback(
    seed: Path, steps: list[tuple[str, float, bytes]], form: str
) -> None:
    data = _mutate(seed.read_bytes(), steps)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / seed.name
        path.write_bytes(data)
        result = run_cli(["plan", str(path), "--at", "2026-11-25", "-f", form])  # raises on a traceback
    assert result.exit_code in (0, 2)
    if result.exit_code == 2 and not result.stdout:
        assert result.stderr.startswith(f"error: {path}")
        assert result.stderr.count("\n") == 1
    if form == "json" and result.stdout:
        assert json.loads(result.stdout)["kind"] == "plan"


@FUZZ
@given(st.lists(requests, min_size=1, max_size=5), st.sampled_from(["list", "body", "one"]))
def test_json_documents_end_in_a_plan_or_a_located_error(items: list[dict[str, Any]], shape: str) -> None:
    value: Any = {"list": items, "body": {"requests": items}, "one": items[0]}[shape]
    data = json.dumps(value, indent=1).encode("utf-8", "surrogatepass")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "create.json"
        path.write_bytes(data)
        try:
            p = plan(path, at=DAY)
        except ClaudeQuoteError as exc:
            _located(exc, path)
            return
        assert p.requests + p.skipped == (1 if shape == "one" else len(items))
