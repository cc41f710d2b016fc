"""``claude-quote reconcile`` in-process, every format and error path, and once through the script."""

from __future__ import annotations

import csv
import importlib
import io
import json
import subprocess
from datetime import date
from pathlib import Path

import pytest

from claude_quote import Usage
from claude_quote.pricing import PriceTable
from tests.conftest import ROOT, console_script, run_cli

# The module, not the command function that claude_quote.cli re-exports under the same name.
cli_reconcile = importlib.import_module("claude_quote.cli.reconcile")

EXAMPLE = "examples/batch-results.jsonl"
MIXED = str(ROOT / "tests" / "data" / "batch-results-mixed.jsonl")
USAGE = str(ROOT / "tests" / "data" / "usage-report.jsonl")
COST = str(ROOT / "tests" / "data" / "cost-report.json")


@pytest.fixture(autouse=True)
def _repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_json_contract() -> None:
    result = run_cli(["reconcile", EXAMPLE, "--at", "2026-11-25", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["schema_version"], data["kind"], data["source"]) == (1, "reconcile", "batch_results")
    assert data["pricing_version"] == "2026.12.01"
    assert data["pricing_checked"] == "2026-12-01"
    assert len(data["pricing_sha256"]) == 64
    assert data["results"] == {"succeeded": 6, "errored": 1, "canceled": 1, "expired": 1, "total": 9}
    # Sonnet 4.6 $0.085425 + Haiku 5.5 $0.0348 + Opus 4.7 $0.0875 (docs/reconcile.md shows the sums)
    assert data["actual"]["batch"]["total"] == "0.207725"
    assert data["actual"]["realtime_equivalent"]["total"] == "0.38545"
    assert data["savings"] == {"amount": "0.177725", "percent": "46.10844467505513036710338565"}
    assert (data["estimate"], data["error_percent"], data["comparison"]) == (None, None, None)
    assert data["cache_split_missing"] == 1
    assert [m["model"] for m in data["by_model"]] == [
        "claude-haiku-5-5",
        "claude-opus-4-7",
        "claude-sonnet-4-6",
    ]
    assert data["by_model"][0]["actual"]["batch"]["total"] == "0.0348"


def test_csv_is_exact() -> None:
    result = run_cli(["reconcile", MIXED, "--at", "2026-11-25", "--format", "csv"])
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][0] == "model"
    assert rows[-1][0] == "total"
    assert rows[-1][-2:] == ["0.16860025", "0.3172005"]


def test_table_and_markdown() -> None:
    table = run_cli(["reconcile", MIXED, "--at", "2026-11-25"])
    assert table.exit_code == 0
    assert "11 (6 succeeded, 2 errored, 2 canceled, 1 expired)" in table.stdout
    assert "batch saved $0.15 (46.85%)" in table.stdout  # 0.14860025 ÷ 0.3172005
    markdown = run_cli(["reconcile", MIXED, "--at", "2026-11-25", "-f", "markdown"])
    assert markdown.stdout.startswith("### Batch results: what it cost\n")
    assert "| claude-opus-4-7 | 1 |" in markdown.stdout


def test_bad_line_is_one_line_on_stderr_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text(
        '{"custom_id": "a", "result": {"type": "canceled"}}\n{"custom_id": "b", "result": {"type": "lost"}}\n'
    )
    result = run_cli(["reconcile", str(path), "--at", "2026-11-25"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"error: {path}:2: custom_id 'b': unknown result type \"lost\"; "
        "expected succeeded, errored, canceled or expired\n"
    )
    skipped = run_cli(["reconcile", str(path), "--at", "2026-11-25", "--skip-invalid", "-f", "json"])
    assert skipped.exit_code == 0
    data = json.loads(skipped.stdout)
    assert data["skipped"]["count"] == 1
    assert data["skipped"]["lines"][0]["line"] == 2


def test_missing_results_file() -> None:
    result = run_cli(["reconcile", "nope.jsonl"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: nope.jsonl: cannot read results file")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give a results file (RESULTS.jsonl) or --usage-report FILE"),
        (
            [EXAMPLE, "--usage-report", USAGE],
            "give either RESULTS.jsonl (with --request-file) or --usage-report, not both",
        ),
        (["--cost-report", COST], "--cost-report needs --usage-report"),
        (["--usage-report", USAGE, "--at", "2026-11-25"], "--at does not apply to --usage-report"),
    ],
)
def test_option_errors(args: list[str], message: str) -> None:
    result = run_cli(["reconcile", *args])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {message}")


