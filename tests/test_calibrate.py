"""claude-quote calibrate: the factor, the percentiles, the thresholds, the file, the command."""

from __future__ import annotations

import json
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claude_quote import EstimateOptions, WorkloadError, calibrate, estimate
from claude_quote.calibrate import calibration_toml, percentile, write_calibration
from claude_quote.calibration import load_calibration, parse_calibration
from tests.conftest import DAY, ROOT, console_script, run_cli
from tests.workload_files import request, words, write_jsonl

REQUESTS = "examples/batch-requests-support.jsonl"
RESULTS = "examples/batch-results-support.jsonl"


def result(
    custom_id: str,
    *,
    model: str = "claude-sonnet-4-6",
    input: int = 0,
    read: int = 0,
    write: int = 0,
    output: int = 0,
) -> dict[str, Any]:
    usage = {
        "input_tokens": input,
        "cache_read_input_tokens": read,
        "cache_creation_input_tokens": write,
        "cache_creation": {"ephemeral_5m_input_tokens": write, "ephemeral_1h_input_tokens": 0},
        "output_tokens": output,
        "service_tier": "batch",
    }
    message = {"model": model, "usage": usage}
    return {"custom_id": custom_id, "result": {"type": "succeeded", "message": message}}


def _pair(folder: Path, requests: list[dict[str, Any]], results: list[dict[str, Any]]) -> tuple[Path, Path]:
    return write_jsonl(folder / "requests.jsonl", requests), write_jsonl(folder / "results.jsonl", results)


def test_percentiles_by_hand() -> None:
    # nearest rank: ⌈p × n / 100⌉; n = 10: p50 → rank 5, p95 → rank ⌈9.5⌉ = 10, p5 → rank 1
    values = [7, 1, 9, 3, 5, 2, 8, 4, 10, 6]
    assert (percentile(values, 5), percentile(values, 50), percentile(values, 95)) == (1, 5, 10)
    # n = 20: p95 → rank 19
    assert percentile(list(range(1, 21)), 95) == 19
    assert percentile([Decimal("1.5"), Decimal("1.1")], 50) == Decimal("1.1")
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match="1 to 100"):
        percentile([1], 0)


def test_ratio_of_sums_by_hand(tmp_path: Path) -> None:
    requests, results = _pair(
        tmp_path,
        [request(words(100), custom_id="a-1"), request(words(300), custom_id="a-2")],
        # actual prompts: 120 (uncached) and 30 + 300 cache reads = 330; outputs 10 and 30
        [result("a-1", input=120, output=10), result("a-2", input=30, read=300, output=30)],
    )
    report = calibrate(requests, results, at=DAY, min_samples=2, created=DAY)
    (m,) = report.models
    # Σ(actual − fixed) / Σ raw = (120 + 330) / (100 + 300) = 1.125; per request 1.2 and 1.1
    assert (m.model, m.samples, m.raw_text_tokens, m.fixed_tokens, m.actual_prompt_tokens) == (
        "claude-sonnet-4-6",
        2,
        400,
        0,
        450,
    )
    assert m.input_factor == Decimal("1.125")
    assert (m.factor_p5, m.factor_p50, m.factor_p95) == (Decimal("1.1"), Decimal("1.1"), Decimal("1.2"))
    assert (m.output_p50, m.output_p95, m.output_mean) == (10, 30, Decimal("20.0"))
    assert m.default_factor == Decimal("1.05")
    assert report.calibration.models["claude-sonnet-4-6"].input_factor == Decimal("1.125")
    (p,) = report.prefixes
    assert (p.prefix, p.samples, p.output_p50, p.output_p95, p.written) == ("a", 2, 10, 30, True)
    # the effect: after calibration the estimated prompt is ceil(100 × 1.125) + ceil(300 × 1.125) = 113 + 338
    total = report.effect[-1]
    assert (total.model, total.actual_prompt_tokens, total.calibrated_prompt_tokens) == ("total", 450, 451)
    assert total.uncalibrated_prompt_tokens == 105 + 315  # × 1.05
    assert total.calibrated_output_tokens == 20  # prefix a's p50 (10) for each request


