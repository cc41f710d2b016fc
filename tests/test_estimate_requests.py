"""Per-request estimates: the figures estimate() sums, one request at a time."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claude_quote import Usage, WorkloadError, estimate, estimate_requests
from claude_quote.estimate import EstimateOptions, scaled_prefixes
from tests.conftest import DAY
from tests.workload_files import request, words, write_jsonl

MODELS = ["sonnet-4.6", "haiku-4.5", "opus-5", "haiku-5.5"]


def test_one_request_by_hand(tmp_path: Path) -> None:
    tools = [{"name": "lookup", "description": "Look up", "input_schema": {"type": "object"}}]
    lines = [
        request(words(100), custom_id="a-1", max_tokens=500),
        request(words(40), custom_id="a-2", model="claude-haiku-4-5", tools=tools),
    ]
    estimates = estimate_requests(
        write_jsonl(tmp_path / "r.jsonl", lines), EstimateOptions(output_tokens=7), at=DAY
    )
    a1, a2 = estimates["a-1"], estimates["a-2"]
    # 100 cl100k tokens of 500 letters and 99 spaces: 100 × (500 × 0.238 × 1.041 + 99 × 0.159 × 1.088)
    # ÷ (500 × 0.238 + 99 × 0.159) = 104.65, + 7 framing = 111.65 → 112; no fixed tokens; output given as 7
    assert (a1.model, a1.raw_text_tokens, a1.fixed_tokens, a1.max_tokens, a1.line) == (
        "claude-sonnet-4-6",
        100,
        0,
        500,
        1,
    )
    assert a1.usage == Usage(input_tokens=112, output_tokens=7)
    assert a1.framing_tokens == 7
    assert a1.class_tokens is not None
    # the 100 tokens apportioned: 100 × 119 ÷ 134.741 = 88.32 letters, 11.68 spaces
    assert [round(t, 2) for t in a1.class_tokens[:4]] == [88.32, 0, 0, 11.68]
    # the tool definition is text (counted, corrected, × 1.05 for its rendering); the tool-use system
    # prompt is fixed: more than the message alone (40 tokens × 1.16 + 7 = 53.5)
    assert a2.model == "claude-haiku-4-5-20251001"
    assert a2.fixed_tokens == 496  # Haiku 4.5's tool-use system prompt (tool_choice auto)
    assert a2.raw_text_tokens > 40
    assert a2.usage.input_tokens - a2.fixed_tokens > 54


def test_cache_bands_per_request_sum_to_the_bucket(tmp_path: Path) -> None:
    system = [{"type": "text", "text": words(2000), "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    lines = [request(words(5), system=system, custom_id=f"c-{i}") for i in range(3)]
    path = write_jsonl(tmp_path / "c.jsonl", lines)
    factor = Decimal("1.05")
    each = estimate_requests(
        path, EstimateOptions(output_tokens=0, cache_hit_rate=Decimal("0.5"), token_factor=factor), at=DAY
    )
    # the prefix: ceil(2,000 × 1.05) = 2,100 tokens; the first request writes it, the others could read it.
    # expected band per request: 0 + round(0.5 × 2,100) = 1,050 written again, 1,050 read
    assert each["c-0"].usage.cache_write_1h_tokens == 2100
    assert each["c-1"].usage.cache_write_1h_tokens == 1050
    assert each["c-1"].usage.cache_read_tokens == 1050
    whole = estimate(
        [path], EstimateOptions(output_tokens=0, cache_hit_rate=Decimal("0.5"), token_factor=factor), at=DAY
    )
    assert sum((e.usage for e in each.values()), Usage()) == whole.usage


def test_duplicate_custom_ids_name_the_line(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "d.jsonl", [request(custom_id="x"), request(custom_id="y"), request(custom_id="x")]
    )
    with pytest.raises(WorkloadError) as info:
        estimate_requests(path, at=DAY)
    assert str(info.value) == f"{path}:3: custom_id 'x' already appeared on line 1; ids are unique in a batch"
    assert sorted(estimate_requests(path, EstimateOptions(skip_invalid=True), at=DAY)) == ["x", "y"]


def test_only_request_files(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("text\nhello\n")
    with pytest.raises(WorkloadError, match="not a request file"):
        estimate_requests(table, at=DAY)
    with pytest.raises(WorkloadError, match="no such file"):
        estimate_requests(tmp_path / "missing.jsonl", at=DAY)


def test_scaled_prefixes() -> None:
    # offline prefixes 300 and 1,000 of a 1,000-token request; count_tokens says 1,200:
    # 1,200 × 300 / 1,000 = 360; the last prefix is the exact total
    assert scaled_prefixes([300, 1000], 1200) == [360, 1200]
    # 7 × 1 / 3 = 2.33 → 2; 7 × 2 / 3 = 4.67 → 5 (half up)
    assert scaled_prefixes([1, 2, 3], 7) == [2, 5, 7]
    assert scaled_prefixes([0, 0], 9) == [9, 9]


request_specs = st.lists(
    st.tuples(
        st.sampled_from(MODELS),
        st.integers(min_value=1, max_value=300),  # words in the user message
        st.sampled_from([0, 600, 1500, 5000]),  # a cached system prompt of this many words (0: none)
        st.booleans(),  # 1-hour TTL
        st.integers(min_value=1, max_value=4_000),  # max_tokens
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=30, deadline=None)
@given(
    request_specs,
    st.sampled_from([None, 0, 120]),
    st.decimals(min_value=0, max_value=1, places=2),
)
def test_per_request_estimates_sum_to_the_aggregate(
    specs: list[tuple[str, int, int, bool, int]], output_tokens: int | None, hit_rate: Decimal
) -> None:
    lines = []
    for i, (model, n, cached, one_hour, max_tokens) in enumerate(specs):
        params = {}
        if cached:
            control = {"type": "ephemeral", **({"ttl": "1h"} if one_hour else {})}
            params["system"] = [{"type": "text", "text": words(cached), "cache_control": control}]
        lines.append(request(words(n), model=model, max_tokens=max_tokens, custom_id=f"r-{i}", **params))
    with tempfile.TemporaryDirectory() as folder:
        path = write_jsonl(Path(folder) / "r.jsonl", lines)
        each = estimate_requests(
            path, EstimateOptions(output_tokens=output_tokens, cache_hit_rate=hit_rate), at=DAY
        )
        whole = estimate(
            [path], EstimateOptions(output_tokens=output_tokens, cache_hit_rate=hit_rate), at=DAY
        )
    assert len(each) == whole.requests
    assert sum((e.usage for e in each.values()), Usage()) == whole.usage
    for m in whole.by_model:
        assert sum((e.usage for e in each.values() if e.model == m.model), Usage()) == m.usage
