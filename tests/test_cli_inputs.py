"""Inputs as users have them (issue 14, item 5): standard input, folders with other files in them,
templates that name a table's columns, one rule for flags and columns, config found from a subdirectory.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from claude_quote.config import find_config, shown_path
from claude_quote.errors import ConfigError
from tests.conftest import ROOT, console_script, run_cli

EXAMPLES = ROOT / "examples"
AT = ["--at", "2026-11-25"]
REQUESTS = EXAMPLES / "batch-requests.jsonl"
RESULTS = EXAMPLES / "batch-results.jsonl"


def _json(args: list[str], *, input: str | None = None) -> dict[str, object]:
    result = run_cli([*args, *AT, "-f", "json", "-q"], input=input)
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def _without_files(data: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in data.items() if k not in ("files", "file", "path")}


# -- standard input --------------------------------------------------------------------------------


def test_estimate_reads_standard_input() -> None:
    from_file = _json(["estimate", str(REQUESTS)])
    from_stdin = _json(["estimate", "-"], input=REQUESTS.read_text())
    assert _without_files(from_stdin) == _without_files(from_file)
    assert from_stdin["files"] == ["-"]  # never the temporary copy's path
    assert from_stdin["requests"] == 4


def test_standard_input_as_text_and_its_errors() -> None:
    text = _json(["estimate", "-", "--model", "haiku-4.5", "--max-tokens", "10"], input="Hello there.\n")
    assert text["requests"] == 1
    good = '{"custom_id": "a", "params": {"model": "haiku-4.5", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}}'
    bad = run_cli(["estimate", "-", *AT], input=good + "\nnot json\n")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: -:2: not valid JSON")  # named -, not /tmp/...


@pytest.mark.parametrize("packed", [False, True])
def test_standard_input_holds_a_batch_create_body_plain_or_gzipped(packed: bool) -> None:
    # a batch-create body, on one line or over several, plain or gzipped, is one JSON document on
    # standard input too (a file would be named .json or .json.gz); gzipped JSONL and text still read
    import gzip

    from typer.testing import CliRunner

    from claude_quote.cli import app

    from_file = _json(["estimate", str(REQUESTS)])
    lines = [json.loads(line) for line in REQUESTS.read_text().splitlines() if line.strip()]
    for body in (json.dumps({"requests": lines}), json.dumps({"requests": lines}, indent=2)):
        data = body.encode()
        result = CliRunner().invoke(
            app, ["estimate", "-", *AT, "-f", "json", "-q"], input=gzip.compress(data) if packed else data
        )
        assert result.exit_code == 0, result.output
        assert _without_files(json.loads(result.stdout)) == _without_files(from_file)
    if packed:
        jsonl = gzip.compress(REQUESTS.read_bytes())
        result = CliRunner().invoke(app, ["estimate", "-", *AT, "-f", "json", "-q"], input=jsonl)
        assert json.loads(result.stdout)["requests"] == 4
        text = gzip.compress(b"Hello there.\n")
        args = ["estimate", "-", "--model", "haiku-4.5", "--max-tokens", "10", *AT, "-f", "json", "-q"]
        result = CliRunner().invoke(app, args, input=text)
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["requests"] == 1


HOSTILE = {
    "deep": ("[" * 100_000 + "\n").encode(),
    "digits": ('{"custom_id": ' + "9" * 5_000 + "}\n").encode(),
    "gzip magic, then garbage": b"\x1f\x8b" + bytes(range(256)) * 4,
    "not UTF-8": b"\xff\xfe{\x00\n",
}


@pytest.mark.parametrize("name", list(HOSTILE))
@pytest.mark.parametrize(
    "args",
    [["estimate", "-"], ["plan", "-"], ["reconcile", "-"], ["calibrate", "-", str(RESULTS)]],
    ids=["estimate", "plan", "reconcile", "calibrate"],
)
def test_hostile_standard_input_is_one_located_error(name: str, args: list[str]) -> None:
    # telling what standard input holds reads its first line: that must not raise either (a first
    # line nested 100,000 deep once ended in a RecursionError traceback)
    from typer.testing import CliRunner

    from claude_quote.cli import app

    result = CliRunner().invoke(app, [*args, *AT], input=HOSTILE[name], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: "), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


LONG = "x" * 300  # longer than a file name may be (255 bytes on Linux)


@pytest.mark.parametrize(
    "args",
    [
        ["estimate", LONG],
        ["estimate", LONG + "*"],
        ["estimate", f"{LONG}/a.jsonl"],
        ["reconcile", LONG],
        ["reconcile", str(RESULTS), "--request-file", LONG],
        ["calibrate", LONG, str(RESULTS)],
        ["calibrate", str(REQUESTS), LONG],
        ["plan", LONG],
        ["plan", str(REQUESTS), "--split", LONG],
        ["plan", str(REQUESTS), "--split", f"{LONG}/parts"],
    ],
    ids=[
        "estimate",
        "estimate glob",
        "estimate in dir",
        "reconcile",
        "request-file",
        "calibrate",
        "results",
        "plan",
        "split",
        "split under",
    ],
)
def test_a_file_name_too_long_is_one_located_error(args: list[str]) -> None:
    # pathlib's exists()/is_file()/is_dir() raise OSError for such a name (only a missing path is
    # False): it was a traceback in estimate, reconcile and calibrate
    result = run_cli([*args, *AT])
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: "), result.stderr
    assert "File name too long" in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


def test_standard_input_once() -> None:
    result = run_cli(["estimate", "-", "-", *AT], input="x")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: standard input (-) can be read only once; give the other inputs as files\n"
    )


def test_reconcile_reads_standard_input() -> None:
    from_file = _json(["reconcile", str(RESULTS)])
    from_stdin = _json(["reconcile", "-"], input=RESULTS.read_text())
    assert _without_files(from_stdin) == _without_files(from_file)
    assert from_stdin["file"] == "-"


@pytest.mark.slow
def test_a_pipe_into_the_installed_command(tmp_path: Path) -> None:
    """``cat file | claude-quote estimate -``, as a shell runs it (and the same through reconcile)."""
    for command, path in (("estimate", REQUESTS), ("reconcile", RESULTS)):
        piped = subprocess.run(
            [console_script(), command, "-", *AT, "-f", "json", "-q"],
            input=path.read_bytes(),
            capture_output=True,
            check=False,
        )
        named = subprocess.run(
            [console_script(), command, str(path), *AT, "-f", "json", "-q"], capture_output=True, check=False
        )
        assert piped.returncode == named.returncode == 0, piped.stderr
        assert _without_files(json.loads(piped.stdout)) == _without_files(json.loads(named.stdout))
    assert not list(tmp_path.iterdir())


# -- folders with other files in them ------------------------------------------------------------


@pytest.fixture
def documents(tmp_path: Path) -> Path:
    folder = tmp_path / "documents"
    (folder / "notes").mkdir(parents=True)
    (folder / "a.txt").write_text("The first document.\n")
    (folder / "notes" / "b.md").write_text("The second document.\n")
    (folder / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (folder / "café.txt").write_bytes("Un café, s'il vous plaît.\n".encode("latin-1"))
    return folder


def test_a_folder_skips_what_is_not_text(documents: Path) -> None:
    args = ["estimate", str(documents), "--model", "haiku-4.5", "--max-tokens", "100"]
    result = run_cli([*args, *AT, "--skip-invalid"])  # the .png no longer stops it (it did: exit 2)
    assert result.exit_code == 0, result.output
    plain = run_cli([*args, *AT, "-f", "json"])
    assert plain.exit_code == 0
    data = json.loads(plain.stdout)
    assert data["requests"] == 2  # a.txt and notes/b.md
    skipped = [w for w in data["warnings"] if w.startswith("skipped 2 files that are not text")]
    assert len(skipped) == 1
    assert f"{documents / 'café.txt'} (not UTF-8 text (byte 6))" in skipped[0]
    assert f"{documents / 'logo.png'} (binary)" in skipped[0]
    # in another encoding, the latin-1 file is text (the PNG is still binary)
    latin = _json([*args, "--encoding", "latin-1"])
    assert latin["requests"] == 3


def test_a_named_file_that_is_not_text_is_an_error(documents: Path) -> None:
    result = run_cli(
        ["estimate", str(documents / "café.txt"), "--model", "haiku-4.5", "--max-tokens", "10", *AT]
    )
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {documents / 'café.txt'}: not UTF-8 text (byte 6); give the files' encoding with --encoding "
        "(e.g. latin-1)\n"
    )


def test_include_and_exclude(documents: Path) -> None:
    args = ["estimate", str(documents), "--model", "haiku-4.5", "--max-tokens", "100"]
    only_markdown = _json([*args, "--include", "*.md"])
    assert only_markdown["files"] == [str(documents / "notes" / "b.md")]
    by_path = _json([*args, "--include", "notes/*"])
    assert by_path["files"] == [str(documents / "notes" / "b.md")]
    without_notes = _json([*args, "--exclude", "notes/*", "--exclude", "*.png"])
    assert without_notes["files"] == [str(documents / "a.txt")]  # café.txt: skipped as not text
    named = _json(["estimate", str(documents / "a.txt"), *args[2:], "--exclude", "*.txt"])
    assert named["files"] == [str(documents / "a.txt")]  # a file named on the command line is read


# -- templates and the flags-over-columns rule -----------------------------------------------------


@pytest.fixture
def tickets(tmp_path: Path) -> Path:
    path = tmp_path / "tickets.csv"
    path.write_text(
        "custom_id,subject,ticket,max_tokens\n"
        't-1,Billing and payments for the annual enterprise plan,"I was charged twice.",200\n'
        't-2,Billing and payments for the annual enterprise plan,"The export fails.",200\n'
    )
    return path


def test_template_fills_any_column(tickets: Path) -> None:
    base = [
        "estimate",
        str(tickets),
        "--model",
        "haiku-4.5",
        "--text-column",
        "ticket",
        "--output-tokens",
        "5",
    ]
    with_subject = _json([*base, "--template", "Label ({subject}): {text}"])
    # each row's subject filled in: the same prompts as the subject written out in the template
    literal = _json(
        [*base, "--template", "Label (Billing and payments for the annual enterprise plan): {text}"]
    )
    assert _without_files(with_subject) == _without_files(literal)
    # {{subject}} is the braces and the word, literally: fewer tokens than the nine-word subject
    braces = _json([*base, "--template", "Label ({{subject}}): {text}"])
    assert braces["input_tokens"] < with_subject["input_tokens"]  # type: ignore[operator]


def test_template_with_an_unknown_name(tickets: Path) -> None:
    args = ["estimate", str(tickets), "--model", "haiku-4.5", "--text-column", "ticket"]
    result = run_cli([*args, "--template", "Label ({topic}): {text}", *AT])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {tickets}: the prompt template names {{topic}}, which is not a column; it can use {{text}}, "
        "{name}, {custom_id}, {subject}, {ticket}, {max_tokens} (write {{ and }} for literal braces)\n"
    )
    text_file = tickets.with_suffix(".txt")
    text_file.write_text("hello")
    on_text = run_cli(
        [
            "estimate",
            str(text_file),
            "--model",
            "haiku-4.5",
            "--max-tokens",
            "5",
            "--template",
            "{subject}: {text}",
            *AT,
        ]
    )
    assert on_text.exit_code == 2
    assert "which is not filled in for a text file; it can use {text}, {name}" in on_text.stderr


def test_flags_beat_columns(tickets: Path) -> None:
    # the table says max_tokens 200 per row; --max-tokens 50 is every row's, as --model is
    base = ["estimate", str(tickets), "--model", "haiku-4.5", "--text-column", "ticket"]
    from_column = _json(base)
    from_flag = _json([*base, "--max-tokens", "50"])
    assert from_column["worst_case"]["output_tokens"] == 2 * 200  # type: ignore[index]
    assert from_flag["worst_case"]["output_tokens"] == 2 * 50  # type: ignore[index]


# -- config discovery ---------------------------------------------------------------------------


def test_config_is_found_from_a_subdirectory(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    deep = repo / "services" / "api"
    deep.mkdir(parents=True)
    (repo / ".git").mkdir()
    (repo / "claude-quote.toml").write_text("schema_version = 1\n")
    path, raw = find_config(deep)
    assert path == repo / "claude-quote.toml"
    assert raw["schema_version"] == 1
    # the nearest wins
    (deep / "pyproject.toml").write_text("[tool.claude-quote]\nschema_version = 1\n")
    assert find_config(deep)[0] == deep / "pyproject.toml"


def test_discovery_stops_at_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / "claude-quote.toml").write_text("schema_version = 1\n")  # outside the repository
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "src").mkdir()
    with pytest.raises(ConfigError, match=r"in '.*src' or above it up to '.*repo', or pass --config FILE"):
        find_config(repo / "src")


def test_reports_show_the_config_relative_to_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    config = repo / "services" / "claude-quote.toml"
    config.parent.mkdir()
    config.write_text("")
    monkeypatch.chdir(config.parent)
    assert shown_path(config, env={}) == "services/claude-quote.toml"
    assert shown_path(config, env={"GITHUB_WORKSPACE": str(repo / "services")}) == "claude-quote.toml"


def test_check_from_a_subdirectory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    config = (EXAMPLES / "claude-quote.toml").read_text().replace("batch-requests.jsonl", str(REQUESTS))
    (repo / "claude-quote.toml").write_text(config)
    (repo / "docs").mkdir()
    monkeypatch.chdir(repo / "docs")
    result = run_cli(["check", *AT, "-f", "github", "-q"])
    assert result.exit_code == 0, result.output
    assert "- **config**: claude-quote.toml\n" in result.stdout  # relative, never /tmp/...