def test_fixed_tokens_are_not_corrected(tmp_path: Path) -> None:
    tools = [{"name": "t", "description": "d", "input_schema": {"type": "object"}}]
    lines = [request(words(200), custom_id=f"t-{i}", tools=tools) for i in range(2)]
    from claude_quote import estimate_requests

    path = write_jsonl(tmp_path / "probe.jsonl", lines)
    probe = estimate_requests(path, at=DAY)["t-0"]
    assert probe.fixed_tokens > 0  # the tool-use system prompt
    actual = (
        probe.fixed_tokens + 2 * probe.raw_text_tokens
    )  # text at exactly 2 Claude tokens per cl100k token
    requests, results = _pair(tmp_path, lines, [result(f"t-{i}", input=actual, output=5) for i in range(2)])
    (m,) = calibrate(requests, results, at=DAY, min_samples=1).models
    assert m.input_factor == Decimal(2)


@pytest.mark.parametrize(("minimum", "written"), [(3, True), (4, False)])
def test_minimum_samples_both_sides(tmp_path: Path, minimum: int, written: bool) -> None:
    lines = [request(words(50), custom_id=f"s-{i}") for i in range(3)]
    requests, results = _pair(tmp_path, lines, [result(f"s-{i}", input=60, output=i) for i in range(3)])
    report = calibrate(requests, results, at=DAY, min_samples=minimum)
    (m,) = report.models
    assert m.written is written
    assert ("claude-sonnet-4-6" in report.calibration.models) is written
    assert ("s" in report.calibration.prefixes) is written
    if written:
        assert m.input_factor == Decimal("1.2")  # 3 × 60 / (3 × 50)
    else:
        assert m.input_factor is None
        assert (
            f"claude-sonnet-4-6: 3 joined request(s), fewer than the minimum of {minimum}: "
            "nothing was written for this model"
        ) in report.warnings


def test_unmatched_lines_are_reported_not_fatal(tmp_path: Path) -> None:
    lines = [request(words(10), custom_id=f"u-{i}") for i in range(3)]
    outcomes = [
        result("u-0", input=12, output=1),
        {"custom_id": "u-1", "result": {"type": "canceled"}},
        result("zz-9", input=5),
        result("u-2", model="claude-opus-4-7", input=20),
    ]
    report = calibrate(*_pair(tmp_path, [*lines, request(custom_id="u-3")], outcomes), at=DAY, min_samples=1)
    assert (report.requests, report.results, report.joined) == (4, 4, 1)
    assert report.not_succeeded == {"canceled": 1}
    assert (report.results_without_request, report.results_without_request_ids) == (1, ("zz-9",))
    assert (report.requests_without_result, report.requests_without_result_ids) == (1, ("u-3",))
    assert report.model_mismatch == 1
    assert "1 request(s) were answered by another model than they named and were left out" in report.warnings


def test_nothing_joined_is_an_error(tmp_path: Path) -> None:
    requests, results = _pair(tmp_path, [request(custom_id="a")], [result("b", input=5)])
    with pytest.raises(WorkloadError, match="nothing to learn from"):
        calibrate(requests, results, at=DAY)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=6),
    st.decimals(min_value=Decimal("0.5"), max_value=Decimal("3"), places=2),
)
def test_a_scaled_workload_gives_back_its_factor(sizes: list[int], factor: Decimal) -> None:
    # actual prompt = raw × factor exactly (raw scaled to a multiple of 100 so it is a whole number)
    lines = [request(words(n * 100), custom_id=f"h-{i}") for i, n in enumerate(sizes)]
    outcomes = [result(f"h-{i}", input=int(n * 100 * factor), output=1) for i, n in enumerate(sizes)]
    with tempfile.TemporaryDirectory() as folder:
        (m,) = calibrate(*_pair(Path(folder), lines, outcomes), at=DAY, min_samples=1).models
    assert m.input_factor == factor
    assert m.factor_p5 == m.factor_p50 == m.factor_p95 == factor


def test_toml_round_trip_and_atomic_write(tmp_path: Path) -> None:
    report = calibrate(REQUESTS, RESULTS, at=DAY, created=DAY)
    text = calibration_toml(report.calibration)
    assert parse_calibration(text.encode(), origin="x") == report.calibration
    assert "input_factor = 1.2535\n" in text  # four decimal places, a TOML number read as Decimal
    target = tmp_path / "calibration.toml"
    target.write_text("old")
    write_calibration(report.calibration, target)
    assert load_calibration(target) == report.calibration
    assert [p.name for p in tmp_path.iterdir()] == ["calibration.toml"]  # no temporary file left
    with pytest.raises(WorkloadError, match="cannot write the calibration file"):
        write_calibration(report.calibration, tmp_path / "missing" / "c.toml")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calibration.toml"]


