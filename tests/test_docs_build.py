"""The generated docs: docs/build.py draws the projection chart; the committed one is referenced."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHART = ROOT / "docs" / "img" / "projection.svg"


def test_projections_page_shows_the_committed_chart() -> None:
    page = (ROOT / "docs" / "projections.md").read_text(encoding="utf-8")
    assert "](img/projection.svg)" in page
    assert CHART.read_bytes().startswith(b"<?xml")
    assert b"<svg" in CHART.read_bytes()


@pytest.mark.slow
def test_docs_build_draws_the_chart(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "build.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    chart = tmp_path / "projection.svg"
    assert proc.stdout == f"built {chart}\n"
    svg = chart.read_bytes()
    assert svg.startswith(b"<?xml")
    assert b"<svg" in svg
    assert len(svg) > 10_000  # two panels of axes, lines and bars, not an empty figure


@pytest.mark.slow
@pytest.mark.parametrize(
    ("script", "args", "expected"),
    [
        ("bench_startup.py", ["--runs", "1", "--only", "price,--help"], "× floor"),
        ("bench_projection.py", ["--workloads", "2", "--months", "3", "--repeat", "1"], "compare()"),
        (
            "bench_projection.py",
            ["--matrix", "--workloads", "3", "--months", "4", "--repeat", "1"],
            "ours ÷ floor",
        ),
        ("bench_reconcile.py", ["--lines", "300", "--rounds", "1"], "reconcile ÷ floor-reconcile, median"),
    ],
)
def test_benchmarks_run(script: str, args: list[str], expected: str) -> None:
    """A smoke test: the benchmark scripts run and report (no timing is asserted)."""
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert expected in proc.stdout
