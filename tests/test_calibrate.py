"""claude-quote calibrate: the fitted counting model, the percentiles, the thresholds, the file, the command."""

from __future__ import annotations

import base64
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
from claude_quote.reconcile import store
from claude_quote.render import warnings_of
from claude_quote.render.calibrate import calibration_document
from tests.conftest import DAY, ROOT, console_script, run_cli
from tests.test_tokens_media import png
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


def _linear_workload(folder: Path, fixed: int, factor: Decimal, sizes: list[int]) -> tuple[Path, Path]:
    """Requests of ``words(n)`` whose actual prompt is ``fixed + factor × n`` (rounded half up)."""
    lines = [request(words(n), custom_id=f"w-{i}") for i, n in enumerate(sizes)]
    outcomes = [
        result(f"w-{i}", input=int(fixed + factor * n + Decimal("0.5")), output=n % 7)
        for i, n in enumerate(sizes)
    ]
    return _pair(folder, lines, outcomes)


def test_affine_fit_recovers_the_fixed_part_and_the_factor(tmp_path: Path) -> None:
    # 60 requests of 20 to 610 tokens whose actual prompt is 12 + 1.3 × tiktoken tokens
    sizes = [20 + 10 * i for i in range(60)]
    report = calibrate(*_linear_workload(tmp_path, 12, Decimal("1.3"), sizes), at=DAY, created=DAY)
    (m,) = report.models
    assert (m.model, m.samples, m.raw_text_tokens, m.fixed_tokens) == ("claude-sonnet-4-6", 60, sum(sizes), 0)
    assert m.actual_prompt_tokens == sum(int(12 + Decimal("1.3") * n + Decimal("0.5")) for n in sizes)
    # the text is letters and spaces only: those two classes are learned, the others keep their default
    assert set(m.factors) == {"latin", "space"}
    assert set(m.class_shares) == {"latin", "space"}
    assert m.request_tokens is not None
    assert m.default_request_tokens == 7
    # the priors pull a little: within 0.5 token and 1%. Letters and spaces always come in the same
    # proportion here (5n letters, n − 1 spaces), so the data fix only their weighted factor, shared by
    # cl100k weight (5 × 0.238 = 1.19 against 0.159: 88.2% and 11.8%); the prior (1.041 and 1.088)
    # keeps their ratio within 3% (the share of spaces grows a little with n, and space, an eighth of
    # the weight, takes most of what the data move)
    assert abs(m.request_tokens - 12) < Decimal("0.5")
    weighted = (Decimal("1.19") * m.factors["latin"] + Decimal("0.159") * m.factors["space"]) / Decimal(
        "1.349"
    )
    assert abs(weighted - Decimal("1.3")) < Decimal("0.013")
    assert abs(m.factors["latin"] / m.factors["space"] - Decimal("1.041") / Decimal("1.088")) < Decimal(
        "0.03"
    )
    assert m.fitted is not None
    assert m.uncalibrated is not None
    assert m.fitted.mean_abs_error < Decimal("0.003")  # the data lie on a line
    assert m.fitted.r2 > Decimal("0.9999")
    assert m.uncalibrated.mean_abs_error > Decimal("0.08")  # the default is 7 + 1.163 × n
    written = report.calibration.models["claude-sonnet-4-6"]
    assert report.calibration.schema_version == 2
    assert (written.request_tokens, written.factors) == (m.request_tokens, m.factors)
    assert (written.error_low, written.error_high) == (m.fitted.error_p5, m.fitted.error_p95)
    # estimated with the file, the total is the actual total within 0.2%
    total = report.effect[-1]
    assert (
        abs(total.calibrated_prompt_tokens - total.actual_prompt_tokens) < total.actual_prompt_tokens // 500
    )