def test_the_committed_example_is_what_calibrate_writes(tmp_path: Path) -> None:
    target = tmp_path / "c.toml"
    result = run_cli(["calibrate", REQUESTS, RESULTS, "--at", "2026-11-25", "-o", str(target), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["output"] == str(target)

    def body(path: Path) -> list[str]:
        return [line for line in path.read_text().splitlines() if not line.startswith("created = ")]

    assert body(target) == body(ROOT / "examples" / "calibration-support.toml")


def test_calibrated_estimate_says_calibrated() -> None:
    e = estimate(
        [REQUESTS], EstimateOptions(calibration=ROOT / "examples" / "calibration-support.toml"), at=DAY
    )
    assert e.token_method.calibrated
    assert {m.model: m.token_method.factor for m in e.by_model} == {
        "claude-haiku-4-5-20251001": Decimal("1.1955"),
        "claude-sonnet-4-6": Decimal("1.2535"),
    }
    assert all("calibrated" in m.token_method.description for m in e.by_model)


def test_cli_formats_and_errors(tmp_path: Path) -> None:
    args = ["calibrate", REQUESTS, RESULTS, "--at", "2026-11-25"]
    data = json.loads(run_cli([*args, "-f", "json"]).stdout)
    assert (data["kind"], data["counts"]["joined"], data["min_samples"], data["output"]) == (
        "calibration",
        68,
        30,
        None,
    )
    assert data["models"][1]["input_factor"] == "1.2535"
    assert data["effect"][-1]["model"] == "total"
    csv_rows = run_cli([*args, "-f", "csv"]).stdout.splitlines()
    assert csv_rows[0].startswith("scope,name,samples,input_factor")
    assert "prefix,qa,8,,,,,222,357,,no" in csv_rows
    markdown = run_cli([*args, "-f", "markdown"]).stdout
    assert "### Calibration: 68 requests measured" in markdown
    bad = write_jsonl(tmp_path / "bad.jsonl", ["{not json"])
    failed = run_cli(["calibrate", str(bad), RESULTS])
    assert failed.exit_code == 2
    assert failed.stderr.startswith(f"error: {bad}:1: not valid JSON")
    bad_results = write_jsonl(tmp_path / "bad-results.jsonl", ['{"custom_id": "sum-001"}'])
    failed = run_cli(["calibrate", REQUESTS, str(bad_results)])
    assert failed.exit_code == 2
    assert failed.stderr == f"error: {bad_results}:1: custom_id 'sum-001' has no result object\n"
    skipped = run_cli(
        [
            "calibrate",
            REQUESTS,
            str(write_jsonl(tmp_path / "mixed.jsonl", ["{oops", *Path(RESULTS).read_text().splitlines()])),
            "--skip-invalid",
            "-f",
            "json",
        ]
    )
    assert skipped.exit_code == 0, skipped.output
    assert json.loads(skipped.stdout)["counts"]["skipped"] == {"requests": 0, "results": 1}
    assert run_cli(["calibrate", REQUESTS, RESULTS, "--min-samples", "0"]).exit_code == 2
    missing = run_cli(["calibrate", str(tmp_path / "nope.jsonl"), RESULTS])
    assert (missing.exit_code, missing.stderr) == (2, f"error: {tmp_path / 'nope.jsonl'}: no such file\n")


@pytest.mark.slow
def test_calibrate_then_estimate_through_the_installed_script(tmp_path: Path) -> None:
    script = console_script()
    target = tmp_path / "calibration.toml"
    learned = subprocess.run(
        [script, "calibrate", REQUESTS, RESULTS, "--at", "2026-11-25", "-o", str(target)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert learned.returncode == 0, learned.stderr
    assert f"written   {target}" in learned.stdout
    used = subprocess.run(
        [script, "estimate", REQUESTS, "--calibration", str(target), "--at", "2026-11-25", "-f", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert used.returncode == 0, used.stderr
    data = json.loads(used.stdout)
    assert data["token_method"]["calibrated"] is True
    assert "calibrated (calibration.toml)" in data["token_method"]["description"]
