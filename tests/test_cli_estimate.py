"""``claude-quote estimate`` in-process, and once end to end through the installed script, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DAY, console_script, run_cli
from tests.workload_files import request, words, write_jsonl


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    lines = [
        request(words(20), system=words(10), custom_id="sum-1"),
        request(words(20), system=words(10), custom_id="sum-2"),
        request(words(5), model="haiku-4.5", max_tokens=50, custom_id="cls-1"),
    ]
    return write_jsonl(tmp_path / "batch.jsonl", lines)


def test_table_report_states_method_factor_and_output_policy(batch: Path) -> None:
    result = run_cli(["estimate", str(batch), "--at", "2026-11-25"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Estimate: 3 requests" in out
    assert "tiktoken cl100k_base × claude-3 content-class factors + framing, uncalibrated" in out
    assert "token band low" in out
    assert "\nworst case " in out
    assert (
        "Worst case: every request writes its max_tokens of output and reads nothing from the cache." in out
    )
    assert "warning: no output estimate was given" in out


def test_lines_by_model_when_models_differ(tmp_path: Path) -> None:
    # the same one-word prompt on two models: their input lines differ only by rate, so each line
    # names its model. Output, 100 tokens each (--output-tokens 100):
    # Haiku 4.5 output 100 × $5/MTok = $0.000500, Sonnet 4.6 output 100 × $15/MTok = $0.001500
    path = write_jsonl(
        tmp_path / "two.jsonl",
        [request("Hello", model="haiku-4.5", custom_id="a"), request("Hello", custom_id="b")],
    )
    out = run_cli(["estimate", str(path), "--at", "2026-11-25", "--output-tokens", "100"]).stdout
    lines = out[out.index("Expected cost by line") :].splitlines()
    rows = [line.split() for line in lines[3:7]]
    assert [row[:2] for row in rows] == [
        ["claude-haiku-4-5-20251001", "input"],
        ["claude-haiku-4-5-20251001", "output"],
        ["claude-sonnet-4-6", "input"],
        ["claude-sonnet-4-6", "output"],
    ]
    assert rows[1][2:5] == ["100", "$5.00", "$0.000500"]
    assert rows[3][2:5] == ["100", "$15.00", "$0.001500"]
    one = run_cli(["estimate", str(path), "--model", "sonnet-4.6", "--at", "2026-11-25"]).stdout
    assert "\ninput " in one  # one model: lines without its name


def test_skipped_lines_are_each_named_in_every_format(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "b.jsonl", [request(custom_id="a"), "not json", "[1]", request(custom_id="d")]
    )
    args = ["estimate", str(path), "--skip-invalid", "--at", "2026-11-25", "--output-tokens", "10"]
    text = run_cli(args)
    assert f"warning: skipped 2 invalid lines or rows:\n  {path}:2: not valid JSON" in text.output
    assert f"\n  {path}:3: expected a JSON object, got list" in text.output
    markdown = run_cli([*args, "--format", "markdown"]).stdout
    assert "> **Warning:** skipped 2 invalid lines or rows:\n> - " + f"{path}:2: not valid JSON" in markdown
    assert f"\n> - {path}:3: expected a JSON object, got list\n" in markdown
    document = json.loads(run_cli([*args, "--format", "json"]).stdout)
    assert document["skipped"] == 2
    assert [(s["file"], s["line"]) for s in document["skipped_lines"]] == [(str(path), 2), (str(path), 3)]


def test_a_warning_s_list_folds_under_its_items_in_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from claude_quote import EstimateOptions, estimate
    from claude_quote.render import render

    long = "x" * 120  # the invalid line is quoted, cut to 80 characters: its item folds at 80 columns
    write_jsonl(tmp_path / "b.jsonl", [request(custom_id="a"), "not json " + long, "[1]"])
    monkeypatch.chdir(tmp_path)  # named as given: a short name, so the figures below are the item's
    path = "b.jsonl"
    e = estimate([path], EstimateOptions(skip_invalid=True, output_tokens=10), at=DAY)
    lines = render(e, "table", width=80).splitlines()
    start = lines.index("warning: skipped 2 invalid lines or rows:")
    items = lines[start + 1 :]
    assert items[0].startswith(f"  {path}:2: not valid JSON")
    assert all(line.startswith("    ") for line in items[1:-1])  # its folds, deeper than the items
    assert items[-1] == f"  {path}:3: expected a JSON object, got list"
    assert max(len(line) for line in lines[start:]) <= 80


def test_json_contract(batch: Path) -> None:
    result = run_cli(
        [
            "estimate",
            str(batch),
            "--at",
            "2026-11-25",
            "--output-tokens",
            "100",
            "--token-factor",
            "1",
            "-f",
            "json",
        ]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1
    assert data["kind"] == "estimate"
    for key in (
        "requests",
        "input_tokens",
        "output_tokens",
        "token_method",
        "realtime",
        "batch",
        "savings",
        "worst_case",
        "by_model",
        "warnings",
        "pricing_version",
        "pricing_sha256",
    ):
        assert key in data, key
    assert data["requests"] == 3
    # sonnet: 2 × (10 + 1 + 20) = 62 tokens; haiku: 5
    assert data["input_tokens"] == 67
    assert data["output_tokens"] == 250  # 100 + 100 + min(100, 50)
    assert data["token_method"]["factor"] == "1"
    assert data["token_method"]["description"] == (
        "tiktoken cl100k_base × 1, factor given by the user (no content classes, no framing; error unknown)"
    )
    assert data["token_band"] is None  # the error of a factor the user chose is unknown
    # sonnet: 62 × $3 + 200 × $15 = 186 + 3,000 µ$; haiku: 5 × $1 + 50 × $5 = 5 + 250 µ$ → $0.003441
    assert data["realtime"]["total"] == "0.003441"
    assert data["batch"]["total"] == "0.0017205"
    assert data["savings"] == {"amount": "0.0017205", "percent": "50"}
    assert data["worst_case"]["output_tokens"] == 250  # max_tokens 100 + 100 + 50
    assert [m["model"] for m in data["by_model"]] == ["claude-haiku-4-5-20251001", "claude-sonnet-4-6"]
    assert isinstance(data["realtime"]["lines"][0]["amount"], str)
    assert "groups" not in data


def test_group_by_prefix_and_csv(batch: Path) -> None:
    result = run_cli(
        [
            "estimate",
            str(batch),
            "--at",
            "2026-11-25",
            "--output-tokens",
            "0",
            "--group-by",
            "prefix",
            "-f",
            "csv",
        ]
    )
    assert result.exit_code == 0, result.output
    rows = result.stdout.splitlines()
    assert rows[0].startswith("scope,name,requests,input_tokens")
    assert [r.split(",")[:3] for r in rows[1:]] == [
        ["total", "", "3"],
        ["model", "claude-haiku-4-5-20251001", "1"],
        ["model", "claude-sonnet-4-6", "2"],
        ["prefix", "cls", "1"],
        ["prefix", "sum", "2"],
        ["token_band", "low", "3"],
        ["token_band", "high", "3"],
    ]
    point = int(rows[1].split(",")[3])
    low, high = int(rows[6].split(",")[3]), int(rows[7].split(",")[3])
    assert low < point < high  # the token band brackets the point estimate


def test_markdown(batch: Path) -> None:
    result = run_cli(
        ["estimate", str(batch), "--at", "2026-11-25", "--output-ratio", "0.5", "-f", "markdown"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("### Estimate: 3 requests")
    assert "0.5 × prompt tokens (given ratio)" in result.stdout


def test_cache_hit_rate_accepts_a_percentage(tmp_path: Path) -> None:
    system = [{"type": "text", "text": words(1100), "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    path = write_jsonl(
        tmp_path / "c.jsonl", [request("hi", system=system, custom_id=f"c-{i}") for i in range(3)]
    )
    result = run_cli(["estimate", str(path), "--at", "2026-11-25", "--cache-hit-rate", "50%", "-f", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["cache_bands"]["hit_rate"] == "0.5"
    assert set(data["cache_bands"]["bands"]) == {"no_cache", "miss", "expected", "best"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--output-ratio", "abc"], "'abc' is not a decimal number"),
        (["--output-tokens", "-5"], "negative"),
        # a share: 0 to 1, or a percentage; 2 reads like a percentage without its sign
        (
            ["--cache-hit-rate", "2"],
            "Invalid value for '--cache-hit-rate': 2 is more than 1 (did you mean 2%?)",
        ),
        (["--cache-hit-rate", "101%"], "Invalid value for '--cache-hit-rate': 101% is above 100%"),
        (["--cache-hit-rate", "-1"], "Invalid value for '--cache-hit-rate': -1 is negative"),
        (["--model", "sonet-4.6"], "unknown model 'sonet-4.6'; did you mean 'sonnet-4.6'"),
    ],
)
def test_bad_options_exit_2(batch: Path, args: list[str], message: str) -> None:
    result = run_cli(["estimate", str(batch), "--at", "2026-11-25", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_bad_input_exits_2_with_file_and_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "b.jsonl", [request("hi"), '{"custom_id": "x", "params": 7}'])
    result = run_cli(["estimate", str(path), "--at", "2026-11-25"])
    assert result.exit_code == 2
    assert result.stderr.startswith(f'error: {path}:2: "params" must be an object')
    assert "Traceback" not in result.output
    skipped = run_cli(["estimate", str(path), "--at", "2026-11-25", "--skip-invalid", "--output-tokens", "0"])
    assert skipped.exit_code == 0
    assert "skipped 1 invalid line or row" in skipped.stdout


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = run_cli(["estimate", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert "nope.jsonl: no such file or directory" in result.stderr


def test_unknown_model_inside_a_request_exits_2(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "b.jsonl", [request("hi", model="claude-opus-9")])
    result = run_cli(["estimate", str(path), "--at", "2026-11-25"])
    assert result.exit_code == 2
    assert f"{path}:1: unknown model 'claude-opus-9'" in result.stderr


def test_no_progress_bar_when_not_a_terminal(batch: Path) -> None:
    # CliRunner's stderr is not a terminal: nothing but the report is written
    result = run_cli(["estimate", str(batch), "--at", "2026-11-25", "--output-tokens", "1"])
    assert result.stderr == ""


_NO_NETWORK = """
import socket
def _refuse(*args, **kwargs):
    raise OSError("network access attempted during the test")
