"""One meaning per flag, and the conventions people expect, in every command (issue 14, items 3 and 6).

Help that reads as words, ``-h``, a bare ``claude-quote``, option values never swallowing an option,
shares and percentages written one way, errors naming the option in plain words (never pydantic's),
formats that make sense per command, renamed flags still working with a warning, CSV headers in
snake_case.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from claude_quote.cli import COMMANDS, app
from tests.conftest import ROOT, console_script, run_cli

EXAMPLES = ROOT / "examples"
AT = "--at 2026-11-25"

# Each command with the arguments it needs to run (option errors are found before they are read).
MINIMAL = {
    "price": "price sonnet-4.6 --input 1M",
    "models": "models",
    "estimate": f"estimate {EXAMPLES / 'batch-requests.jsonl'}",
    "project": "project sonnet-4.6 --input 2k --output 500 --requests 1000 --start 2026-12 --months 2",
    "reconcile": f"reconcile {EXAMPLES / 'batch-results.jsonl'}",
    "calibrate": f"calibrate {EXAMPLES / 'batch-requests-support.jsonl'} {EXAMPLES / 'batch-results-support.jsonl'}",
    "plan": f"plan {EXAMPLES / 'batch-requests.jsonl'}",
    "check": f"check --config {EXAMPLES / 'claude-quote.toml'}",
}

PYDANTIC = ("Input should", "Value error", "Decimal(", "validation error", "pydantic")


def _help(command: str) -> str:
    result = run_cli([command, "--help"])
    assert result.exit_code == 0
    return result.stdout


def _value_options(command: str) -> list[tuple[str, str]]:
    """(flag, metavar) of each visible option of ``command`` that takes a value."""
    import typer.main

    click_command = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    found = []
    for param in click_command.params:
        if param.param_type_name == "option" and not param.is_flag and not param.hidden:
            found.append((param.opts[0], str(param.metavar)))
    return found


def test_every_command_is_covered() -> None:
    assert set(MINIMAL) == set(COMMANDS)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_reads_as_words(command: str) -> None:
    text = _help(command)
    usage = text.splitlines()[0]
    assert "{" not in usage, usage  # typer's {MODEL}
    assert "[[" not in usage, usage
    assert not re.search(r"<[a-z ]+>", text), "a type in angle brackets (<str>, <int range>)"
    assert not re.search(r"\{[A-Z][A-Z_.]*\}", text), "an argument in braces ({MODEL})"
    assert not re.search(r"\bx\s*[<>]=", text), "a range as x>=1"
    for flag, metavar in _value_options(command):
        assert metavar not in ("None", ""), f"{command} {flag} has no metavar"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_dash_h_is_help(command: str) -> None:
    short = run_cli([command, "-h"])
    assert short.exit_code == 0
    assert short.stdout == _help(command)


def test_bare_command_shows_help_and_succeeds() -> None:
    result = run_cli([])
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: claude-quote [OPTIONS] COMMAND [ARGS]...")
    assert "Commands:" in result.stdout
    assert run_cli(["-h"]).stdout == result.stdout


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_option_value_is_never_another_option(command: str) -> None:
    """``--json --at DAY`` (and the like, for every option that takes a value) names both options."""
    base = shlex.split(MINIMAL[command])
    for flag, metavar in _value_options(command):
        result = run_cli([*base, flag, "-q"])
        assert result.exit_code == 2, (command, flag, result.output)
        assert f"{flag} takes a value ({metavar}), but the next word is the option -q" in result.stderr


def test_check_json_then_at_is_not_a_file_name(tmp_path: Path) -> None:
    result = run_cli(f"check --config {EXAMPLES / 'claude-quote.toml'} --json --at 2026-11-25")
    assert result.exit_code == 2
    assert "--json takes a value (FILE), but the next word is the option --at" in result.stderr
    assert not (ROOT / "--at").exists()


@pytest.mark.parametrize("command", sorted(c for c in COMMANDS if c != "project"))
def test_a_bad_date_names_at(command: str) -> None:
    result = run_cli([*shlex.split(MINIMAL[command]), "--at", "2026-13-01"])
    assert result.exit_code == 2
    assert "Invalid value for '--at': '2026-13-01' is not a date; write YYYY-MM-DD" in result.stderr


BAD_VALUES = [
    "price sonnet-4.6 --requests 0",
    "price sonnet-4.6 --requests many",
    "price sonnet-4.6 --web-searches -3",
    "price sonnet-4.6 --geo mars",
    "price sonnet-4.6 --format xml",
    f"estimate {EXAMPLES / 'batch-requests.jsonl'} --sample x",
    f"estimate {EXAMPLES / 'batch-requests.jsonl'} --group-by size",
    f"estimate {EXAMPLES / 'batch-requests.jsonl'} --cache-hit-rate lots",
    "project sonnet-4.6 --requests 1 --per year",
    "project sonnet-4.6 --requests 1 --month-length lunar",
    "project sonnet-4.6 --requests 1 --web-searches 1.5",
    f"reconcile {EXAMPLES / 'batch-results.jsonl'} --worst -1",
    f"calibrate {EXAMPLES / 'batch-requests-support.jsonl'} {EXAMPLES / 'batch-results-support.jsonl'} --min-samples 0",
    f"plan {EXAMPLES / 'batch-requests.jsonl'} --max-requests 1e9",
    "check --format pdf",
]


@pytest.mark.parametrize("args", BAD_VALUES)
def test_bad_values_in_plain_words(args: str) -> None:
    result = run_cli(args)
    assert result.exit_code == 2, result.output
    assert "Invalid value for '" in result.stderr
    for words in PYDANTIC:
        assert words not in result.stderr


def test_library_errors_in_plain_words() -> None:
    result = run_cli(f"estimate {EXAMPLES / 'batch-requests.jsonl'} --encoding rot13 {AT}")
    assert result.exit_code == 2
    assert (
        result.stderr
        == "error: --encoding 'rot13' is not a text codec Python knows (e.g. utf-8, latin-1, cp1252)\n"
    )


# -- one syntax for shares and percentages ---------------------------------------------------------


def _json(args: str) -> dict[str, object]:
    result = run_cli(args + " --format json -q")
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_shares_as_numbers_or_percentages() -> None:
    project = "project sonnet-4.6 --input 2k --cache-read 6k --output 500 --requests 1000 --per day --start 2026-12 --months 2"
    as_numbers = _json(f"{project} --cache-hit-rate 0.5 --batch-share 0.7 --growth 5")
    as_percent = _json(f"{project} --cache-hit-rate 50% --batch-share 70% --growth 5%")
    assert as_numbers == as_percent
    workload = as_percent["workloads"][0]  # type: ignore[index]
    assert (workload["cache_hit_rate"], workload["batch_share"], workload["growth_percent"]) == (
        "0.5",
        "0.7",
        "5",
    )
    estimate = f"estimate {EXAMPLES / 'batch-cached.jsonl'} {AT}"
    assert _json(f"{estimate} --cache-hit-rate 0.5") == _json(f"{estimate} --cache-hit-rate 50%")


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--cache-hit-rate", "50", "50 is more than 1 (did you mean 50%?)"),
        ("--cache-hit-rate", "1.000001", "1.000001 is more than 1"),
        ("--batch-share", "100.5%", "100.5% is above 100%"),
        ("--batch-share", "-0.01", "-0.01 is negative"),
    ],
)
def test_shares_out_of_range(flag: str, value: str, message: str) -> None:
    result = run_cli(["project", "sonnet-4.6", "--requests", "1", flag, value])
    assert result.exit_code == 2
    assert f"Invalid value for '{flag}': {message}" in result.stderr


def test_shares_at_their_bounds() -> None:
    # 0, 0%, 1 and 100% are all shares; just past them is not (above)
    for value in ("0", "0%", "1", "100%"):
        args = f"project sonnet-4.6 --input 1k --requests 1 --start 2026-12 --months 1 --batch-share {value}"
        assert run_cli(args).exit_code == 0, value


def test_requests_as_a_count_in_price() -> None:
    # --requests is a number of requests, written like a token count: 2.5k = 2,500
    plain = _json(f"price haiku-5.5 --input 30M --requests 2500 {AT}")
    short = _json(f"price haiku-5.5 --input 30M --requests 2.5k {AT}")
    assert plain == short
    assert short["requests"] == 2500


# -- formats per command ----------------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(c for c in COMMANDS if c != "check"))
def test_github_format_says_where_it_is(command: str) -> None:
    result = run_cli([*shlex.split(MINIMAL[command]), "-f", "github"])
    assert result.exit_code == 2
    assert (
        "github is the pull-request comment of `claude-quote check`; for a Markdown report use"
        in result.stderr
    )


def test_check_writes_csv() -> None:
    result = run_cli(f"check --config {EXAMPLES / 'claude-quote.toml'} {AT} -f csv -q")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["workload"] for r in rows] == ["support-chat", "ticket-summaries"]
    chat = rows[0]
    # 1,500 requests a day × 30.4375 days = 45,656.25 requests a month, exact (no separator)
    assert chat["requests_per_month"] == "45656.25"
    assert (chat["budget"], chat["status"]) == ("600", "ok")
    assert rows[1]["models"] == "claude-haiku-4-5-20251001;claude-sonnet-4-6"


CSV_COMMANDS = [
    f"price haiku-5.5 --input 30M --output 1M --requests 200 {AT}",
    f"models {AT}",
    f"models haiku-5.5 {AT}",
    f"models --uncertain {AT}",
    f"estimate {EXAMPLES / 'batch-requests.jsonl'} {AT}",
    "project sonnet-4.6 --input 2k --requests 1000 --start 2026-12 --months 2",
    "project sonnet-4.6 --input 2k --requests 1000 --start 2026-12 --months 2 --compare haiku-4.5",
    f"reconcile {EXAMPLES / 'batch-results.jsonl'} {AT}",
    f"reconcile {EXAMPLES / 'batch-results-support.jsonl'} --request-file {EXAMPLES / 'batch-requests-support.jsonl'} {AT}",
    f"reconcile --usage-report {EXAMPLES / 'usage-report.json'} --cost-report {EXAMPLES / 'cost-report.json'}",
    f"calibrate {EXAMPLES / 'batch-requests-support.jsonl'} {EXAMPLES / 'batch-results-support.jsonl'} {AT}",
    f"plan {EXAMPLES / 'batch-requests-problems.jsonl'} {AT}",
    f"check --config {EXAMPLES / 'claude-quote.toml'} {AT}",
]


@pytest.mark.parametrize("args", CSV_COMMANDS)
def test_csv_headers_are_snake_case(args: str) -> None:
    result = run_cli(f"{args} -f csv -q")
    assert result.exit_code in (0, 2), result.output  # plan exits 2 for a file with errors
    header = result.stdout.splitlines()[0]
    assert re.fullmatch(r"[a-z0-9_]+(,[a-z0-9_]+)*", header), header


def test_models_csv_is_data() -> None:
    result = run_cli(f"models {AT} -f csv")
    rows = {r["model"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    opus = rows["opus-5.5"]  # shown as "opus-5.5 *" in the table: flagged facts are a column here
    assert (opus["api_id"], opus["context_window"], opus["uncertain"]) == (
        "claude-opus-5-5",
        "1000000",
        "true",
    )
    haiku = rows["haiku-4.5"]
    assert (haiku["context_window"], haiku["uncertain"], haiku["batch"]) == ("200000", "false", "true")
    assert rows["haiku-5.5"]["tier_above_prompt_tokens"] == "100000"
    assert all(not name.endswith("*") for name in rows)


# -- renamed flags: still accepted, with a warning ------------------------------------------------


def test_reconcile_requests_is_now_request_file() -> None:
    results, requests = EXAMPLES / "batch-results-support.jsonl", EXAMPLES / "batch-requests-support.jsonl"
    new = run_cli(f"reconcile {results} --request-file {requests} {AT} -f json")
    old = run_cli(f"reconcile {results} --requests {requests} {AT} -f json")
    assert new.exit_code == old.exit_code == 0
    assert json.loads(new.stdout) == json.loads(old.stdout)
    deprecation = "warning: --requests FILE is deprecated and will be removed in the next release; use --request-file FILE"
    assert deprecation in old.stderr.splitlines()
    assert deprecation not in new.stderr
    assert "--requests" not in run_cli("reconcile --help").stdout  # hidden: the help shows one spelling


@pytest.mark.parametrize("command", ["check", "calibrate"])
def test_output_file_is_o(command: str, tmp_path: Path) -> None:
    base = MINIMAL[command] + f" {AT}"
    new_file, old_file = tmp_path / "new.out", tmp_path / "old.out"
    new = run_cli(f"{base} -o {new_file}")
    old = run_cli(f"{base} --output {old_file}")
    assert new.exit_code == old.exit_code
    assert new_file.read_text() == old_file.read_text()
    assert "warning: --output FILE is deprecated" in old.stderr
    assert "deprecated" not in new.stderr
    long = run_cli(f"{base} --output-file {tmp_path / 'long.out'}")
    assert long.exit_code == new.exit_code


@pytest.mark.parametrize("command", ["price", "project"])
def test_output_tokens_is_output(command: str) -> None:
    # --output stays output tokens (the README's first command); --output-tokens says the same
    base = MINIMAL[command].replace("--output 500", "")
    extra = AT if command == "price" else ""
    short = _json(f"{base} --output 500 {extra}")
    long = _json(f"{base} --output-tokens 500 {extra}")
    assert short == long


# -- hints name only options the command has ------------------------------------------------------


def test_swapped_files_say_so() -> None:
    requests, results = EXAMPLES / "batch-requests-support.jsonl", EXAMPLES / "batch-results-support.jsonl"
    calibrate = run_cli(f"calibrate {results} {requests} {AT}")
    assert calibrate.exit_code == 2
    assert (
        "were the two files swapped? The command is: calibrate REQUESTS.jsonl RESULTS.jsonl"
        in calibrate.stderr
    )
    reconcile = run_cli(f"reconcile {requests} --request-file {results} {AT}")
    assert reconcile.exit_code == 2
    assert "were the two files swapped?" in reconcile.stderr
    for result in (calibrate, reconcile):
        assert "--model" not in result.stderr


def test_hints_name_only_options_the_command_has(tmp_path: Path) -> None:
    no_model = tmp_path / "requests.jsonl"
    no_model.write_text(
        '{"custom_id": "x", "params": {"max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}}\n'
    )
    reconcile = run_cli(f"reconcile {EXAMPLES / 'batch-results.jsonl'} --request-file {no_model} {AT}")
    assert reconcile.exit_code == 2
    assert reconcile.stderr == f"error: {no_model}:1: x: params.model must be a model name, got None\n"
    # estimate has --model, so it says so
    estimate = run_cli(f"estimate {no_model} {AT}")
    assert estimate.stderr.rstrip().endswith("(or pass --model)")


# -- python -m, completion -------------------------------------------------------------------------


@pytest.mark.slow
def test_python_dash_m() -> None:
    via_module = subprocess.run(
        [
            sys.executable,
            "-m",
            "claude_quote",
            "price",
            "sonnet-4.6",
            "--input",
            "5M",
            "--output",
            "2M",
            *AT.split(),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    via_script = subprocess.run(
        [console_script(), "price", "sonnet-4.6", "--input", "5M", "--output", "2M", *AT.split()],
        capture_output=True,
        text=True,
        check=False,
    )
    assert via_module.returncode == via_script.returncode == 0
    assert via_module.stdout == via_script.stdout
    usage = subprocess.run(
        [sys.executable, "-m", "claude_quote", "-h"], capture_output=True, text=True, check=False
    )
    assert usage.stdout.startswith("Usage: python -m claude_quote [OPTIONS] COMMAND [ARGS]...")
    bare = subprocess.run([console_script()], capture_output=True, text=True, check=False)
    assert bare.returncode == 0
    assert bare.stdout.startswith("Usage: claude-quote [OPTIONS] COMMAND")


def test_shell_completion_script_and_choices() -> None:
    script = run_cli(["--show-completion", "bash"])
    assert script.exit_code == 0
    assert "_claude_quote_completion()" in script.stdout
    completed = run_cli(
        [],
        env={
            "_CLAUDE_QUOTE_COMPLETE": "complete_bash",
            "COMP_WORDS": "claude-quote price -f ",
            "COMP_CWORD": "3",
        },
    )
    assert completed.stdout.split() == ["table", "json", "csv", "markdown"]


# -- one answer: price warns past a model's announced retirement as project does --------------------


def test_price_warns_past_the_retirement_date_as_project_does() -> None:
    warning = "claude-sonnet-4-6 may be retired from 2027-02-17 on"

    def warned(args: str) -> bool:
        warnings: list[str] = _json(args)["warnings"]  # type: ignore[assignment]
        return any(warning in w for w in warnings)

    assert not warned("price sonnet-4.6 --input 1M --at 2027-02-16")  # the day before
    assert warned("price sonnet-4.6 --input 1M --at 2027-02-17")
    assert warned("price sonnet-4.6 --input 1M --at 2030-01-01")
    assert warned("project sonnet-4.6 --input 1M --requests 1 --start 2030-01 --months 1")
