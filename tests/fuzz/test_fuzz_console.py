"""The hazards of issue 13 through the installed console script, on real pipes: exit 2 with one located
line (or a report), never a traceback — also where the in-process runner differs from a terminal (the
encoding of a real stdout, a real /dev/zero)."""

from __future__ import annotations

import gzip
import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, console_script

EXAMPLES = ROOT / "examples"
DEEP = "[" * 5_000 + "]" * 5_000


def _files(folder: Path) -> dict[str, Path]:
    line = json.loads((EXAMPLES / "batch-requests.jsonl").read_text().splitlines()[0])
    files = {
        "deep.jsonl": '{"custom_id": "a", "result": ' + DEEP + "}\n",
        "digits.jsonl": '{"custom_id": "a", "result": {"type": "expired", "n": ' + "9" * 5_000 + "}}\n",
        "nan.json": '{"kind": "check", "schema_version": 1, "total": NaN}',
        "surrogate.jsonl": json.dumps({**line, "custom_id": "sum-\ud800-1"}) + "\n",
        "spec.toml": "schema_version = 1\nworkloads = " + "[" * 2_000 + "]" * 2_000 + "\n",
        "latin1.json": '{"kind": "estimate", "note": "caf\xe9"}',
    }
    out = {}
    for name, text in files.items():
        path = folder / name
        path.write_bytes(text.encode("latin-1") if name == "latin1.json" else text.encode("utf-8"))
        out[name] = path
    out["bomb.jsonl.gz"] = folder / "bomb.jsonl.gz"
    out["bomb.jsonl.gz"].write_bytes(gzip.compress(b"\0" * 4_000_000))
    return out


@pytest.mark.slow
def test_no_traceback_through_the_console_script(tmp_path: Path) -> None:
    f = _files(tmp_path)
    at = ["--at", "2026-11-25"]
    cases: list[tuple[list[str], int, str]] = [
        (
            ["reconcile", str(f["deep.jsonl"]), *at],
            2,
            f"{f['deep.jsonl']}:1: not valid JSON (nested too deeply",
        ),
        (["reconcile", str(f["digits.jsonl"]), *at], 2, "an integer has more than 4,300 digits"),
        (
            ["check", "--config", str(EXAMPLES / "claude-quote.toml"), "--baseline", str(f["nan.json"]), *at],
            2,
            f"{f['nan.json']}: not valid JSON (NaN is not a number",
        ),
        (
            ["project", "--spec", str(f["spec.toml"]), "--start", "2026-12"],
            2,
            f"{f['spec.toml']}: not valid TOML",
        ),
        (["project", "--from-estimate", str(f["latin1.json"]), "--start", "2026-12"], 2, "not UTF-8 text"),
        (["reconcile", "/dev/zero", "--max-line-bytes", "1MiB", *at], 2, "/dev/zero:1: the line is longer"),
        (
            ["reconcile", str(f["bomb.jsonl.gz"]), "--max-line-bytes", "1MiB", *at],
            2,
            "bomb.jsonl.gz:1: the line is longer",
        ),
        (["estimate", str(f["surrogate.jsonl"]), "--group-by", "prefix", "--output-tokens", "5", *at], 0, ""),
        (
            [
                "estimate",
                str(f["surrogate.jsonl"]),
                "--group-by",
                "prefix",
                "--output-tokens",
                "5",
                "-f",
                "json",
                *at,
            ],
            0,
            "",
        ),
        (
            ["project", "sonnet-4.6", "--input", "2k", "--requests", "1000", "--start", "9999-06"],
            2,
            "runs past November 9999",
        ),
    ]
    for args, code, message in cases:
        proc = subprocess.run(
            [console_script(), *args], capture_output=True, text=True, check=False, timeout=120
        )
        assert "Traceback" not in proc.stderr, (args, proc.stderr)
        assert proc.returncode == code, (args, proc.stdout[-300:], proc.stderr)
        if code == 2:
            assert proc.stderr.count("\n") == 1, proc.stderr
            assert message in proc.stderr, (args, proc.stderr)
        elif "-f" in args:
            report = json.loads(proc.stdout)  # the surrogate is the JSON escape \ud800, still valid JSON
            assert report["groups"][0]["prefix"] == "sum-\ud800"
        else:
            assert "sum-\\ud800" in proc.stdout
