"""``claude-quote price`` and ``claude-quote models`` in-process, and end to end through the script."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, console_script, run_cli

AT = "--at 2026-11-25"


def test_price_json_contract() -> None:
    result = run_cli(f"price sonnet-4.6 --input 5M --output 2M --format json {AT}")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1
    assert data["model"] == "claude-sonnet-4-6"
    assert data["pricing_version"] == "2026.12.01"
    assert data["pricing_checked"] == "2026-12-01"
    assert len(data["pricing_sha256"]) == 64
    # 5M × $3 + 2M × $15 = $45; batch half = $22.50; money as exact decimal strings
    assert data["realtime"]["total"] == "45"
    assert data["batch"]["total"] == "22.5"
    assert data["savings"] == {"amount": "22.5", "percent": "50"}
    assert data["realtime"]["lines"][0] == {
        "kind": "input",
        "tokens": 5_000_000,
        "rate_per_mtok": "3",
        "amount": "15",
    }
    assert data["batch"]["lines"][1] == {
        "kind": "output",
        "tokens": 2_000_000,
        "rate_per_mtok": "7.5",
        "amount": "15",
    }
    assert data["requests"] is None
    assert data["token_method"] == "given"
    assert data["warnings"] == []
    assert result.stderr == ""


def test_price_table_is_readable() -> None:
    result = run_cli(f"price sonnet-4.6 --input 5M --output 2M {AT}")
    assert result.exit_code == 0
    out = result.stdout
    assert "Claude Sonnet 4.6: real-time vs batch" in out
    assert "$45.00" in out
    assert "$22.50" in out
    assert "Batch saves $22.50 (50%)." in out


def test_price_csv_is_exact() -> None:
    result = run_cli(f"price haiku-5.5 --input 1,234,567 --output 1_000 --format csv {AT}")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    # 1,234,567 × $0.10 / 1M = $0.1234567 (exact, not rounded to cents)
    assert rows[0] == {
        "mode": "realtime",
        "kind": "input",
        "tier_above_prompt_tokens": "",
        "quantity": "1234567",
        "unit": "tokens",
        "rate": "0.1",
        "rate_unit": "per_mtok",
        "amount": "0.1234567",
    }
    assert [r["amount"] for r in rows if r["kind"] == "total"] == ["0.1239567", "0.06197835"]
    # two requests of 617,283.5 prompt tokens each are over Haiku 5.5's 100,000-token tier: the column
    # says so as a number
    tiered = run_cli(f"price haiku-5.5 --input 1,234,567 --requests 2 --format csv {AT}")
    first = next(csv.DictReader(io.StringIO(tiered.stdout)))
    assert (first["tier_above_prompt_tokens"], first["rate"]) == ("100000", "0.5")


def test_price_markdown() -> None:
    result = run_cli(f"price opus-4.6 --input 1M --cache-read 3M --format markdown {AT}")
    assert result.exit_code == 0
    assert result.stdout.startswith("### Claude Opus 4.6: real-time vs batch\n")
    # 1M × $5 + 3M × $0.50 = $6.50; batch $3.25
    assert "| **total** |  |  | **$6.50** |  | **$3.25** |" in result.stdout


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ("--input 1.5", "'1.5' is not a whole number of tokens"),
        ("--input -5", "'-5' is negative"),
        ("--input five", "'five' is not a number"),
        ("--input 1,00", "misplaced thousands separators"),
        ("--output 2.5001k", "'2.5001k' is not a whole number"),
        ("--requests 0", "--requests"),
        ("--at 2026-13-01", "'2026-13-01' is not a date"),
        ("--geo eu", "--geo"),
    ],
)
def test_bad_input_exits_2_quoting_the_value(flags: str, message: str) -> None:
    result = run_cli(f"price sonnet-4.6 {flags}")
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_unknown_model_exits_2_with_suggestions_never_zero() -> None:
    result = run_cli(f"price sonet-4.6 --input 5M {AT}")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: unknown model 'sonet-4.6'; did you mean 'sonnet-4.6', 'sonnet-4.5' or 'sonnet-4'? "
        "Run `claude-quote models --all` to list every model.\n"
    )


def test_retired_model_warns_or_fails() -> None:
    warned = run_cli(f"price opus-4.1 --input 1M {AT}")
    assert warned.exit_code == 0
    assert "warning: claude-opus-4-1-20250805 was retired on 2026-08-05" in warned.stdout
    failed = run_cli(f"price opus-4.1 --input 1M --fail-on-retired {AT}")
    assert failed.exit_code == 2
    assert failed.stderr.startswith("error: claude-opus-4-1-20250805 was retired on 2026-08-05")


def test_fast_and_geo_options() -> None:
    result = run_cli(f"price opus-5 --input 1M --fast --geo us --format json {AT}")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    # fast $10/MTok × 1.1 = $11
    assert data["realtime"]["total"] == "11"
    assert data["batch"] is None
    assert data["savings"] is None
    bad = run_cli(f"price sonnet-4.5 --input 1M --geo us {AT}")
    assert bad.exit_code == 2
    assert "does not accept inference_geo 'us'" in bad.stderr


def test_requests_apply_tiers_per_request() -> None:
    flat = json.loads(run_cli(f"price haiku-5.5 --input 300k --requests 3 --format json {AT}").stdout)
    tiered = json.loads(run_cli(f"price haiku-5.5 --input 300003 --requests 3 --format json {AT}").stdout)
    assert flat["realtime"]["total"] == "0.03"  # 3 × 100,000 × $0.10
    assert tiered["realtime"]["total"] == "0.1500015"  # 3 × 100,001 × $0.50
    assert tiered["realtime"]["lines"][0]["tier"] == "prompt > 100,000 tokens"


# --- custom tables -----------------------------------------------------------------------------------

NEGOTIATED = ROOT / "examples" / "negotiated-pricing.toml"
"""The example custom table from docs/pricing-data.md: Sonnet 4.6 at $2.40 / $12."""


def test_custom_pricing_by_flag_and_environment() -> None:
    path = NEGOTIATED
    by_flag = json.loads(run_cli(f"price sonnet-4.6 --input 1M --pricing {path} --format json {AT}").stdout)
    # 1M × $2.40 = $2.40
    assert by_flag["realtime"]["total"] == "2.4"
    assert by_flag["pricing_version"] == "acme-negotiated-2026-11"
    by_env = run_cli(
        f"price sonnet-4.6 --input 1M --format json {AT}", env={"CLAUDE_QUOTE_PRICING": str(path)}
    )
    assert json.loads(by_env.stdout)["realtime"]["total"] == "2.4"


def test_broken_custom_table_names_the_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text(NEGOTIATED.read_text().replace("input_per_mtok = 2.40", "input_per_mtok = -1"))
    result = run_cli(f"price sonnet-4.6 --input 1M --pricing {path} {AT}")
    assert result.exit_code == 2
    assert f"error: {path}: invalid pricing table" in result.stderr
    assert "models[claude-sonnet-4-6].prices[0].input_per_mtok" in result.stderr
    assert "Traceback" not in result.output


# --- models ------------------------------------------------------------------------------------------


def test_models_lists_available_models_on_a_date() -> None:
    result = run_cli(f"models --format json {AT}")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    ids = [m["id"] for m in data["models"]]
    assert "claude-sonnet-5-5" in ids
    assert "claude-opus-4-1-20250805" not in ids  # retired
    assert data["models"][0]["status"] == "current"
    everything = json.loads(run_cli(f"models --all --format json {AT}").stdout)
    assert len(everything["models"]) == 28
    statuses = {m["id"]: m["status"] for m in everything["models"]}
    assert statuses["claude-opus-4-1-20250805"] == "retired"
    assert statuses["claude-opus-5"] == "legacy"
    before = json.loads(run_cli("models --all --format json --at 2026-11-01").stdout)
    assert {m["id"]: m["status"] for m in before["models"]}["claude-fable-5-2"] == "unreleased"


def test_models_shows_one_model_with_history() -> None:
    result = run_cli(f"models sonnet-5.5 {AT}")
    assert result.exit_code == 0
    out = result.stdout
    assert "Claude Sonnet 5.5" in out
    assert "2026-09-28" in out
    assert "2026-10-07" in out
    assert "UNCERTAIN" in out
    data = json.loads(run_cli(f"models sonnet-5.5 --format json {AT}").stdout)
    reads = [p["cache_read_per_mtok"] for p in data["model"]["prices"]]
    assert reads == ["0.20", "0.10"]


def test_models_unknown() -> None:
    result = run_cli("models gpt-4o")
    assert result.exit_code == 2
    assert "unknown model 'gpt-4o'" in result.stderr


def test_version_and_help() -> None:
    assert run_cli("--version").stdout.startswith("claude-quote ")
    help_text = run_cli("--help").stdout
    assert "price" in help_text
    assert "models" in help_text


# --- end to end ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_installed_script_from_another_directory(tmp_path: Path) -> None:
    """The console script works from any directory: the price table ships inside the package."""
    proc = subprocess.run(
        [
            console_script(),
            "price",
            "sonnet-4.6",
            "--input",
            "5M",
            "--output",
            "2M",
            "--format",
            "json",
            "--at",
            "2026-11-25",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert (data["realtime"]["total"], data["batch"]["total"]) == ("45", "22.5")


@pytest.mark.slow
def test_installed_script_errors_have_no_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [console_script(), "price", "sonnet-9", "--input", "5M"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: unknown model 'sonnet-9'")
    assert "Traceback" not in proc.stderr
