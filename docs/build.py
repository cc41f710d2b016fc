"""Regenerate the generated parts of the docs: the projection chart of docs/projections.md.

    python docs/build.py                # writes docs/img/projection.svg
    python docs/build.py --out DIR      # writes DIR/projection.svg (the tests do this)

The chart is drawn by the CLI itself (``claude-quote project --plot``) from examples/workloads.toml
with a fixed start month, so it is the same on every machine and never depends on today's date.
Needs matplotlib (``pip install -e ".[plot]"``; the test extra has it).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHART_COMMAND = [
    "project",
    "--spec",
    str(ROOT / "examples" / "workloads.toml"),
    "--start",
    "2026-12",
    "--months",
    "12",
    "--format",
    "json",
]
"""The `claude-quote` arguments of the chart in docs/projections.md (plus --plot FILE)."""


def build(out: Path) -> list[Path]:
    """Write every generated docs file into ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    chart = out / "projection.svg"
    subprocess.run(
        [sys.executable, "-m", "claude_quote.cli", *CHART_COMMAND, "--plot", str(chart)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return [chart]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img", help="output directory")
    args = parser.parse_args(argv)
    for path in build(args.out):
        print(f"built {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
