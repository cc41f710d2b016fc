"""Batch results priced exactly: every result type, cache splits and the fallback, tiers per request."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claude_quote import Usage, WorkloadError, cost
from claude_quote.pricing import PriceTable
from claude_quote.reconcile import reconcile_results
from claude_quote.workloads.results import ResultsReader
from tests.conftest import DAY, ROOT

MIXED = ROOT / "tests" / "data" / "batch-results-mixed.jsonl"


def succeeded(custom_id: str, model: str, usage: dict[str, Any]) -> dict[str, Any]:
    return {
        "custom_id": custom_id,
        "result": {"type": "succeeded", "message": {"id": "msg_x", "model": model, "usage": usage}},
    }


def write(path: Path, lines: Sequence[object]) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines))
    return path


# --- the realistic mixed file ----------------------------------------------------------------------


def test_counts_every_result_type_and_bills_only_succeeded(table: PriceTable) -> None:
    a = reconcile_results(MIXED, at=DAY, table=table)
    assert (a.counts.succeeded, a.counts.errored, a.counts.canceled, a.counts.expired) == (6, 2, 2, 1)
    assert a.counts.total == 11
    assert a.billed_requests == 6
    assert a.errors_by_type == {"invalid_request_error": 1, "overloaded_error": 1}


def test_mixed_file_batch_total_by_hand(table: PriceTable) -> None:
    a = reconcile_results(MIXED, at=DAY, table=table)
    by_model = {m.model: m for m in a.by_model}
    # Sonnet 4.6 batch rates: input $1.50, 5m write $1.875, 1h write $3, read $0.15, output $7.50 /MTok.
    # doc-001: 3,000×1.5 + 4,000×1.875 + 10,000×3 + 1,000×7.5 = 0.0045+0.0075+0.03+0.0075 = $0.0495
    # doc-002 (no split → 5m): 1,000×1.5 + 2,000×1.875 + 14,000×0.15 + 500×7.5 = $0.0111
    # doc-004: 500×1.5 + 100×7.5 = $0.0015, plus 2 searches × $10/1,000 (not discounted) = $0.02
    assert by_model["claude-sonnet-4-6"].batch.total == Decimal("0.0821")
    # Opus 4.7 batch $2.50/$12.50 × 1.1 (inference_geo us): 10,000×2.75 + 2,000×13.75 = $0.055
    assert by_model["claude-opus-4-7"].batch.total == Decimal("0.055")
    # Haiku 5.5: 100,000-token prompt at base batch $0.05/$0.25 = 0.005 + 0.00025 = $0.00525;
    # 100,001 tokens is over the tier, whole request at $0.25/$1.25: 0.02500025 + 0.00125 = $0.02625025
    assert by_model["claude-haiku-5-5"].batch.total == Decimal("0.03150025")
    assert a.batch.total == Decimal("0.16860025")
    # Real time doubles every token line; the $0.02 search fee stays: 2 × 0.14860025 + 0.02
    assert a.realtime.total == Decimal("0.3172005")
    assert a.savings.amount == Decimal("0.14860025")


def test_cache_split_and_the_fallback(table: PriceTable) -> None:
    a = reconcile_results(MIXED, at=DAY, table=table)
    sonnet = next(m for m in a.by_model if m.model == "claude-sonnet-4-6")
    # doc-001 splits 4,000 5m + 10,000 1h; doc-002 has only cache_creation_input_tokens 2,000 → 5m
    assert sonnet.usage.cache_write_5m_tokens == 6_000
    assert sonnet.usage.cache_write_1h_tokens == 10_000
    assert a.cache_split_missing == 1
    assert any(
        "without the 5-minute/1-hour split" in w and "2,000 cache-write tokens" in w for w in a.warnings
    )


def test_no_fallback_warning_when_every_line_has_the_split(tmp_path: Path, table: PriceTable) -> None:
    usage = {"input_tokens": 10, "output_tokens": 1, "cache_creation_input_tokens": 100}
    usage["cache_creation"] = {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 100}  # type: ignore[assignment]
    a = reconcile_results(write(tmp_path / "r.jsonl", [succeeded("a", "claude-sonnet-4-6", usage)]), at=DAY)
    assert a.cache_split_missing == 0
    assert a.usage.cache_write_1h_tokens == 100
    assert not any("split" in w for w in a.warnings)


@pytest.mark.parametrize(
    ("prompt", "batch"),
    [
        # 100,000 tokens: not over the threshold; 100,000 × $0.05 + 1,000 × $0.25 = $0.00525
        (100_000, Decimal("0.00525")),
        # 100,001 tokens: every token at the tier, 100,001 × $0.25 + 1,000 × $1.25 = $0.02625025
        (100_001, Decimal("0.02625025")),
    ],
)
def test_haiku_tier_both_sides_of_the_threshold(tmp_path: Path, prompt: int, batch: Decimal) -> None:
    line = succeeded("x", "claude-haiku-5-5", {"input_tokens": prompt, "output_tokens": 1_000})
    a = reconcile_results(write(tmp_path / "r.jsonl", [line]), at=DAY)
    assert a.batch.total == batch
    assert a.realtime.total == batch * 2
    tiered = [w for w in a.warnings if "over 100,000 tokens" in w]
    assert bool(tiered) is (prompt > 100_000)


def test_cache_reads_count_towards_the_tier(tmp_path: Path) -> None:
    # 60,000 uncached + 40,001 read = 100,001 prompt tokens → tier rates for the whole request:
    # 60,000 × $0.25 + 40,001 × $0.025 (read $0.05 × 0.5) = 0.015 + 0.001000025 = $0.016000025
    line = succeeded(
        "x",
        "claude-haiku-5-5",
        {"input_tokens": 60_000, "cache_read_input_tokens": 40_001, "output_tokens": 0},
    )
    a = reconcile_results(write(tmp_path / "r.jsonl", [line]), at=DAY)
    assert a.batch.total == Decimal("0.016000025")


def test_tiers_are_per_request_not_per_file(tmp_path: Path) -> None:
    # Two 60,000-token requests: 120,000 together, but each is under 100,000 → base rates:
    # 120,000 × $0.05 = $0.006
    lines = [succeeded(c, "claude-haiku-5-5", {"input_tokens": 60_000, "output_tokens": 0}) for c in "ab"]
    a = reconcile_results(write(tmp_path / "r.jsonl", lines), at=DAY)
    assert a.batch.total == Decimal("0.006")


def test_a_file_with_nothing_billed(tmp_path: Path) -> None:
    lines = [
        {"custom_id": "a", "result": {"type": "expired"}},
        {"custom_id": "b", "result": {"type": "canceled"}},
    ]
    a = reconcile_results(write(tmp_path / "r.jsonl", lines), at=DAY)
    assert a.batch.total == 0
    assert a.realtime.total == 0
    assert a.savings.percent == 0
    assert a.by_model == ()
    assert a.counts.total == 2


def test_the_date_picks_the_prices(tmp_path: Path) -> None:
    # Sonnet 5.5 cache reads: $0.20 until 2026-10-06, $0.10 from 2026-10-07 (batch: half).
    line = succeeded("a", "claude-sonnet-5-5", {"cache_read_input_tokens": 1_000_000, "output_tokens": 0})
    path = write(tmp_path / "r.jsonl", [line])
    from datetime import date

    assert reconcile_results(path, at=date(2026, 10, 6)).batch.total == Decimal("0.1")
    assert reconcile_results(path, at=date(2026, 10, 7)).batch.total == Decimal("0.05")


def test_retired_model_warns(tmp_path: Path) -> None:
    line = succeeded("a", "claude-opus-4-1-20250805", {"input_tokens": 1_000_000, "output_tokens": 0})
    a = reconcile_results(write(tmp_path / "r.jsonl", [line]), at=DAY)
    # Opus 4.1 batch input $7.50/MTok
    assert a.batch.total == Decimal("7.5")
    assert any("was retired on 2026-08-05" in w and "--at" in w for w in a.warnings)


# --- the reader ------------------------------------------------------------------------------------


def test_reader_streams_with_line_numbers(table: PriceTable) -> None:
    rows = list(ResultsReader(MIXED))
    assert [r.line for r in rows] == list(range(1, 12))
    assert rows[1].cache_split_missing
    assert rows[4].inference_geo == "us"
    assert rows[2].error_type == "overloaded_error"
    assert rows[0].service_tier == "batch"


def test_blank_lines_and_a_bom_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    line = json.dumps(succeeded("a", "claude-sonnet-4-6", {"input_tokens": 1_000_000, "output_tokens": 0}))
    path.write_bytes(b"\xef\xbb\xbf" + line.encode() + b"\n\n   \n")
    assert reconcile_results(path, at=DAY).batch.total == Decimal("1.5")


BAD = [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object with custom_id and result, got an array"),
    ('{"result": {"type": "expired"}}', "missing custom_id"),
    ('{"custom_id": 7, "result": {"type": "expired"}}', "custom_id must be a non-empty string, got 7"),
    ('{"custom_id": "a"}', "custom_id 'a' has no result object"),
    ('{"custom_id": "a", "result": {"type": "failed"}}', 'unknown result type "failed"'),
    ('{"custom_id": "a", "result": {}}', "custom_id 'a': no type"),
    (
        '{"custom_id": "a", "result": {"type": "succeeded", "message": {"model": "claude-sonnet-4-6", '
        '"usage": {"input_tokens": -5, "output_tokens": 1}}}}',
        "usage.input_tokens is -5; token counts must be whole numbers of 0 or more",
    ),
    (
        '{"custom_id": "a", "result": {"type": "succeeded", "message": {"model": "claude-sonnet-4-6", '
        '"usage": {"input_tokens": 12.5, "output_tokens": 1}}}}',
        "usage.input_tokens is 12.5",
    ),
    (
        '{"custom_id": "a", "result": {"type": "succeeded", "message": {"model": "claude-sonnet-4-6", '
        '"usage": {"input_tokens": 1, "output_tokens": "9"}}}}',
        'usage.output_tokens is "9"',
    ),
    (
        '{"custom_id": "a", "result": {"type": "succeeded", "message": {"model": "claude-sonnet-4-6", '
        '"usage": {"input_tokens": 1, "output_tokens": 1, "cache_creation": '
        '{"ephemeral_5m_input_tokens": -1}}}}}',
        "usage.cache_creation.ephemeral_5m_input_tokens is -1",
    ),
    (
        '{"custom_id": "a", "result": {"type": "succeeded", "message": {"model": "claude-sonnet-4-6", '
        '"usage": {"input_tokens": 1, "output_tokens": 1, "server_tool_use": {"web_search_requests": true}}}}}',
        "usage.server_tool_use.web_search_requests is true; counts must be whole numbers",
    ),
    (
        '{"custom_id": "a", "result": {"type": "succeeded", "message": {"model": "claude-sonnet-4-6", '
        '"usage": {"input_tokens": 1, "output_tokens": 1, "cache_creation_input_tokens": 500, '
        '"cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0}}}}}',
        "usage.cache_creation splits 0 cache-write tokens but usage.cache_creation_input_tokens is 500",
    ),
    (
        '{"custom_id": "a", "result": {"type": "succeeded", "message": {"usage": {"input_tokens": 1}}}}',
        "result.message.model is null",
    ),
    ('{"custom_id": "a", "result": {"type": "succeeded"}}', "a succeeded result needs result.message"),
    (
        '{"custom_id": "a", "result": {"type": "succeeded", "message": {"model": "claude-sonnet-4-6"}}}',
        "result.message.usage is missing",
    ),
    (
        '{"custom_id": "a", "result": {"type": "succeeded", "message": {"model": "claude-sonnet-4-6", '
        '"usage": {"prompt_tokens": 1, "completion_tokens": 1}}}}',
        "usage has neither input_tokens nor output_tokens (it has prompt_tokens, completion_tokens",
    ),
    (
        '{"custom_id": "a", "result": {"type": "succeeded", "message": {"model": "claude-sonnet-4-6", '
        '"usage": {}}}}',
        "usage has neither input_tokens nor output_tokens; a Claude result's usage reports both",
    ),
]


@pytest.mark.parametrize(("line", "reason"), BAD, ids=[r for _, r in BAD])
def test_invalid_line_names_file_line_and_value(tmp_path: Path, line: str, reason: str) -> None:
    ok = json.dumps({"custom_id": "first", "result": {"type": "canceled"}})
    path = write(tmp_path / "r.jsonl", [ok, ok.replace("first", "second"), line])
    with pytest.raises(WorkloadError) as info:
        reconcile_results(path, at=DAY)
    message = str(info.value)
    assert message.startswith(f"{path}:3: ")
    assert reason in message
    assert info.value.line == 3
    assert info.value.exit_code == 2


@pytest.mark.parametrize(("line", "reason"), BAD, ids=[r for _, r in BAD])
def test_skip_invalid_skips_and_counts(tmp_path: Path, line: str, reason: str) -> None:
    good = succeeded("good", "claude-sonnet-4-6", {"input_tokens": 1_000_000, "output_tokens": 0})
    a = reconcile_results(write(tmp_path / "r.jsonl", [good, line]), at=DAY, skip_invalid=True)
    assert a.skipped == 1
    assert a.skipped_lines[0].line == 2
    assert reason in a.skipped_lines[0].reason
    assert a.batch.total == Decimal("1.5")  # 1M × $1.50 from the good line only
    assert any(w.startswith("skipped 1 invalid line(s): line 2: ") for w in a.warnings)


@pytest.mark.parametrize(
    ("model", "usage", "message"),
    [
        ("claude-haiku-4-5", {"inference_geo": "eu"}, "usage.inference_geo 'eu' is not one of global, us"),
        ("claude-haiku-4-5", {"inference_geo": ["us"]}, 'usage.inference_geo ["us"] is not one of global'),
        ("claude-haiku-4-5", {"speed": "turbo"}, "usage.speed 'turbo' is not one of standard, fast"),
        ("claude-opus-5", {"speed": "fast"}, "fast mode is not available with the Batch API"),
        (
            "claude-haiku-4-5",
            {"speed": "fast"},
            "claude-haiku-4-5-20251001 has no fast-mode price on 2026-11-25",
        ),
        (
            "claude-haiku-4-5",
            {"inference_geo": "us"},
            "claude-haiku-4-5-20251001 does not accept inference_geo 'us'",
        ),
    ],
)
def test_a_modifier_that_cannot_be_priced_stops_even_with_skip_invalid(
    tmp_path: Path, model: str, usage: dict[str, Any], message: str
) -> None:
    # Skipping a billed request would understate the bill, so, like an unknown model, it always stops.
    line = succeeded("a", model, {"input_tokens": 1, "output_tokens": 1, **usage})
    with pytest.raises(WorkloadError, match=r"r\.jsonl:1: ") as info:
        reconcile_results(write(tmp_path / "r.jsonl", [line]), at=DAY, skip_invalid=True)
    assert message in str(info.value)


def test_duplicate_custom_id_is_invalid(tmp_path: Path) -> None:
    line = {"custom_id": "same", "result": {"type": "expired"}}
    with pytest.raises(WorkloadError, match=r"r.jsonl:2: custom_id 'same' already appeared on line 1"):
        reconcile_results(write(tmp_path / "r.jsonl", [line, line]), at=DAY)


def test_skipped_lines_are_counted_beyond_the_ones_shown(tmp_path: Path) -> None:
    lines = [*["{bad"] * 30, {"custom_id": "ok", "result": {"type": "expired"}}]
    a = reconcile_results(write(tmp_path / "r.jsonl", lines), at=DAY, skip_invalid=True)
    assert a.skipped == 30
    assert len(a.skipped_lines) == 20
    assert "(first 5 shown)" in a.warnings[-1]


def test_a_file_of_only_invalid_lines_is_an_error_even_with_skip_invalid(tmp_path: Path) -> None:
    # Never a silent $0: every line skipped leaves no result, which is not a batch that cost nothing.
    with pytest.raises(
        WorkloadError, match=r"r.jsonl: the results file holds no result lines \(2 invalid skipped\)"
    ):
        reconcile_results(write(tmp_path / "r.jsonl", ["{bad", "[]"]), at=DAY, skip_invalid=True)


def test_unknown_model_stops_even_with_skip_invalid(tmp_path: Path) -> None:
    line = succeeded("a", "claude-sonnet-4-6-20250514", {"input_tokens": 1, "output_tokens": 1})
    with pytest.raises(WorkloadError) as info:
        reconcile_results(write(tmp_path / "r.jsonl", [line]), at=DAY, skip_invalid=True)
    assert str(info.value) == (
        f"{tmp_path / 'r.jsonl'}:1: result.message.model: unknown model 'claude-sonnet-4-6-20250514'; "
        "did you mean 'claude-sonnet-4-6', 'claude-sonnet-4-20250514' or 'claude-sonnet-4-5-20250929'? "
        "Run `claude-quote models --all` to list every model."
    )


def test_model_without_a_price_on_the_date(tmp_path: Path) -> None:
    from datetime import date

    line = succeeded("a", "claude-haiku-5-5", {"input_tokens": 1, "output_tokens": 1})
    with pytest.raises(
        WorkloadError, match=r":1: result.message.model: claude-haiku-5-5 was released on 2026-10-07"
    ):
        reconcile_results(write(tmp_path / "r.jsonl", [line]), at=date(2026, 1, 1))


def test_missing_file() -> None:
    with pytest.raises(WorkloadError, match=r"nope.jsonl: cannot read results file"):
        reconcile_results("nope.jsonl", at=DAY)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"custom_id": "\xff"}\n')
    with pytest.raises(WorkloadError, match=r"r.jsonl:1: not UTF-8 text"):
        reconcile_results(path, at=DAY)


# --- invariants ------------------------------------------------------------------------------------

_MODELS = ["claude-haiku-5-5", "claude-sonnet-4-6", "claude-opus-5-5", "claude-fable-5-2"]
_counts = st.integers(min_value=0, max_value=150_000)
_usage = st.fixed_dictionaries(
    {
        "input_tokens": _counts,
        "output_tokens": st.integers(min_value=0, max_value=20_000),
        "cache_read_input_tokens": st.integers(min_value=0, max_value=60_000),
        "cache_creation": st.fixed_dictionaries(
            {
                "ephemeral_5m_input_tokens": st.integers(min_value=0, max_value=20_000),
                "ephemeral_1h_input_tokens": st.integers(min_value=0, max_value=20_000),
            }
        ),
    }
)
_requests = st.lists(st.tuples(st.sampled_from(_MODELS), _usage), min_size=1, max_size=25)


def _file(requests: list[tuple[str, dict[str, Any]]]) -> Path:
    folder = Path(tempfile.mkdtemp())
    lines: list[object] = [succeeded(f"r{i}", model, usage) for i, (model, usage) in enumerate(requests)]
    return write(folder / "r.jsonl", lines)


@settings(max_examples=60, deadline=None)
@given(_requests)
def test_grouped_pricing_equals_pricing_every_request(requests: list[tuple[str, dict[str, Any]]]) -> None:
    a = reconcile_results(_file(requests), at=DAY)
    one_by_one = sum(
        (cost(Usage.from_api(u), m, mode="batch", requests=1, at=DAY).total for m, u in requests), Decimal(0)
    )
    assert a.batch.total == one_by_one
    assert sum((m.batch.total for m in a.by_model), Decimal(0)) == a.batch.total


@settings(max_examples=60, deadline=None)
@given(_requests)
def test_batch_is_exactly_half_of_real_time_without_web_search(
    requests: list[tuple[str, dict[str, Any]]],
) -> None:
    a = reconcile_results(_file(requests), at=DAY)
    assert a.batch.total * 2 == a.realtime.total
    assert a.batch.total >= 0
    assert a.savings.percent == 50 or a.realtime.total == 0


def test_uncertain_rates_are_flagged(tmp_path: Path) -> None:
    # Sonnet 5.5's cache-read cut from 2026-10-07 rests on third-party sources only.
    line = succeeded("a", "claude-sonnet-5-5", {"input_tokens": 1_000, "output_tokens": 0})
    a = reconcile_results(write(tmp_path / "r.jsonl", [line]), at=DAY)
    assert any(
        "claude-sonnet-5-5 rates in effect from 2026-10-07 are marked UNCERTAIN" in w for w in a.warnings
    )


def test_a_non_batch_service_tier_is_flagged(tmp_path: Path) -> None:
    usage = {"input_tokens": 1_000_000, "output_tokens": 0, "service_tier": "standard"}
    a = reconcile_results(write(tmp_path / "r.jsonl", [succeeded("a", "claude-sonnet-4-6", usage)]), at=DAY)
    assert a.batch.total == Decimal("1.5")
    assert any("usage.service_tier other than batch (standard 1)" in w for w in a.warnings)
    assert not any("service_tier" in w for w in reconcile_results(MIXED, at=DAY).warnings)
