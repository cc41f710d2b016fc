"""``claude-quote project``: the three inputs, every format, what-if, the chart, and each bad input."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, console_script, run_cli

EXAMPLE = ROOT / "examples" / "workloads.toml"
ESTIMATE = ROOT / "tests" / "data" / "estimate.json"
CHAT = "project sonnet-4.6 --input 2k --output 500 --requests 1000 --per day --growth 5 --start 2026-12"
"""2,000 + 500 tokens on Sonnet 4.6 ($0.0135 a request), 1,000 a day, +5% a month, from December 2026."""


def _json(args: str) -> dict[str, Any]:
    result = run_cli(args + " --format json")
    assert result.exit_code == 0, result.stdout + result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_model_and_tokens_table() -> None:
    result = run_cli(CHAT + " --months 2")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert out.startswith("Projection: 2 months from 2026-12\n")
    assert "2,000 input + 500 output tokens per request, 1,000 requests/day, +5%/month compounding" in out
    assert "month length  calendar: the real days of each month" in out
    # Dec 31,000 × $0.0135 = $418.50, batch $209.25; Jan 32,550 × $0.0135 = $439.425 → $439.43 (half up),
    # batch $219.7125 → $219.71
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("202")}
    assert rows["2026-12"] == [
        "2026-12",
        "31",
        "31,000",
        "62,000,000",
        "15,500,000",
        *["$418.50"],
        *["$209.25"] * 3,
    ]
    assert rows["2027-01"][:3] == ["2027-01", "31", "32,550"]
    assert rows["2027-01"][5:7] == ["$439.43", "$219.71"]
    # totals 857.925 → $857.93; 428.9625 → $428.96 twice, which add up to $857.92: the note says so
    assert (
        "Over 2 months: real time $857.93, batch $428.96; batch saves $428.96 (50%; figures rounded)." in out
    )


def test_json_contract() -> None:
    data = _json(CHAT + " --months 2")
    assert (data["schema_version"], data["kind"], data["start"], data["months_count"]) == (
        1,
        "projection",
        "2026-12",
        2,
    )
    assert data["month_length"] == "calendar"
    assert data["average_month_days"] is None
    assert data["price_date"] == "first day of each month"
    assert len(data["pricing_sha256"]) == 64
    first = data["months"][0]
    assert first == {
        "month": "2026-12",
        "days": "31",
        "requests": 31000,
        "input_tokens": 62000000,
        "output_tokens": 15500000,
        "realtime_cost": "418.5",
        "batch_cost": "209.25",
        "blended_cost": "209.25",
        "savings": "209.25",
        "cumulative_savings": "209.25",
        "retired": [],
    }
    assert data["years"][0]["realtime_cost"] == "857.925"  # $418.50 + $439.425
    assert data["totals"]["savings"] == "428.9625"
    (workload,) = data["workloads"]
    assert (workload["name"], workload["model"], workload["requests"], workload["per"]) == (
        "sonnet-4.6",
        "claude-sonnet-4-6",
        "1000",
        "day",
    )
    assert workload["months"][1]["requests_unrounded"] == "32550"


def test_average_month_length() -> None:
    data = _json(CHAT + " --months 1 --month-length average --growth 0")
    # 1,000 × 30.4375 = 30,437.5 → 30,438 (half-even)
    assert data["average_month_days"] == "30.4375"
    assert (data["months"][0]["days"], data["months"][0]["requests"]) == ("30.4375", 30438)


def test_csv_has_exact_values() -> None:
    result = run_cli(CHAT + " --months 2 --format csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["month"] for r in rows] == ["2026-12", "2027-01"]
    assert rows[1]["realtime_cost"] == "439.425"
    assert rows[1]["cumulative_savings"] == "428.9625"


def test_markdown() -> None:
    out = run_cli(CHAT + " --months 1 --format markdown").stdout
    assert out.startswith("### Projection: 1 month from 2026-12\n")
    assert (
        "| 2026-12 | 31 | 31,000 | 62,000,000 | 15,500,000 | $418.50 | $209.25 | $209.25 | $209.25 |" in out
    )


def test_hybrid_and_cache_flags() -> None:
    args = (
        "project sonnet-4.6 --input 1000 --cache-read 10k --output 500 --requests 100 --start 2026-12"
        " --months 1 --batch-share 0.7 --cache-hit-rate 0.8"
    )
    month = _json(args)["months"][0]
    # 30 real time × $0.0135 = $0.405; 70 in batch with 80% cache hits = $0.8715 (see test_projections)
    assert (month["realtime_cost"], month["blended_cost"]) == ("1.35", "1.2765")
    table = run_cli(args).stdout
    assert "blended" in table
    assert "Savings = real-time − blended." in table


def test_from_estimate() -> None:
    data = _json(f"project --from-estimate {ESTIMATE} --start 2026-12 --months 1")
    # The estimate's 33 requests a month: Sonnet 30 × $0.0135 = $0.405; Haiku 3 requests = $0.009505
    assert [w["model"] for w in data["workloads"]] == ["claude-sonnet-4-6", "claude-haiku-4-5-20251001"]
    assert data["months"][0]["realtime_cost"] == "0.414505"
    scaled = _json(f"project --from-estimate {ESTIMATE} --requests 10 --start 2026-12 --months 1")
    assert [w["months"][0]["requests"] for w in scaled["workloads"]] == [9, 1]


def test_spec_and_overrides() -> None:
    data = _json(f"project --spec {EXAMPLE} --start 2026-12 --months 2")
    assert [w["name"] for w in data["workloads"]] == ["support-chat", "nightly-summaries", "contract-review"]
    assert [w["batch_share"] for w in data["workloads"]] == ["0", None, "0.7"]
    overridden = _json(f"project --spec {EXAMPLE} --start 2026-12 --months 1 --batch-share 1")
    assert [w["batch_share"] for w in overridden["workloads"]] == ["1", "1", "1"]
    # Everything in batch: blended = batch
    assert overridden["months"][0]["blended_cost"] == overridden["months"][0]["batch_cost"]


def test_compare() -> None:
    data = _json(CHAT + " --months 3 --growth 0 --requests 100 --per month --compare sonnet-4.6,haiku-4.5")
    assert data["kind"] == "comparison"
    assert data["ranked_by"] == "average_monthly_cost"
    # Haiku 4.5: 2,000 × $1 + 500 × $5 = $0.0045 × 100 = $0.45 a month; batch $0.225
    ranked = [(s["rank"], s["model"], s["mode"], s["average_monthly_cost"]) for s in data["scenarios"]]
    assert ranked == [
        (1, "claude-haiku-4-5-20251001", "batch", "0.225"),
        (2, "claude-haiku-4-5-20251001", "realtime", "0.45"),
        (3, "claude-sonnet-4-6", "batch", "0.675"),
        (4, "claude-sonnet-4-6", "realtime", "1.35"),
    ]
    assert data["scenarios"][0]["monthly_costs"] == ["0.225", "0.225", "0.225"]
    table = run_cli(CHAT + " --months 3 --compare sonnet-4.6,haiku-4.5").stdout
    assert table.startswith("What-if: 3 months from 2026-12, cheapest first\n")
    assert "cheapest" in table
    assert "+500%" in table  # Sonnet in real time costs 6× Haiku in batch


def test_compare_csv() -> None:
    # MODEL (sonnet-4.6) is ranked beside the --compare model. 100 requests of 2,000 input + 500 output:
    # Haiku 4.5: 200,000 × $1/MTok + 50,000 × $5/MTok = $0.20 + $0.25 = $0.45 real time, $0.225 batch;
    # Sonnet 4.6: 200,000 × $3/MTok + 50,000 × $15/MTok = $0.60 + $0.75 = $1.35 real time, $0.675 batch.
    out = run_cli(CHAT + " --months 1 --requests 100 --per month --compare haiku-4.5 --format csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["rank"], r["model"], r["mode"], r["total_cost"]) for r in rows] == [
        ("1", "claude-haiku-4-5-20251001", "batch", "0.225"),
        ("2", "claude-haiku-4-5-20251001", "realtime", "0.45"),
        ("3", "claude-sonnet-4-6", "batch", "0.675"),
        ("4", "claude-sonnet-4-6", "realtime", "1.35"),
    ]


def test_compare_keeps_model_and_its_tokenizer_warning() -> None:
    # project MODEL --compare A,B ranks MODEL too; listed again it is ranked once
    once = run_cli(CHAT + " --months 1 --compare haiku-4.5 --format json")
    twice = run_cli(CHAT + " --months 1 --compare sonnet-4.6,haiku-4.5 --format json")
    assert once.exit_code == twice.exit_code == 0
    assert json.loads(once.stdout)["scenarios"] == json.loads(twice.stdout)["scenarios"]
    models = {s["model"] for s in json.loads(once.stdout)["scenarios"]}
    assert models == {"claude-sonnet-4-6", "claude-haiku-4-5-20251001"}
    # sonnet-4.6 (claude-3 tokenizer) against opus-5.5 (claude-4.7): the tokenizer warning names both
    mixed = run_cli(CHAT + " --months 1 --compare opus-5.5 --format json")
    warnings = json.loads(mixed.stdout)["warnings"]
    assert any("different tokenizers (claude-3, claude-4.7)" in w for w in warnings)


# --------------------------------------------------------------------------------------------------
# The chart


@pytest.mark.parametrize(("suffix", "magic"), [("svg", b"<?xml"), ("png", b"\x89PNG")])
def test_plot(tmp_path: Path, suffix: str, magic: bytes) -> None:
    target = tmp_path / f"chart.{suffix}"
    result = run_cli(f"{CHAT} --months 3 --format json --plot {target}")
    assert result.exit_code == 0, result.stderr
    # JSON on stdout: the file written, then the report's warnings, go to stderr
    assert result.stderr.splitlines()[0] == f"wrote {target}"
    assert result.stderr.splitlines()[1:] == [f"warning: {w}" for w in json.loads(result.stdout)["warnings"]]
    assert target.read_bytes().startswith(magic)
    json.loads(result.stdout)  # the report is still written


def test_plot_svg_is_reproducible(tmp_path: Path) -> None:
    first, second = tmp_path / "a.svg", tmp_path / "b.svg"
    run_cli(f"{CHAT} --months 3 --plot {first}")
    run_cli(f"{CHAT} --months 3 --plot {second}")
    assert first.read_bytes() == second.read_bytes()


def test_plot_without_matplotlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("matplotlib", "matplotlib.backends.backend_agg", "matplotlib.figure", "matplotlib.ticker"):
        monkeypatch.setitem(sys.modules, name, None)
    result = run_cli(f"{CHAT} --plot {tmp_path / 'chart.png'}")
    assert result.exit_code == 2
    assert (
        result.stderr
        == "error: --plot needs matplotlib, which is not installed: pip install 'claude-quote[plot]'\n"
    )
    assert not (tmp_path / "chart.png").exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("--plot chart.pdf", "error: --plot 'chart.pdf': the file must end in .png or .svg"),
        (
            "--plot chart.png --compare haiku",
            "error: --plot draws a projection; it cannot be combined with --compare",
        ),
    ],
)
def test_plot_errors(extra: str, message: str) -> None:
    result = run_cli(f"{CHAT} {extra}")
    assert result.exit_code == 2
    assert result.stderr.strip() == message


# --------------------------------------------------------------------------------------------------
# Bad input: exit 2, the field named


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            "project sonnet-4.6 --input 2k --requests -5",
            "Invalid value for '--requests': requests '-5' is negative",
        ),
        (
            "project sonnet-4.6 --requests 1 --growth -100",
            "Invalid value for '--growth': growth must be above -100%",
        ),
        (
            "project sonnet-4.6 --requests 1 --growth=-150",
            "Invalid value for '--growth': growth must be above -100%",
        ),
        (
            "project sonnet-4.6 --requests 1 --growth five",
            "Invalid value for '--growth': 'five' is not a number; write a number of percent, e.g. 5 or 5%",
        ),
        (
            "project sonnet-4.6 --requests 1 --months 0",
            "Invalid value for '--months': 0 is too small; give 1 or more",
        ),
        (
            "project sonnet-4.6 --requests 1 --months 1201",
            "Invalid value for '--months': 1201 is too large; give at most 1,200",
        ),
        (
            "project sonnet-4.6 --requests 1 --batch-share 1.5",
            "Invalid value for '--batch-share': 1.5 is more than 1 (did you mean 1.5%?); write a number from 0 to 1 (0.5) or a percentage (50%)",
        ),
        (
            "project sonnet-4.6 --requests 1 --cache-hit-rate -0.1",
            "Invalid value for '--cache-hit-rate': -0.1 is negative",
        ),
        (
            "project sonnet-4.6 --requests 1 --batch-share 101%",
            "Invalid value for '--batch-share': 101% is above 100%",
        ),
        (
            "project sonnet-4.6 --input -1 --requests 1",
            "Invalid value for '--input': token count '-1' is negative",
        ),
    ],
)
def test_bad_option_values(args: str, message: str) -> None:
    result = run_cli(args)
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            "project sonet-4.6 --input 2k --requests 1 --start 2026-12",
            "error: unknown model 'sonet-4.6'; did you mean 'sonnet-4.6', 'sonnet-4.5' or 'sonnet-4'?",
        ),
        ("project sonnet-4.6 --input 2k", "error: --requests is required with MODEL"),
        ("project --requests 5", "error: give the work one way: MODEL with tokens per request"),
        (f"project sonnet-4.6 --spec {EXAMPLE}", "(got MODEL and --spec)"),
        (
            f"project --spec {EXAMPLE} --input 2k",
            "error: --input: tokens per request go with MODEL, not with --spec",
        ),
        (
            f"project --spec {EXAMPLE} --requests 5 --growth 2",
            "error: --requests, --growth: the spec gives each",
        ),
        (f"project --from-estimate {ESTIMATE} --name x", "error: --name labels a MODEL workload"),
        (
            "project sonnet-4.6 --requests 1 --start 2026-13",
            "error: --start '2026-13' is not a month; write YYYY-MM",
        ),
        (
            "project sonnet-5.5 --requests 1 --start 2026-09",
            "error: workload 'sonnet-5.5': claude-sonnet-5-5 was released on 2026-09-28",
        ),
        ("project sonnet-4.6 --requests 1 --compare ,", "error: --compare ',': name at least one model"),
        ("project sonnet-4.6 --requests 1 --compare opus,hiaku", "error: unknown model 'hiaku'"),
        (f"project --from-estimate {EXAMPLE}", "error: " + str(EXAMPLE) + ":1: not valid JSON"),
        ("project --spec missing.toml", "error: cannot read workload spec 'missing.toml'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: str, message: str) -> None:
    result = run_cli(args)
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_malformed_spec_names_file_and_key(tmp_path: Path) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("growth_percent = 2", "growth_percent = -120"),
        encoding="utf-8",
    )
    result = run_cli(f"project --spec {spec}")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {spec}: workloads[1] (nightly-summaries).growth_percent: must be more than -100 (got -120)\n"
    )


def test_default_start_is_next_month(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import date

    monkeypatch.setattr("claude_quote.projections.months.today", lambda: date(2026, 11, 25))
    data = _json("project sonnet-4.6 --input 2k --requests 1 --months 1")
    assert data["start"] == "2026-12"


# --------------------------------------------------------------------------------------------------
# Through the installed script, and start-up imports


@pytest.mark.slow
def test_console_script_end_to_end() -> None:
    proc = subprocess.run(
        [console_script(), *CHAT.split(), "--months", "1", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["months"][0]["realtime_cost"] == "418.5"


_IMPORTS = """
import sys
from claude_quote.cli import app
try:
    app(args=sys.argv[1:], standalone_mode=False)
finally:
    heavy = sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'tiktoken', 'matplotlib', 'numpy'})
    print('HEAVY=' + ','.join(heavy), file=sys.stderr)
"""


def _heavy_imports(*args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", _IMPORTS, *args], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stderr.rsplit("HEAVY=", 1)[1].strip()


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        "price sonnet-4.6 --input 1M --output 1M --format json",
        "price sonnet-4.6 --input 1M --output 1M",
        CHAT + " --format json",
        CHAT + " --compare opus,sonnet,haiku",
    ],
)
def test_commands_do_not_import_pandas_or_tiktoken(args: str) -> None:
    assert _heavy_imports(*args.split()) == ""


@pytest.mark.slow
def test_the_import_check_sees_heavy_imports(tmp_path: Path) -> None:
    """The check above can fail: drawing a chart does import matplotlib (and numpy)."""
    assert _heavy_imports(*CHAT.split(), "--plot", str(tmp_path / "c.png")) == "matplotlib,numpy"
