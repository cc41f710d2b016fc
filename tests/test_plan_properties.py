"""Invariants of the split: the parts give back the source's request lines, each once, in order."""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claude_quote.plan import MAX_REQUESTS, plan, write_parts
from tests.conftest import DAY


def _line(custom_id: str, text: str, spaced: bool) -> str:
    body = {
        "custom_id": custom_id,
        "params": {
            "model": "claude-haiku-4-5",
            "max_tokens": 5,
            "messages": [{"role": "user", "content": text}],
        },
    }
    return json.dumps(body, ensure_ascii=False, separators=(", ", ": ") if spaced else (",", ":"))


entries = st.lists(
    st.one_of(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d", "e-1", "bad id"]),
            st.text(alphabet="xé🙂 ", max_size=60),
            st.booleans(),
        ),
        st.sampled_from(["", "  "]),  # blank lines
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(
    entries=entries,
    final_newline=st.booleans(),
    max_requests=st.integers(min_value=1, max_value=4),
    max_bytes=st.integers(min_value=100, max_value=500),
)
def test_parts_concatenate_to_the_source_lines(
    entries: list[tuple[str, str, bool] | str], final_newline: bool, max_requests: int, max_bytes: int
) -> None:
    lines = [e if isinstance(e, str) else _line(*e) for e in entries]
    requests = [line.encode() + b"\n" for line in lines if line.strip()]
    if not requests:
        return
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "batch.jsonl"
        source.write_bytes(("\n".join(lines) + ("\n" if final_newline else "")).encode())
        p = plan(source, at=DAY, max_requests=max_requests, max_bytes=max_bytes)
        assert sum(part.requests for part in p.parts) == p.requests == len(requests)
        out = Path(folder) / "out"
        done = write_parts(p, out, force=True)
        files = [out / part.file for part in p.parts]
        assert sorted(out.glob("part-*.jsonl")) == files
        # nothing lost, nothing duplicated, nothing re-ordered or re-serialised
        assert b"".join(f.read_bytes() for f in files) == b"".join(requests)
        got = [raw for f in files for raw in f.read_bytes().splitlines(keepends=True)]
        assert Counter(got) == Counter(requests)
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["total"]["requests"] == manifest["total"]["custom_ids"] == len(requests)
        assert done.split is not None
        assert done.split.requests == done.split.custom_ids == len(requests)
        through = hashlib.sha256()  # each part's sha256_through: the parts up to it, concatenated
        for part, entry in zip(p.parts, manifest["parts"], strict=True):
            data = (out / part.file).read_bytes()
            through.update(data)
            assert entry["sha256_through"] == through.hexdigest()
            ids = [json.loads(raw)["custom_id"] for raw in data.splitlines()]
            assert len(ids) == len(set(ids)) == part.requests == entry["custom_ids"]  # no repeat in a part
            assert part.requests <= max_requests
            assert part.body_bytes == len(data) + 14
            if part.over_limit:
                assert part.requests == 1
                assert part.body_bytes > max_bytes
            else:
                assert part.body_bytes <= max_bytes
        too_large = [x.line for x in p.problems if x.code == "line_too_large"]
        assert too_large == [part.first_line for part in p.parts if part.over_limit]


@pytest.mark.slow
def test_100000_requests_make_one_batch_and_100001_make_two(tmp_path: Path) -> None:
    line = '{"custom_id":"r%06d","params":{"model":"claude-haiku-4-5","max_tokens":1,"messages":[{"role":"user","content":"x"}]}}\n'
    path = tmp_path / "big.jsonl"
    path.write_text("".join(line % i for i in range(MAX_REQUESTS + 1)), encoding="utf-8")
    p = plan(path, at=DAY)
    assert p.problems == ()
    assert [(x.first_line, x.last_line, x.requests, x.ended_by) for x in p.parts] == [
        (1, 100_000, 100_000, "max_requests"),
        (100_001, 100_001, 1, "end_of_file"),
    ]
