"""CLI start-up time: `claude-quote price ...` and `claude-quote estimate` of a one-line file, as subprocesses.

    python benchmarks/bench_startup.py [--runs 15] [--src OTHER/src]

Each run starts a fresh process through the installed console script; the baseline is `python -c pass`
with the same interpreter, measured in the same run (alternating, so all see the same machine load).
Prints the median of each and the difference, which is what claude-quote itself costs. Target: the
price command under 300 ms. ``estimate`` on one line loads the tokenizer (finding, verifying and
parsing cl100k_base and building the encoding), so it shows what that costs.

``--src DIR`` also times ``python -m claude_quote.cli`` with ``PYTHONPATH=DIR`` in the same run: another
checkout's code (e.g. the commit before a change) against this one, with the same interpreter and
packages. Results are recorded in docs/performance.md ("CLI start-up").
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
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


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall-clock and CPU milliseconds of one run (CPU is steadier on a loaded machine)."""
    started, cpu = time.perf_counter(), _children_cpu()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env or _ENV)
    return (time.perf_counter() - started) * 1000, (_children_cpu() - cpu) * 1000


def _one_line(folder: Path) -> Path:
    path = folder / "one.jsonl"
    params = {
        "model": "claude-sonnet-4-6",
        "max_tokens": 100,
        "messages": [{"role": "user", "content": "Hi"}],
    }
    path.write_text(json.dumps({"custom_id": "one", "params": params}) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time CLI start-up against `python -c pass`.")
    parser.add_argument("--runs", type=int, default=15, help="timed runs of each (after one warm-up)")
    parser.add_argument("--src", type=Path, help="also time this source tree (PYTHONPATH) in the same run")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        estimate = ["estimate", str(_one_line(Path(folder))), "--at", "2026-11-25", "--format", "json"]
        # The floor no typer + pydantic CLI can go under: import both and build one model.
        runs: dict[str, tuple[list[str], dict[str, str] | None]] = {
            "python -c pass": ([sys.executable, "-c", "pass"], None),
            "import typer + pydantic, one model": ([sys.executable, "-c", FLOOR], None),
            "price (this tree)": ([_script(), *COMMAND], None),
            "estimate one line (this tree)": ([_script(), *estimate], None),
        }
        if args.src is not None:
            other = {**_ENV, "PYTHONPATH": str(args.src.resolve())}
            module = [sys.executable, "-m", "claude_quote.cli"]
            runs[f"price ({args.src})"] = ([*module, *COMMAND], other)
            runs[f"estimate one line ({args.src})"] = ([*module, *estimate], other)
        for command, env in runs.values():
            _time(command, env)  # warm the file cache and .pyc files
        times: dict[str, list[float]] = {name: [] for name in runs}
        cpus: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.runs):
            for name, (command, env) in runs.items():
                wall, cpu = _time(command, env)
                times[name].append(wall)
                cpus[name].append(cpu)
    medians = {name: statistics.median(values) for name, values in times.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpus.items()}
    floor = medians["import typer + pydantic, one model"]
    cpu_floor = cpu_medians["import typer + pydantic, one model"]
    print(f"python {sys.version.split()[0]}, {args.runs} runs, medians (wall clock; CPU)")
    for name, ms in medians.items():
        cpu = cpu_medians[name]
        print(
            f"  {name:<45} {ms:7.1f} ms {ms / floor:5.2f} ×;  CPU {cpu:7.1f} ms {cpu / cpu_floor:5.2f} × "
            "the typer + pydantic floor"
        )
    price = medians["price (this tree)"]
    print(f"  price target {TARGET_MS} ms: {'met' if price < TARGET_MS else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