def test_two_short_requests_cannot_turn_framing_into_a_factor(tmp_path: Path) -> None:
    # "hello" and "hello hello": 1 and 2 tiktoken tokens, billed 8 and 9 (7 framing + the text). A ratio of
    # sums (version 1 files) learned (8 + 9) ÷ (1 + 2) = ×5.67 and so turned a 1,000-token prompt into 5,667.
    requests, results = _pair(
        tmp_path,
        [request(words(1), custom_id="s-1"), request(words(2), custom_id="s-2")],
        [result("s-1", input=8, output=1), result("s-2", input=9, output=1)],
    )
    report = calibrate(requests, results, at=DAY, min_samples=2, created=DAY)
    (m,) = report.models
    assert m.request_tokens is not None
    assert abs(m.request_tokens - 7) < 1  # the fixed part takes the framing
    assert all(Decimal("0.9") < f < Decimal("1.4") for f in m.factors.values())  # near the default 1.16
    long = write_jsonl(tmp_path / "long.jsonl", [request(words(1000), custom_id="l-1")])
    learned = tmp_path / "learned.toml"
    write_calibration(report.calibration, learned)
    calibrated = estimate([long], EstimateOptions(output_tokens=0, calibration=learned), at=DAY)
    default = estimate([long], EstimateOptions(output_tokens=0), at=DAY)
    # the default: 7 + 1,000 × (5,000 × 0.238 × 1.041 + 999 × 0.159 × 1.088) ÷ (5,000 × 0.238 + 999 × 0.159)
    # = 7 + 1,046.53 = 1,053.53 → 1,054; calibrated from two short requests: within 20% of it
    assert default.input_tokens == 1054
    assert abs(calibrated.input_tokens - 1054) < 1054 * 20 // 100


def test_fixed_tokens_are_not_corrected(tmp_path: Path) -> None:
    data = base64.b64encode(png(300, 250)).decode()
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}
    sizes = [50 + 25 * i for i in range(40)]
    lines = [
        request([image, {"type": "text", "text": words(n)}], custom_id=f"t-{i}") for i, n in enumerate(sizes)
    ]
    # the image: 300 × 250 ÷ 750 = 100 tokens, counted without the model; text at 1.5 per tiktoken token
    outcomes = [
        result(f"t-{i}", input=100 + 7 + int(Decimal("1.5") * n), output=5) for i, n in enumerate(sizes)
    ]
    (m,) = calibrate(*_pair(tmp_path, lines, outcomes), at=DAY).models
    assert m.fixed_tokens == 100 * len(sizes)
    assert m.request_tokens is not None
    assert abs(m.request_tokens - 7) < 1
    # letters and spaces always come together here, so only their blend is known: 1.5 per tiktoken token
    blend = sum(m.class_shares[c] * f for c, f in m.factors.items())
    assert abs(blend - Decimal("1.5")) < Decimal("0.01")


@pytest.mark.parametrize("count", [3, 2])
def test_requests_without_text_calibrate_without_class_shares(tmp_path: Path, count: int) -> None:
    # Image-only requests: no tiktoken token, so no content class has a share (this divided by zero).
    # Each image is 300 × 250 ÷ 750 = 100 tokens, counted without the model; the bill says 107 (framing 7).
    data = base64.b64encode(png(300, 250)).decode()
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}
    lines = [request([image], custom_id=f"i-{i}") for i in range(count)]
    requests, results = _pair(tmp_path, lines, [result(f"i-{i}", input=107, output=5) for i in range(count)])
    (m,) = calibrate(requests, results, at=DAY, min_samples=3).models
    assert m.class_shares == {}
    assert m.fixed_tokens == 100 * count
    assert m.written is (count >= 3)
    cli = run_cli(["calibrate", str(requests), str(results), "--at", str(DAY), "--format", "json"])
    assert cli.exit_code == 0, cli.stderr
    assert json.loads(cli.stdout)["models"][0]["class_shares"] == {}


@pytest.mark.parametrize(("minimum", "written"), [(3, True), (4, False)])
def test_minimum_samples_both_sides(tmp_path: Path, minimum: int, written: bool) -> None:
    lines = [request(words(50), custom_id=f"s-{i}") for i in range(3)]
    requests, results = _pair(tmp_path, lines, [result(f"s-{i}", input=65, output=i) for i in range(3)])
    report = calibrate(requests, results, at=DAY, min_samples=minimum)
    (m,) = report.models
    assert m.written is written
    assert ("claude-sonnet-4-6" in report.calibration.models) is written
    assert ("s" in report.calibration.prefixes) is written
    if written:
        assert m.request_tokens is not None
        assert m.fitted is not None
    else:
        assert m.request_tokens is None
        assert m.fitted is None
        assert m.factors == {}
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


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.integers(min_value=5, max_value=400), min_size=30, max_size=40),
    st.decimals(min_value=Decimal("0.8"), max_value=Decimal("2.5"), places=2),
    st.integers(min_value=5, max_value=40),
)
def test_a_linear_workload_is_estimated_back_in_total(sizes: list[int], factor: Decimal, fixed: int) -> None:
    # whatever the factor and the fixed part, a workload that follows them is estimated back in total,
    # up to the pull of the default (worth 2 of the 30-40 requests) where the data cannot decide
    with tempfile.TemporaryDirectory() as folder:
        report = calibrate(*_linear_workload(Path(folder), fixed, factor, sizes), at=DAY)
    total = report.effect[-1]
    assert (
        abs(total.calibrated_prompt_tokens - total.actual_prompt_tokens)
        <= total.actual_prompt_tokens * 3 // 100 + 1
    )
    (m,) = report.models
    assert m.fitted is not None
    assert abs(m.fitted.aggregate_error) < Decimal("0.03")