# --- --request-file and the estimator adapter ----------------------------------------------------


SUPPORT_REQUESTS = "examples/batch-requests-support.jsonl"
SUPPORT_RESULTS = "examples/batch-results-support.jsonl"


def test_requests_are_estimated_by_the_estimator() -> None:
    args = [
        "reconcile",
        SUPPORT_RESULTS,
        "--request-file",
        SUPPORT_REQUESTS,
        "--at",
        "2026-11-25",
        "-f",
        "json",
    ]
    result = run_cli([*args, "--worst", "100"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    comparison = data["comparison"]
    # 70 requests, 70 results: 68 succeeded pairs, sum-031 errored (not billed), cls-031 has no result,
    # cls-099 is a result without a request (expired, so not counted as unestimated).
    assert comparison["requests"] == 68
    assert comparison["not_billed"]["by_type"] == {"errored": 1}
    assert comparison["missing_results"]["count"] == 1
    by_id = {r["custom_id"]: r for r in comparison["worst"]}
    assert len(by_id) == 68
    # qa-008: no output estimate, so the expected output is its max_tokens (2,048).
    assert by_id["qa-008"]["estimate_usage"]["output_tokens"] == 2048
    assert by_id["qa-008"]["actual_usage"]["output_tokens"] == 150
    assert float(data["error_percent"]) > 0  # max_tokens as output: the estimate is far too high


def test_requests_pass_estimate_options_through() -> None:
    base = [
        *("reconcile", SUPPORT_RESULTS, "--request-file", SUPPORT_REQUESTS),
        *("--at", "2026-11-25", "-f", "json", "--worst", "100"),
    ]
    given = json.loads(run_cli([*base, "--output-tokens", "10"]).stdout)
    assert {r["estimate_usage"]["output_tokens"] for r in given["comparison"]["worst"]} == {10}
    calibrated = json.loads(run_cli([*base, "--calibration", "examples/calibration-support.toml"]).stdout)
    outputs = {
        r["custom_id"]: r["estimate_usage"]["output_tokens"] for r in calibrated["comparison"]["worst"]
    }
    # prefix p50 first (sum 75, cls 2), then the model's p50 (qa: claude-sonnet-4-6, 78)
    assert (outputs["sum-001"], outputs["cls-001"], outputs["qa-001"]) == (75, 2, 78)
    factor = json.loads(run_cli([*base, "--token-factor", "2", "--output-ratio", "0"]).stdout)
    row = next(r for r in factor["comparison"]["worst"] if r["custom_id"] == "sum-001")
    assert row["estimate_usage"]["output_tokens"] == 0


def test_estimate_options_need_requests() -> None:
    result = run_cli(["reconcile", EXAMPLE, "--output-tokens", "10"])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "error: --output-tokens, --output-ratio, --calibration and --token-factor"
    )


def test_bad_request_file_names_file_and_line(tmp_path: Path) -> None:
    requests = tmp_path / "requests.jsonl"
    requests.write_text(
        '{"custom_id": "summarise-0001", "params": {"model": "claude-sonnet-4-6", "max_tokens": 10, '
        '"messages": [{"role": "user", "content": "Hi"}]}}\n{"custom_id": "summarise-0001", "params": '
        '{"model": "claude-sonnet-4-6", "max_tokens": 10, "messages": [{"role": "user", "content": "Hi"}]}}\n'
    )
    result = run_cli(["reconcile", EXAMPLE, "--request-file", str(requests), "--at", "2026-11-25"])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {requests}:2: custom_id 'summarise-0001' already appeared on line 1; ids are unique in a batch\n"
    )
    skipped = run_cli(
        ["reconcile", EXAMPLE, "--request-file", str(requests), "--at", "2026-11-25", "--skip-invalid"]
    )
    assert skipped.exit_code == 0, skipped.output
    assert "compared  1 request(s)" in skipped.stdout


def _fake_estimates(
    path: Path, at: date, table: PriceTable, **options: object
) -> dict[str, tuple[str, Usage]]:
    assert (path, at) == (Path("requests.jsonl"), date(2026, 11, 25))
    return {
        # Sonnet 4.6 batch: 2,000 × $1.50 + 12,000 1h × $3 + 850 × $7.50 = $0.045375 (exact)
        "summarise-0001": (
            "claude-sonnet-4-6",
            Usage(input_tokens=2_000, cache_write_1h_tokens=12_000, output_tokens=850),
        ),
        # 120,000-token Haiku request estimated at 90,000: 90,000 × $0.05 + 2,000 × $0.25 = $0.005
        # against 120,000 × $0.25 + 2,000 × $1.25 = $0.0325 (the tier): error −$0.0275
        "classify-0002": ("claude-haiku-5-5", Usage(input_tokens=90_000, output_tokens=2_000)),
    }


