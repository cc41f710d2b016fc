"""Invariants of estimate(): linear in the requests, batch exactly half, parts sum to the whole."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from claude_quote import EstimateOptions, estimate
from tests.conftest import DAY
from tests.workload_files import request, words, write_jsonl

MODELS = ["sonnet-4.6", "haiku-4.5", "opus-5", "haiku-5.5"]

token_rows = st.lists(
    st.tuples(
        st.sampled_from(MODELS),
        st.integers(min_value=0, max_value=300_000),  # input tokens: crosses Haiku 5.5's 100K tier
        st.integers(min_value=0, max_value=5_000),  # output tokens
        st.integers(min_value=1, max_value=8_000),  # max_tokens
    ),
    min_size=1,
    max_size=12,
)


def _csv(rows: list[tuple[str, int, int, int]], folder: Path) -> Path:
    path = folder / "t.csv"
    lines = ["model,input_tokens,output_tokens,max_tokens", *(f"{m},{i},{o},{x}" for m, i, o, x in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@settings(max_examples=40, deadline=None)
@given(token_rows)
def test_batch_is_exactly_half_and_parts_sum_to_the_total(rows: list[tuple[str, int, int, int]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        e = estimate([_csv(rows, Path(folder))], at=DAY)
    assert e.batch is not None
    assert e.worst_case.batch is not None
    assert e.batch.total * 2 == e.realtime.total
    assert e.worst_case.batch.total * 2 == e.worst_case.realtime.total
    assert sum(m.realtime.total for m in e.by_model) == e.realtime.total
    assert sum(line.amount for line in e.realtime.lines) == e.realtime.total
    assert e.realtime.total >= 0
    assert e.worst_case.realtime.total >= e.realtime.total  # expected output never exceeds max_tokens
    assert e.requests == len(rows)
    assert e.input_tokens == sum(i for _, i, _, _ in rows)


request_specs = st.lists(
    st.tuples(
        st.sampled_from(MODELS),
        st.integers(min_value=1, max_value=400),  # words
        st.integers(min_value=1, max_value=4_000),  # max_tokens
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=25, deadline=None)
@given(request_specs, st.integers(min_value=2, max_value=4), st.sampled_from([None, 0, 250]))
def test_duplicating_every_line_multiplies_the_cost(
    specs: list[tuple[str, int, int]], copies: int, output_tokens: int | None
) -> None:
    lines = [
        request(words(n), model=m, max_tokens=x, custom_id=f"r-{i}") for i, (m, n, x) in enumerate(specs)
    ]
    with tempfile.TemporaryDirectory() as folder:
        once = estimate(
            [write_jsonl(Path(folder) / "a.jsonl", lines)],
            EstimateOptions(output_tokens=output_tokens),
            at=DAY,
        )
        many = estimate(
            [write_jsonl(Path(folder) / "b.jsonl", lines * copies)],
            EstimateOptions(output_tokens=output_tokens),
            at=DAY,
        )
    assert many.requests == once.requests * copies
    assert many.usage == once.usage * copies
    assert many.realtime.total == once.realtime.total * copies
    assert many.worst_case.realtime.total == once.worst_case.realtime.total * copies
    assert once.batch is not None
    assert many.batch is not None
    assert many.batch.total == once.batch.total * copies


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=6), st.decimals(min_value=0, max_value=1, places=2))
def test_cache_bands_are_ordered(requests: int, hit_rate: Decimal) -> None:
    system = [{"type": "text", "text": words(1100), "cache_control": {"type": "ephemeral"}}]
    lines = [request(words(5), system=system, custom_id=f"c-{i}") for i in range(requests)]
    with tempfile.TemporaryDirectory() as folder:
        e = estimate(
            [write_jsonl(Path(folder) / "a.jsonl", lines)],
            EstimateOptions(output_tokens=0, cache_hit_rate=hit_rate),
            at=DAY,
        )
    assert e.cache_bands is not None
    cost = {b.name: b.realtime.total for b in e.cache_bands.bands}
    # reads are cheaper than writes: best ≤ expected ≤ miss; every band bills the same prompt tokens
    assert cost["best"] <= cost["expected"] <= cost["miss"]
    prompts = {b.usage.prompt_tokens for b in e.cache_bands.bands}
    assert len(prompts) == 1