socket.socket.connect = _refuse
socket.create_connection = _refuse
"""


@pytest.mark.slow
def test_end_to_end_offline_through_the_installed_script(batch: Path, tmp_path: Path) -> None:
    """A fresh process with no network and an empty TIKTOKEN_CACHE_DIR uses the packaged encoding."""
    blocker = tmp_path / "site"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(_NO_NETWORK, encoding="utf-8")
    cache = tmp_path / "cache"
    cache.mkdir()
    env = {**os.environ, "PYTHONPATH": str(blocker), "TIKTOKEN_CACHE_DIR": str(cache), "CI": "true"}
    proc = subprocess.run(
        [
            console_script(),
            "estimate",
            str(batch),
            "--at",
            "2026-11-25",
            "--output-tokens",
            "100",
            "-f",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert proc.stderr.splitlines() == [
        f"warning: {w}" for w in data["warnings"]
    ]  # JSON on stdout: warnings on stderr
    assert data["kind"] == "estimate"
    assert data["token_method"]["encoding"] == "cl100k_base"
    assert list(cache.iterdir()) == []  # nothing was written into the cache
    # the blocker works: a connection attempt in that environment fails
    check = subprocess.run(
        [sys.executable, "-c", "import socket; socket.create_connection(('127.0.0.1', 9))"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert "network access attempted" in check.stderr