def test_toml_round_trip_and_atomic_write(tmp_path: Path) -> None:
    report = calibrate(REQUESTS, RESULTS, at=DAY, created=DAY)
    text = calibration_toml(report.calibration)
    assert parse_calibration(text.encode(), origin="x") == report.calibration
    assert "request_tokens = 11.5244\n" in text  # four decimal places, a TOML number read as Decimal
    assert "factors = { latin = 1.0576, digits = 0.9635, punct = 1.0848, space = 1.1126 }\n" in text
    target = tmp_path / "calibration.toml"
    target.write_text("old")
    write_calibration(report.calibration, target)
    assert load_calibration(target) == report.calibration
    assert [p.name for p in tmp_path.iterdir()] == ["calibration.toml"]  # no temporary file left
    with pytest.raises(WorkloadError, match="cannot write the calibration file"):
        write_calibration(report.calibration, tmp_path / "missing" / "c.toml")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calibration.toml"]


def test_the_join_on_disk_is_the_join_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    # The example's 70 requests are joined in memory; with tables that go to disk at their first
    # (0) or third (2) record, the report is the same, field for field.
    in_memory = calibrate(REQUESTS, RESULTS, at=DAY, created=DAY)
    for limit in (0, 2):
        monkeypatch.setattr(store, "_BATCH", limit)
        assert calibrate(REQUESTS, RESULTS, at=DAY, created=DAY) == in_memory
    assert len(in_memory.warnings) == 4  # the example's prefix and join warnings, compared too


def test_the_warnings_copied_to_stderr_are_the_tables() -> None:
    # calibrate --format json writes the report's warnings to stderr without making its document.
    report = calibrate(REQUESTS, RESULTS, at=DAY, created=DAY)
    assert warnings_of(report) == calibration_document(report).warnings == list(report.warnings)
    assert warnings_of(report)  # the example has warnings: the comparison is not of two empty lists


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
    assert {m.model: m.token_method.request_tokens for m in e.by_model} == {
        "claude-haiku-4-5-20251001": Decimal("7.3992"),
        "claude-sonnet-4-6": Decimal("11.5244"),
    }
    assert all("calibrated" in m.token_method.description for m in e.by_model)
    sonnet = e.by_model[1].token_method
    assert (sonnet.error_low, sonnet.error_high) == (Decimal("-0.0319"), Decimal("0.0272"))


def test_version_1_files_are_still_read() -> None:
    e = estimate([REQUESTS], EstimateOptions(calibration=ROOT / "examples" / "calibration.toml"), at=DAY)
    assert {m.model: m.token_method.factor for m in e.by_model} == {
        "claude-haiku-4-5-20251001": Decimal("1.06"),
        "claude-sonnet-4-6": Decimal("1.08"),
    }


def test_cli_formats_and_errors(tmp_path: Path) -> None:
    args = ["calibrate", REQUESTS, RESULTS, "--at", "2026-11-25"]
    data = json.loads(run_cli([*args, "-f", "json"]).stdout)
    assert (data["kind"], data["counts"]["joined"], data["min_samples"], data["output"]) == (
        "calibration",
        68,
        30,
        None,
    )
    assert data["models"][1]["request_tokens"] == "11.5244"
    assert data["models"][1]["factors"]["latin"] == "1.0576"
    assert data["models"][1]["fitted"]["mean_abs_error"] == "0.0133"
    assert data["calibration"]["schema_version"] == 2
    assert data["effect"][-1]["model"] == "total"
    csv_rows = run_cli([*args, "-f", "csv"]).stdout.splitlines()
    assert csv_rows[0].startswith("scope,name,samples,request_tokens,factors,mean_abs_error")
    assert "prefix,qa,8,,,,,,,,222,357,,no" in csv_rows
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