def test_requests_compare_through_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_reconcile, "_estimate_requests", _fake_estimates)
    args = ["reconcile", EXAMPLE, "--request-file", "requests.jsonl", "--at", "2026-11-25"]
    data = json.loads(run_cli([*args, "-f", "json"]).stdout)
    assert data["estimate"] == "0.050375"  # 0.045375 + 0.005
    assert data["comparison"]["actual"]["total"] == "0.077875"  # 0.045375 + 0.0325
    assert data["error"] == "-0.0275"
    assert data["error_percent"] == "-35.31300160513643659711075441"
    assert [w["custom_id"] for w in data["comparison"]["worst"]] == ["classify-0002", "summarise-0001"]
    assert data["comparison"]["unestimated"]["count"] == 4
    assert data["actual"]["batch"]["total"] == "0.207725"
    table = run_cli(args).stdout
    assert "Worst misses (largest dollar error first, 2 shown)" in table
    # three decimals, as in the per-model table (it has $0.005); half up: 0.050375 → $0.050,
    # 0.077875 → $0.078, -0.0275 → -$0.028, and $0.078 - $0.028 = $0.050 as shown
    assert "Estimate $0.050 against actual $0.078: error -$0.028 (-35.31%; positive means" in table
    one = run_cli([*args, "--worst", "1", "-f", "json"]).stdout
    assert len(json.loads(one)["comparison"]["worst"]) == 1
    rows = list(csv.reader(io.StringIO(run_cli([*args, "-f", "csv"]).stdout)))
    assert rows[0][:2] == ["custom_id", "line"]
    assert [r[0] for r in rows[1:]] == ["summarise-0001", "classify-0002"]
    assert rows[2][-4:-1] == ["0.005", "0.0325", "-0.0275"]


# --- organisation bills ----------------------------------------------------------------------------


def test_usage_and_cost_reports() -> None:
    result = run_cli(["reconcile", "--usage-report", USAGE, "--cost-report", COST, "-f", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["kind"], data["source"]) == ("reconcile", "admin_api")
    assert data["actual"] == {"priced": "48.845", "billed": "49.277"}
    assert data["difference"] == "-0.432"
    assert data["period"] == {"first_day": "2026-10-06", "last_day": "2026-10-07"}
    priority = next(x for x in data["lines"] if x["service_tier"] == "priority")
    assert (priority["priced"], priority["billed"]) == (None, None)
    table = run_cli(["reconcile", "--usage-report", USAGE, "--cost-report", COST]).stdout
    assert "Billed for the same models and tiers: $49.28; difference -$0.43 (-0.88%" in table
    assert "not priced" in table
    assert "lower bound" in table


def test_usage_report_alone_csv() -> None:
    rows = list(csv.reader(io.StringIO(run_cli(["reconcile", "--usage-report", USAGE, "-f", "csv"]).stdout)))
    assert rows[0][-2:] == ["our_price", "note"]
    assert rows[-1][0] == "total priced"
    assert rows[-1][-2] == "48.845"


# --- end to end ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_installed_script_end_to_end(tmp_path: Path) -> None:
    script = console_script()
    ok = subprocess.run(
        [script, "reconcile", EXAMPLE, "--at", "2026-11-25", "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["actual"]["batch"]["total"] == "0.207725"
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"custom_id": "x", "result": {"type": "succeeded", "message": {"model": "claude-sonnet-4-6", "usage": {"input_tokens": -1}}}}\n'
    )
    failed = subprocess.run([script, "reconcile", str(bad)], capture_output=True, text=True, check=False)
    assert failed.returncode == 2
    assert failed.stdout == ""
    assert (
        failed.stderr
        == f"error: {bad}:1: usage.input_tokens is -1; token counts must be whole numbers of 0 or more\n"
    )
    org = subprocess.run(
        [script, "reconcile", "--usage-report", USAGE, "--cost-report", COST, "-f", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert org.returncode == 0, org.stderr
    assert json.loads(org.stdout)["actual"]["billed"] == "49.277"
