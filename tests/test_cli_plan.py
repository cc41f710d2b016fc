"""``claude-quote plan`` in-process (formats, exit codes, --split and its refusals), and once end to end."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, console_script, run_cli
from tests.workload_files import request, write_jsonl

PROBLEMS = "examples/batch-requests-problems.jsonl"
CLEAN = "examples/batch-requests.jsonl"
BAD_LINES = "examples/batch-requests-bad-lines.jsonl"


def test_every_problem_is_listed_with_file_and_line_and_errors_exit_2() -> None:
    result = run_cli(["plan", PROBLEMS, "--at", "2026-11-25"])
    assert result.exit_code == 2
    out = result.stdout
    assert out.startswith("Plan: 12 requests in 2 batches; 9 errors, 1 warning\n")
    for line, code in [
        (2, "custom_id_format"),
        (3, "custom_id_duplicate"),
        (4, "model_not_api_id"),
        (5, "unknown_model"),
        (6, "retired_model"),
        (7, "max_tokens_over_limit"),
        (8, "fast_mode_in_batch"),
        (9, "streaming_in_batch"),
        (10, "max_tokens_missing"),
        (11, "tier_crossed"),
    ]:
        assert f"{PROBLEMS}:{line} " in out
        assert f" {code} " in out
    assert out.index("Problems") < out.index("Split plan")
    assert result.stderr == ""


def test_a_clean_file_exits_0() -> None:
    result = run_cli(["plan", CLEAN, "--at", "2026-11-25"])
    assert result.exit_code == 0, result.output
    assert "Plan: 4 requests in 1 batch; 0 errors, 0 warnings" in result.stdout
    assert "Problems" not in result.stdout


def test_warnings_alone_exit_0(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "b.jsonl", [request(max_tokens=0)])
    result = run_cli(["plan", str(path), "--at", "2026-11-25"])
    assert result.exit_code == 0, result.output
    assert "max_tokens_zero" in result.stdout


def test_json_contract() -> None:
    result = run_cli(["plan", PROBLEMS, "--at", "2026-11-25", "-f", "json"])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert (data["schema_version"], data["kind"]) == (1, "plan")
    for key in (
        "pricing_version",
        "pricing_sha256",
        "file",
        "requests",
        "bytes",
        "problems",
        "parts",
        "summary",
    ):
        assert key in data, key
    assert data["file"] == PROBLEMS
    assert data["requests"] == 12
    assert data["bytes"] == (ROOT / PROBLEMS).stat().st_size
    assert data["problems"][0] == {
        "line": 2,
        "custom_id": "sum 002",
        "severity": "error",
        "code": "custom_id_format",
        "message": "custom_id 'sum 002' has characters the API rejects (' '): use 1 to 64 letters, digits, _ or -",
    }
    assert data["summary"]["errors"] == 9
    assert data["summary"]["warnings"] == 1
    assert data["summary"]["by_code"][0] == {"code": "custom_id_duplicate", "severity": "error", "count": 1}
    assert data["summary"]["by_code"][-1] == {"code": "tier_crossed", "severity": "warning", "count": 1}
    assert sum(x["count"] for x in data["summary"]["by_code"]) == len(data["problems"]) == 10
    assert [(p["first_line"], p["last_line"], p["requests"]) for p in data["parts"]] == [
        (1, 2, 2),
        (3, 12, 10),
    ]
    assert data["split"] is None


def test_csv_is_one_row_per_problem() -> None:
    result = run_cli(["plan", PROBLEMS, "--at", "2026-11-25", "-f", "csv"])
    rows = result.stdout.splitlines()
    assert rows[0] == "file,line,custom_id,severity,code,message"
    assert len(rows) == 11
    assert rows[1].startswith(f"{PROBLEMS},2,sum 002,error,custom_id_format,")


def test_markdown() -> None:
    result = run_cli(["plan", PROBLEMS, "--at", "2026-11-25", "-f", "markdown"])
    assert result.stdout.startswith("### Plan: 12 requests in 2 batches; 9 errors, 1 warning")
    assert f"| {PROBLEMS}:2 | error | custom_id_format | sum 002 |" in result.stdout


def test_limits_from_the_command_line() -> None:
    result = run_cli(["plan", CLEAN, "--at", "2026-11-25", "--max-bytes", "1KB", "-f", "json"])
    data = json.loads(result.stdout)
    assert data["limits"]["max_bytes"] == 1000
    assert [p["ended_by"] for p in data["parts"]] == ["max_bytes", "end_of_file"]
    result = run_cli(["plan", CLEAN, "--at", "2026-11-25", "--max-requests", "1", "-f", "json"])
    assert len(json.loads(result.stdout)["parts"]) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--max-bytes", "lots"], "error: 'lots' is not a size"),
        (["--max-bytes", "300MB"], "error: max_bytes must be between 1 and 268,435,456"),
        (["--max-requests", "0"], "Invalid value for '--max-requests': 0 is too small; give 1 or more"),
        (
            ["--max-requests", "100001"],
            "Invalid value for '--max-requests': 100001 is too large; give at most 100,000",
        ),
        (["--token-factor", "x"], "'x' is not a decimal number"),
        (["--at", "tomorrow"], "'tomorrow' is not a date"),
    ],
)
def test_bad_options_exit_2(args: list[str], message: str) -> None:
    result = run_cli(["plan", CLEAN, *args])
    assert result.exit_code == 2
    assert message in result.output


def test_token_factor() -> None:
    result = run_cli(["plan", CLEAN, "--at", "2026-11-25", "--token-factor", "1.2", "-f", "json"])
    assert json.loads(result.stdout)["token_method"] == (
        "tiktoken cl100k_base × 1.2, factor given by the user (no content classes, no framing; error unknown)"
    )


def test_every_bad_line_is_listed_with_its_line_and_exits_2() -> None:
    result = run_cli(["plan", BAD_LINES, "--at", "2026-11-25", "-f", "csv"])
    assert result.exit_code == 2
    rows = result.stdout.splitlines()
    assert [row.split(",")[1:5] for row in rows[1:]] == [
        ["2", "", "error", "invalid_line"],
        ["3", "", "error", "invalid_line"],
        ["4", "", "error", "invalid_line"],
        ["5", "", "error", "invalid_line"],
    ]
    assert "not valid JSON (Expecting value at character 98)" in rows[1]
    assert 'a bare Messages API request body, without ""custom_id""' in rows[2]
    assert result.stderr == ""


def test_skip_invalid_counts_and_lists_the_lines() -> None:
    result = run_cli(["plan", "examples/broken-batch.jsonl", "--at", "2026-11-25", "--skip-invalid"])
    assert result.exit_code == 0, result.output
    assert "1 request, 232 bytes; 1 invalid line, written to no part" in result.stdout
    assert "examples/broken-batch.jsonl:2   warning    invalid_line" in result.stdout


def test_missing_and_empty_files(tmp_path: Path) -> None:
    result = run_cli(["plan", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert "no such file" in result.stderr
    (tmp_path / "empty.jsonl").write_text("", encoding="utf-8")
    result = run_cli(["plan", str(tmp_path / "empty.jsonl")])
    assert result.exit_code == 2
    assert "no requests found" in result.stderr


def test_split_writes_the_parts_and_the_manifest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli(["plan", CLEAN, "--at", "2026-11-25", "--max-requests", "3", "--split", str(out)])
    assert result.exit_code == 0, result.output
    assert f"Parts written to {out}" in result.stdout
    assert (
        f"Wrote 2 parts and manifest.json to {out}, and read them back: 4 lines and 4 custom_ids"
        in result.stdout
    )
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "part-0001.jsonl", "part-0002.jsonl"]
    source = (ROOT / CLEAN).read_bytes()
    assert (out / "part-0001.jsonl").read_bytes() + (out / "part-0002.jsonl").read_bytes() == source
    result = run_cli(["plan", CLEAN, "--at", "2026-11-25", "--split", str(out), "-f", "json"])
    assert result.exit_code == 2
    assert "already holds manifest.json, part-0001.jsonl, part-0002.jsonl: pass --overwrite" in result.stderr
    result = run_cli(["plan", CLEAN, "--at", "2026-11-25", "--split", str(out), "--overwrite", "-f", "json"])
    assert result.exit_code == 0, result.output
    split = json.loads(result.stdout)["split"]
    assert (split["requests"], split["custom_ids"], split["files"]) == (4, 4, [str(out / "part-0001.jsonl")])
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "part-0001.jsonl"]


def test_split_is_refused_while_there_are_errors(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli(["plan", PROBLEMS, "--at", "2026-11-25", "--split", str(out)])
    assert result.exit_code == 2
    assert "custom_id_format" in result.stdout  # the report comes first
    assert result.stderr == (
        f"error: {PROBLEMS}: 9 errors: no parts written; fix them, or pass --force to write the parts anyway\n"
    )
    assert not out.exists()


def test_force_writes_the_parts_but_still_exits_2(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli(["plan", PROBLEMS, "--at", "2026-11-25", "--split", str(out), "--force"])
    assert result.exit_code == 2
    assert "Wrote 2 parts" in result.stdout
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["problems"] == {"errors": 9, "warnings": 1, "forced": True}
    assert manifest["total"] == {"parts": 2, "requests": 12, "custom_ids": 12}


@pytest.mark.slow
def test_end_to_end_through_the_installed_script(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.run(
        [console_script(), "plan", CLEAN, "--at", "2026-11-25", "--max-requests", "2", "--split", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Wrote 2 parts" in proc.stdout
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [p["requests"] for p in manifest["parts"]] == [2, 2]
    joined = b"".join((out / p["file"]).read_bytes() for p in manifest["parts"])
    assert joined == (ROOT / CLEAN).read_bytes()
    proc = subprocess.run(
        [console_script(), "plan", PROBLEMS, "--at", "2026-11-25", "-f", "csv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert len(proc.stdout.splitlines()) == 11
