"""Running a command on a fuzzed input and judging what it did.

A command handled its input when it ended in a valid report (exit 0, 1 or 3: with ``--format json``
the output is JSON), or in exit 2 with one ``error: ...`` line on stderr that names where the problem
is (the file, or the option). Anything else — an exception, a traceback, an error that names nothing —
is a failure; under ``CLAUDE_QUOTE_FUZZ_SURVEY`` it is recorded instead (see :mod:`tests.fuzz`).
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import typer
from hypothesis import HealthCheck, settings
from typer.testing import CliRunner

from claude_quote.cli import COMMANDS, app

__all__ = ["Outcome", "assert_handled", "examples", "fuzz_settings", "invoke", "workdir"]

DEFAULT_EXAMPLES = 40
"""Examples per fuzz test in CI (a few seconds per reader)."""

_override: int | None = None
# Read once, at import: the tests' isolated environment removes every CLAUDE_QUOTE_* variable.
_ENV = {name: os.environ.get(f"CLAUDE_QUOTE_FUZZ_{name}") for name in ("EXAMPLES", "SURVEY", "COUNT")}


def examples(default: int = DEFAULT_EXAMPLES) -> int:
    """How many examples each test runs: ``--fuzz-examples N`` or ``$CLAUDE_QUOTE_FUZZ_EXAMPLES``, else ``default``."""
    if _override is not None:
        return _override
    return int(_ENV["EXAMPLES"] or default)


def set_examples(count: int | None) -> None:
    """Set by ``--fuzz-examples`` (tests/conftest.py)."""
    global _override
    _override = count


def fuzz_settings(default: int = DEFAULT_EXAMPLES) -> settings:
    """Hypothesis settings of a fuzz test: the number of examples, no deadline (commands read files)."""
    return settings(
        max_examples=examples(default),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        derandomize=_override is None and _ENV["EXAMPLES"] is None,
        database=None,
    )


@dataclass(frozen=True)
class Outcome:
    """What a command did."""

    args: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None
    trace: str


@functools.cache
def _command_app(name: str) -> typer.Typer:
    """The app with one command, as the console script builds it (``claude_quote.cli.main``): typer
    converts every command's parameters on each invocation, and one command is a sixth of the time."""
    one = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
    one.callback()(_root)
    one.command(name)(COMMANDS[name])
    return one


def _root() -> None:
    """claude-quote."""


def invoke(args: Sequence[str], *, env: dict[str, str] | None = None, stdin: bytes | None = None) -> Outcome:
    """Run ``claude-quote ARGS`` in-process (``stdin``: its standard input), catching whatever it raises."""
    target = _command_app(args[0]) if args and args[0] in COMMANDS else app
    result = CliRunner().invoke(target, list(args), env=env, input=stdin, catch_exceptions=True)
    exception = result.exception
    if isinstance(exception, SystemExit):
        exception = None
    trace = ""
    if exception is not None and result.exc_info is not None:
        trace = "".join(traceback.format_exception(*result.exc_info))
    return Outcome(tuple(args), result.exit_code, result.stdout, result.stderr, exception, trace)


@contextmanager
def workdir() -> Iterator[Path]:
    """A fresh temporary directory for one example's files."""
    with tempfile.TemporaryDirectory(prefix="cq-fuzz-") as name:
        yield Path(name)


def _problem(
    outcome: Outcome, located: Sequence[str], json_output: bool, ok_codes: Sequence[int]
) -> str | None:
    if outcome.exception is not None:
        return f"raised {type(outcome.exception).__name__}: {outcome.exception}"
    if "Traceback (most recent call last)" in outcome.stderr:
        return "printed a traceback"
    if outcome.exit_code == 2:
        lines = [line for line in outcome.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith(("error: ", "Error: ", "Usage: ", "Try "))]
        if not errors:
            return f"exit 2 without an error line: {outcome.stderr[-500:]!r}"
        text = outcome.stderr
        if located and not any(place in text for place in located):
            return f"the error names none of {list(located)}: {text[-600:]!r}"
        return None
    if outcome.exit_code not in ok_codes:
        return f"exit {outcome.exit_code}: {outcome.stderr[-500:]!r}"
    if json_output:
        try:
            json.loads(outcome.stdout)
        except ValueError as exc:
            return f"exit {outcome.exit_code} but the output is not JSON ({exc}): {outcome.stdout[:300]!r}"
    return None


def assert_handled(
    outcome: Outcome,
    *,
    located: Sequence[str],
    json_output: bool = True,
    ok_codes: Sequence[int] = (0,),
    reader: str = "",
    inputs: dict[str, bytes] | None = None,
) -> None:
    """The command ended in a valid report or in exit 2 with an error naming one of ``located``."""
    problem = _problem(outcome, located, json_output, ok_codes)
    if problem is None:
        return
    survey = _ENV["SURVEY"]
    if survey:
        record = {
            "reader": reader,
            "args": outcome.args,
            "problem": problem[:400],
            "kind": type(outcome.exception).__name__ if outcome.exception is not None else "unlocated",
            "where": _last_frame(outcome.trace),
            "inputs": {k: v[:4000].decode("utf-8", "replace") for k, v in (inputs or {}).items()},
        }
        with Path(survey).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        return
    raise AssertionError(f"{' '.join(outcome.args)}: {problem}\n{outcome.trace}")


def _last_frame(trace: str) -> str:
    frames = [line.strip() for line in trace.splitlines() if line.strip().startswith('File "')]
    mine = [f for f in frames if "claude_quote" in f]
    return (mine or frames or [""])[-1]


def count_run(reader: str) -> None:
    """Count one example (``$CLAUDE_QUOTE_FUZZ_COUNT``: a file of reader names, one line per run)."""
    counter = _ENV["COUNT"]
    if counter:
        with Path(counter).open("a", encoding="utf-8") as handle:
            handle.write(reader + "\n")
