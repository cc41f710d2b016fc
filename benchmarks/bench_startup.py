"""CLI start-up time: `claude-quote price sonnet-4.6 --input 1M --output 1M --format json` as a subprocess.

    python benchmarks/bench_startup.py [--runs 15]

Each run starts a fresh process through the installed console script; the baseline is `python -c pass`
with the same interpreter, measured in the same run (alternating, so both see the same machine load).
Prints the median of each and the difference, which is what claude-quote itself costs. Target: the
command under 300 ms. Results are recorded in docs/performance.md ("CLI start-up").
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMAND = ["price", "sonnet-4.6", "--input", "1M", "--output", "1M", "--format", "json"]
TARGET_MS = 300
FLOOR = "import typer, pydantic\nclass M(pydantic.BaseModel):\n    x: int = 0\nM()"


def _script() -> str:
    script = Path(sys.executable).parent / "claude-quote"
    if not script.exists():
        raise SystemExit(f"claude-quote is not installed next to {sys.executable}; pip install -e . first")
    return str(script)


# Measure what users run: pip compiles .pyc files at install, so bytecode must be allowed here even where
# the environment sets PYTHONDONTWRITEBYTECODE (which would recompile every module on every start).
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _time(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=_ENV)
    return (time.perf_counter() - started) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time CLI start-up against `python -c pass`.")
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each (after one warm-up)")
    args = parser.parse_args(argv)
    command = [_script(), *COMMAND]
    baseline = [sys.executable, "-c", "pass"]
    # The floor no typer + pydantic CLI can go under: import both and build one model.
    floor = [sys.executable, "-c", FLOOR]
    for argv in (command, baseline, floor):
        _time(argv)  # warm the file cache and .pyc files
    cli: list[float] = []
    base: list[float] = []
    deps: list[float] = []
    for _ in range(args.runs):
        cli.append(_time(command))
        base.append(_time(baseline))
        deps.append(_time(floor))
    cli_ms, base_ms, deps_ms = statistics.median(cli), statistics.median(base), statistics.median(deps)
    print(f"python {sys.version.split()[0]}, {args.runs} runs, medians")
    print(f"  python -c pass                      {base_ms:7.1f} ms")
    print(f"  import typer + pydantic, one model  {deps_ms:7.1f} ms")
    print(f"  claude-quote {' '.join(COMMAND)}  {cli_ms:7.1f} ms")
    print(f"  difference (claude-quote itself)    {cli_ms - base_ms:7.1f} ms")
    print(f"  claude-quote / dependency floor     {cli_ms / deps_ms:7.2f} ×")
    print(
        f"  target                              {TARGET_MS:7d} ms  {'met' if cli_ms < TARGET_MS else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
