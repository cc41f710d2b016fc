"""Requests are priced the way they run: params.inference_geo, params.speed and service_tier in request
files (and a table's columns), the --geo/--fast overrides, and projections of such an estimate.

Token counts come from the counter; each expected amount is derived from the estimate's own prompt
tokens, so only the pricing is asserted (Opus 5: $5 in / $25 out; fast $10 / $50; US ×1.1; batch ×0.5).
"""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from claude_quote import EstimateOptions, WorkloadError, estimate, project, render, workloads_from_estimate
from tests.conftest import DAY, run_cli
from tests.workload_files import request, words, write_jsonl

OUT = 100  # output tokens per request


def _three(tmp_path: Path) -> Path:
    """Three Opus 5 requests of the same text: standard, fast, US-only."""
    return write_jsonl(
        tmp_path / "batch.jsonl",
        [
            request(words(50), model="claude-opus-5", custom_id="std-1"),
            request(words(50), model="claude-opus-5", custom_id="fast-1", speed="fast"),
            request(words(50), model="claude-opus-5", custom_id="us-1", inference_geo="us"),
        ],
    )


def _per_mtok(rate: str, tokens: int) -> D:
    return D(rate) * tokens / 1_000_000


def test_each_request_is_priced_as_it_runs(tmp_path: Path) -> None:
    e = estimate([_three(tmp_path)], EstimateOptions(output_tokens=OUT), at=DAY)
    (model,) = e.by_model
    prompt = model.usage.prompt_tokens // 3  # the same text three times
    assert prompt * 3 == model.usage.prompt_tokens
    standard = _per_mtok("5", prompt) + _per_mtok("25", OUT)
    fast = _per_mtok("10", prompt) + _per_mtok("50", OUT)
    us = standard * D("1.1")
    assert e.realtime.total == standard + fast + us
    # batch: the fast request cannot be batched, so it stays at its real-time price
    assert e.batch is not None
    assert e.batch.total == standard / 2 + fast + us / 2
    notes = {ln.note for ln in e.batch.lines}
    assert notes == {None, "fast mode, real time", "US-only"}
    assert any("asks for fast mode" in w and "Messages API" in w for w in e.warnings)
    assert [(r.geo, r.speed, r.requests) for r in model.runs_as] == [
        ("global", "fast", 1),
        ("global", "standard", 1),
        ("us", "standard", 1),
    ]


def test_options_override_every_request(tmp_path: Path) -> None:
    path = _three(tmp_path)
    e = estimate([path], EstimateOptions(output_tokens=OUT, geo="us", fast=False), at=DAY)
    prompt = e.usage.prompt_tokens
    assert e.realtime.total == (_per_mtok("5", prompt) + _per_mtok("25", 3 * OUT)) * D("1.1")
    assert [(r.geo, r.speed) for r in e.by_model[0].runs_as] == [("us", "standard")]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"inference_geo": "eu"}, "fast-1: params.inference_geo 'eu' is not one of global, us"),
        ({"speed": "quick"}, "fast-1: params.speed 'quick' is not one of standard, fast"),
        ({"service_tier": "priority"}, "service_tier 'priority' has no published prices"),
    ],
)
def test_a_modifier_the_api_does_not_take_is_located(
    tmp_path: Path, params: dict[str, Any], message: str
) -> None:
    path = write_jsonl(tmp_path / "b.jsonl", [request("hi", custom_id="fast-1", **params)])
    with pytest.raises(WorkloadError) as info:
        estimate([path], EstimateOptions(output_tokens=1), at=DAY)
    assert str(info.value).startswith(f"{path}:1: ")
    assert message in str(info.value)


def test_residency_on_a_model_that_refuses_it_is_an_error(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "b.jsonl", [request("hi", model="claude-haiku-4-5", inference_geo="us")])
    with pytest.raises(
        WorkloadError,
        match=r"b\.jsonl:1: req-1: claude-haiku-4-5-20251001 does not accept inference_geo 'us'",
    ):
        estimate([path], EstimateOptions(output_tokens=1), at=DAY)


def test_fast_on_a_model_without_fast_mode_is_an_error_not_a_base_rate(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "b.jsonl", [request("hi", model="claude-sonnet-4-6", speed="fast")])
    with pytest.raises(WorkloadError, match="claude-sonnet-4-6 has no fast-mode price on 2026-11-25"):
        estimate([path], EstimateOptions(output_tokens=1), at=DAY)


def test_table_columns_carry_the_modifiers(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text(
        "model,input_tokens,output_tokens,max_tokens,inference_geo,speed\n"
        "opus-5,1000000,0,1,us,standard\n"
        "opus-5,1000000,0,1,global,fast\n"
    )
    e = estimate([table], at=DAY)
    # $5 × 1.1 = $5.50 (US); $10 (fast)
    assert e.realtime.total == D("15.5")
    assert e.batch is not None
    assert e.batch.total == D("12.75")  # $2.75 in batch + $10 fast in real time


def test_a_projection_of_the_estimate_prices_each_part_as_it_runs(tmp_path: Path) -> None:
    e = estimate([_three(tmp_path)], EstimateOptions(output_tokens=OUT), at=DAY)
    data = json.loads(render(e, "json"))
    assert [r["speed"] for r in data["by_model"][0]["runs_as"]] == ["fast", "standard", "standard"]
    workloads = workloads_from_estimate(data)
    assert [(w.name, w.geo, w.fast) for w in workloads] == [
        ("claude-opus-5 (fast mode)", "global", True),
        ("claude-opus-5 (standard)", "global", False),
        ("claude-opus-5 (US-only)", "us", False),
    ]
    month = project(workloads, start="2026-12", months=1).months[0]
    # one month of the estimate's own requests (3) costs what the estimate does, in real time
    assert month.realtime_cost == e.realtime.total
    assert e.batch is not None
    assert month.batch_cost == e.batch.total


def test_cli_geo_and_fast_and_field_names_as_flags(tmp_path: Path) -> None:
    path = str(_three(tmp_path))
    result = run_cli(
        [
            "estimate",
            path,
            "--output-tokens",
            "100",
            "--geo",
            "us",
            "--no-fast",
            "-f",
            "json",
            "--at",
            "2026-11-25",
        ]
    )
    assert result.exit_code == 0, result.stderr
    assert [(r["geo"], r["speed"]) for r in json.loads(result.stdout)["by_model"][0]["runs_as"]] == [
        ("us", "standard")
    ]
    bad = run_cli(["estimate", path, "--output-tokens", "1", "--output-ratio", "0.5"])
    assert bad.exit_code == 2
    assert bad.stderr == "error: give either --output-tokens or --output-ratio, not both\n"


def test_plan_refuses_a_modifier_the_model_cannot_take(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "b.jsonl",
        [
            request("hi", model="claude-haiku-4-5-20251001", custom_id="a", inference_geo="us"),
            request("hi", custom_id="b", inference_geo="mars"),
        ],
    )
    result = run_cli(["plan", str(path), "-f", "json", "--at", "2026-11-25"])
    problems = [(p["custom_id"], p["code"]) for p in json.loads(result.stdout)["problems"]]
    assert ("a", "invalid_modifier") in problems
    assert ("b", "invalid_modifier") in problems
    assert result.exit_code == 2
