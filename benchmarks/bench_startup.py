"""CLI start-up time of every command against the typer + pydantic floor, as paired subprocesses.

    python benchmarks/bench_startup.py [--runs 15] [--only price,check] [--src OTHER/src]

Each run starts a fresh process through the installed console script, on the small files in
``examples/`` (one request, nine results, a check config): what is timed is the start-up and the
command's own work on a tiny input. The floor, measured in the same run, is a script that imports
typer and pydantic and builds one model: the least any typer + pydantic command line pays. The
commands run in turn with the floor (command, floor, command, floor, ...), so both see the same load,
and each command's ratio is the median of its per-pair ratios, in CPU time (user + system, steadier
on a shared machine) and in wall-clock time.

``estimate`` is timed twice: on one line whose text is counted (the tokenizer is loaded: its file
read and the encoding built) and on one line with nothing to count (an empty message), so the
tokenizer's share shows. ``check`` and ``calibrate`` count text too.

Goal (issue #16): every command within 2× the floor. ``--src DIR`` also times another checkout
(``python -m claude_quote.cli`` with ``PYTHONPATH=DIR``) in the same run, e.g. the commit before a
change (run as a module: its figures include ``runpy``, a few milliseconds). The load average is
printed before and after: other jobs on the machine slow both sides of a pair, but not equally.
Results are recorded in docs/performance.md ("CLI start-up").
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

ROOT = Path(__file__).resolve().parents[1]
FLOOR = "import typer, pydantic\nclass M(pydantic.BaseModel):\n    x: int = 0\nM()"
GOAL = 2.0
AT = ["--at", "2026-11-25"]


def commands(folder: Path) -> dict[str, list[str]]:
    """Every command, on inputs that exist (examples/ and two one-line request files in ``folder``)."""
    examples = ROOT / "examples"
    one = folder / "one.jsonl"
    message = {
        "role": "user",
        "content": "Summarize this support ticket in two sentences: my invoice is wrong.",
    }
    one.write_text(
        json.dumps(
            {
                "custom_id": "one",
                "params": {"model": "claude-sonnet-4-6", "max_tokens": 100, "messages": [message]},
            }
        )
        + "\n",
        encoding="utf-8",
    )
    empty = folder / "nothing-to-count.jsonl"
    silent = {"model": "claude-sonnet-4-6", "max_tokens": 100, "messages": [{"role": "user", "content": ""}]}
    empty.write_text(json.dumps({"custom_id": "one", "params": silent}) + "\n", encoding="utf-8")
    json_out = ["--format", "json"]
    return {
        "--help": ["--help"],
        "price": ["price", "sonnet-4.6", "--input", "1M", "--output", "1M", *json_out, *AT],
        "models": ["models", *json_out],
        "estimate (one line, counted)": ["estimate", str(one), *json_out, *AT],
        "estimate (one line, nothing to count)": ["estimate", str(empty), *json_out, *AT],
        "project": [
            "project",
            "sonnet-4.6",
            "--input",
            "2k",
            "--output",
            "500",
            "--requests",
            "1000",
            "--start",
            "2026-12",
            *json_out,
        ],
        "reconcile": ["reconcile", str(examples / "batch-results.jsonl"), *json_out, *AT],
        "plan": ["plan", str(examples / "batch-requests.jsonl"), *json_out, *AT],
        "check": ["check", "--config", str(examples / "claude-quote.toml"), *json_out, *AT],
        "calibrate": [
            "calibrate",
            str(examples / "batch-requests-support.jsonl"),
            str(examples / "batch-results-support.jsonl"),
            *json_out,
            *AT,
        ],
    }


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
    """Wall-clock and CPU milliseconds of one run."""
    started, cpu = time.perf_counter(), _children_cpu()
    subprocess.run(
        argv, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env or _ENV, cwd=ROOT
    )
    return (time.perf_counter() - started) * 1000, (_children_cpu() - cpu) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time every command's start-up against the typer + pydantic floor."
    )
    parser.add_argument("--runs", type=int, default=15, help="timed pairs per command (after one warm-up)")
    parser.add_argument("--only", help="comma-separated command names (default: all)")
    parser.add_argument("--src", type=Path, help="also time this source tree (PYTHONPATH) in the same run")
    args = parser.parse_args(argv)
    floor = [sys.executable, "-c", FLOOR]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder:
        runs: dict[str, tuple[list[str], dict[str, str] | None]] = {}
        for name, command in commands(Path(folder)).items():
            if args.only and name.split()[0] not in args.only.split(","):
                continue
            runs[name] = ([_script(), *command], None)
            if args.src is not None:
                other = {**_ENV, "PYTHONPATH": str(args.src.resolve())}
                runs[f"{name} ({args.src})"] = ([sys.executable, "-m", "claude_quote.cli", *command], other)
        for command, env in [*runs.values(), (floor, None)]:
            _time(command, env)  # warm the file cache and write the .pyc files
        results: dict[str, dict[str, list[float]]] = {}
        for name, (command, env) in runs.items():
            got: dict[str, list[float]] = {"wall": [], "cpu": [], "floor_wall": [], "floor_cpu": []}
            for _ in range(args.runs):
                wall, cpu = _time(command, env)
                floor_wall, floor_cpu = _time(floor)
                got["wall"].append(wall)
                got["cpu"].append(cpu)
                got["floor_wall"].append(floor_wall)
                got["floor_cpu"].append(floor_cpu)
            results[name] = got
    load_after = os.getloadavg()
    print(f"python {sys.version.split()[0]}, {args.runs} pairs per command (command, floor, ...), medians")
    print(
        f"load average (1, 5, 15 min) {' '.join(f'{x:.1f}' for x in load_before)} before, "
        f"{' '.join(f'{x:.1f}' for x in load_after)} after, on {os.cpu_count()} CPUs"
    )
    print(
        f"  {'command':<48} {'CPU ms':>8} {'floor':>7} {'× floor':>8}   {'wall ms':>8} {'× floor':>8}   goal ≤ {GOAL}×"
    )
    for name, got in results.items():
        cpu_ratio = statistics.median(c / f for c, f in zip(got["cpu"], got["floor_cpu"], strict=True))
        wall_ratio = statistics.median(w / f for w, f in zip(got["wall"], got["floor_wall"], strict=True))
        print(
            f"  {name:<48} {statistics.median(got['cpu']):8.1f} {statistics.median(got['floor_cpu']):7.1f} "
            f"{cpu_ratio:8.2f}   {statistics.median(got['wall']):8.1f} {wall_ratio:8.2f}   "
            f"{'met' if cpu_ratio <= GOAL else 'MISSED'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
