"""Issue 13: every documented input accepted, every bad one refused with its place, nothing lost.

The opener and its bounds (gzip, the line-length cap, the expansion bound), the one JSON and TOML
loader, the bounds on counts and decimals, and what the commands do with each: exit 2 with the file
and the line or key, never a traceback, never a silent $0.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from claude_quote.errors import ConfigError, PricingDataError, UsageError, WorkloadError
from claude_quote.money import MAX_COUNT, to_decimal
from claude_quote.parsing import loads_json, loads_toml
from claude_quote.usage import parse_token_count
from claude_quote.workload_spec import parse_volume
from claude_quote.workloads.files import (
    DEFAULT_MAX_LINE_BYTES,
    input_limits,
    iter_lines,
    open_input,
    read_document,
)
from claude_quote.workloads.requests import jsonl_kind
from claude_quote.workloads.results import ResultsReader
from claude_quote.workloads.text import expand_paths
from tests.conftest import ROOT, run_cli

EXAMPLES = ROOT / "examples"
AT = "--at 2026-11-25"


def lines_of(path: Path) -> list[tuple[int, bytes]]:
    with open_input(path) as handle:
        return list(iter_lines(handle, str(path)))


# --- the opener ---------------------------------------------------------------------------------------


def test_gzip_is_read_by_name_and_by_magic_bytes(tmp_path: Path) -> None:
    packed = gzip.compress(b'{"a": 1}\n{"b": 2}\n')
    (tmp_path / "named.jsonl.gz").write_bytes(packed)
    (tmp_path / "unnamed.jsonl").write_bytes(packed)  # gzip without the suffix: found by its magic bytes
    (tmp_path / "plain.jsonl").write_bytes(b'{"a": 1}\n{"b": 2}\n')
    expected = [(1, b'{"a": 1}\n'), (2, b'{"b": 2}\n')]
    for name in ("named.jsonl.gz", "unnamed.jsonl", "plain.jsonl"):
        assert lines_of(tmp_path / name) == expected


def test_the_line_length_cap_on_both_sides(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"12345\n1234\n")  # 6 bytes, then 5 (newlines included)
    with input_limits(max_line_bytes=6):
        assert lines_of(path) == [(1, b"12345\n"), (2, b"1234\n")]
    with input_limits(max_line_bytes=5), pytest.raises(WorkloadError) as info:
        lines_of(path)
    assert str(info.value) == (
        f"{path}:1: the line is longer than 5 bytes, the line-length cap (--max-line-bytes); is this a JSONL file?"
    )


def test_the_default_cap_is_twice_a_whole_batch() -> None:
    assert DEFAULT_MAX_LINE_BYTES == 2 * 256 * 2**20


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this system")
def test_dev_zero_is_an_error_not_all_the_memory() -> None:
    with (
        input_limits(max_line_bytes=1 << 20),
        pytest.raises(WorkloadError, match="/dev/zero:1: the line is longer"),
    ):
        lines_of(Path("/dev/zero"))
    result = run_cli(f"reconcile /dev/zero --max-line-bytes 1MiB {AT}")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: /dev/zero:1: the line is longer than 1,048,576 bytes")


def test_the_gzip_expansion_bound_on_both_sides(tmp_path: Path) -> None:
    path = tmp_path / "bomb.jsonl.gz"
    path.write_bytes(gzip.compress(b"\n" * 1_000_000))  # ~1 KB that un-packs to 1,000,000 bytes
    with input_limits(max_expanded_bytes=1_000_000):
        assert len(lines_of(path)) == 1_000_000
    with input_limits(max_expanded_bytes=999_999), pytest.raises(WorkloadError) as info:
        lines_of(path)
    assert str(info.value) == (
        f"{path}: un-packs to more than 999,999 bytes, the bound on a compressed input; decompress it first if it is real"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (gzip.compress(b'{"a": 1}\n' * 100)[:30], "not a valid gzip file (Compressed file ended"),
        (b"\x1f\x8b\x08\x00garbage", "not a valid gzip file"),
        (b"not gzip at all", "not a valid gzip file (Not a gzipped file"),
    ],
)
def test_corrupt_gzip_is_an_error_naming_the_file(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "r.jsonl.gz"
    path.write_bytes(data)
    with pytest.raises(WorkloadError, match=f"r.jsonl.gz: {message}".replace("(", r"\(")):
        lines_of(path)
    result = run_cli(f"reconcile {path} {AT}")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: not a valid gzip file")


def test_read_document_is_capped(tmp_path: Path) -> None:
    (tmp_path / "d.json").write_bytes(b"[1, 2]")  # 6 bytes
    with input_limits(max_line_bytes=6):
        assert read_document(tmp_path / "d.json") == b"[1, 2]"
    with input_limits(max_line_bytes=5), pytest.raises(WorkloadError, match="larger than 5 bytes"):
        read_document(tmp_path / "d.json")


def test_input_limits_refuse_zero() -> None:
    with pytest.raises(ValueError, match="at least 1 byte"), input_limits(max_line_bytes=0):
        pass


# --- one JSON and one TOML loader ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[" * 5_000 + b"]" * 5_000, "nested too deeply to read: more than about 1,000 levels"),
        (b'{"n": ' + b"9" * 4_301 + b"}", "an integer has more than 4,300 digits"),
        (b'{"n": NaN}', "NaN is not a number: JSON has no NaN or Infinity"),
        (b'{"n": -Infinity}', "-Infinity is not a number"),
        (b'{"n": 1e400}', "the number 1e400 is too large"),
        (b'{"s": "\xff"}', "not UTF-8 text (byte 0xff at offset 7)"),
    ],
)
def test_json_hazards_are_located_errors(data: bytes, message: str) -> None:
    with pytest.raises(WorkloadError) as info:
        loads_json(data, path="f.jsonl", line=7)
    assert str(info.value).startswith("f.jsonl:7: ")
    assert message in str(info.value)


def test_the_largest_integer_python_reads_is_a_number() -> None:
    # 4,300 digits parse; 4,301 do not (both sides of Python's limit)
    assert loads_json(b"[" + b"9" * 4_300 + b"]") == [int("9" * 4_300)]


def test_a_whole_document_error_names_the_line() -> None:
    with pytest.raises(
        WorkloadError, match=r"^d.json:3: not valid JSON \(Expecting value at line 3, column 7\)$"
    ):
        loads_json(b'{\n "a": 1,\n "b": }', path="d.json")
    with pytest.raises(
        WorkloadError, match=r"^d.json:2: not valid JSON \(an integer has more than 4,300 digits\)$"
    ):
        loads_json(b'{\n "a": ' + b"1" * 5_000 + b"}", path="d.json")
    assert loads_json(b'\xef\xbb\xbf{"bom": true}') == {"bom": True}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a = " + "[" * 1_000 + "]" * 1_000, "nested too deeply"),
        ("a = " + "9" * 5_000, "an integer has more than 4,300 digits (line 1)"),
        ("a = nan", "nan is not a number"),
        ("a = -inf", "-inf is not a number"),
    ],
)
def test_toml_hazards_are_errors_of_the_callers_kind(text: str, message: str) -> None:
    for kind in (ConfigError, PricingDataError):
        with pytest.raises(kind) as info:
            loads_toml(text.encode(), origin="x.toml", error=kind)
        assert str(info.value).startswith("x.toml: not valid TOML: ")
        assert message in str(info.value)


def test_toml_that_is_not_utf8_names_the_line() -> None:
    with pytest.raises(ConfigError, match=r"^x.toml: not UTF-8 text \(byte 0xff at offset 11\) on line 2$"):
        loads_toml(b"a = 1\nb = '\xff'", origin="x.toml")


# --- counts and decimals are bounded where they are read ----------------------------------------------


def test_counts_on_both_sides_of_the_bound() -> None:
    assert parse_token_count(str(MAX_COUNT)) == MAX_COUNT
    with pytest.raises(UsageError, match="is more than 1,000,000,000,000,000,000"):
        parse_token_count(str(MAX_COUNT + 1))
    assert parse_volume(str(MAX_COUNT)) == MAX_COUNT
    with pytest.raises(UsageError, match="no real volume is that large"):
        parse_volume(str(MAX_COUNT + 1))


def test_decimals_on_both_sides_of_the_bounds() -> None:
    assert to_decimal(str(MAX_COUNT)) == MAX_COUNT
    with pytest.raises(ValueError, match="too large"):
        to_decimal(str(MAX_COUNT + 1))
    with pytest.raises(ValueError, match="too large"):
        to_decimal("1e999999", what="amount")
    assert to_decimal("0." + "0" * 17 + "1", places=18) == Decimal("1E-18")
    with pytest.raises(ValueError, match="more than 18 decimal places"):
        to_decimal("0." + "0" * 18 + "1", places=18)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (f"price sonnet-4.6 --input {MAX_COUNT + 1}", "is more than 1,000,000,000,000,000,000"),
        (
            f"price sonnet-4.6 --input 1M --requests {10**30}",
            "'--requests': '1000000000000000000000000000000' is more than 1,000,000,000,000,000,000",
        ),
        (
            f"price sonnet-4.6 --input 1M --web-searches {10**30}",
            "'--web-searches': '1000000000000000000000000000000' is more than",
        ),
        ("price sonnet-4.6 --output " + "9" * 5_000, "is more than 1,000,000,000,000,000,000"),
        (
            "project sonnet-4.6 --input 2k --requests 1000 --start 9999-06",
            "--start 9999-06 with a 12-month horizon",
        ),
        ("project sonnet-4.6 --input 2k --requests 1000 --start 0", "--start '0' is not a month"),
        (
            "project sonnet-4.6 --input 2k --requests 1000 --growth 1e17 --start 2026-12 --months 3",
            # 1,000 requests, then × (1 + 10^15) a month: 1,000,000,000,000,001,000 in the second month
            "grows to 1,000,000,000,000,001,000 requests in 2027-01, more than 1,000,000,000,000,000,000 a month",
        ),
        ("project sonnet-4.6 --input 2k --requests 1e30 --start 2026-12", "is not a number of requests"),
        (
            f"project sonnet-4.6 --input 2k --requests {10**19} --start 2026-12",
            "no real volume is that large",
        ),
        ("project sonnet-4.6 --input 2k --requests 1000 --growth 1e999999", "too large"),
        ("estimate examples/batch-requests.jsonl --output-ratio 1e999999", "too large"),
    ],
)
def test_numbers_on_the_command_line_beyond_the_bounds(args: str, message: str) -> None:
    result = run_cli(args)
    assert result.exit_code == 2, result.stdout
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_projection_at_the_last_month_is_fine() -> None:
    # 9999-11 is the last month whose length (the next month's first day) is a date
    ok = run_cli("project sonnet-4.6 --input 2k --requests 1000 --start 9999-11 --months 1 -f json")
    assert ok.exit_code == 0, ok.stderr
    late = run_cli("project sonnet-4.6 --input 2k --requests 1000 --start 9999-12 --months 1")
    assert late.exit_code == 2
    assert "runs past November 9999" in late.stderr


# --- results: .jsonl.gz, empty files, counts beyond the bound -----------------------------------------


def test_reconcile_and_calibrate_read_gzip_results(tmp_path: Path) -> None:
    for name in ("batch-results.jsonl", "batch-results-support.jsonl", "batch-requests-support.jsonl"):
        (tmp_path / f"{name}.gz").write_bytes(gzip.compress((EXAMPLES / name).read_bytes()))
    plain = run_cli(f"reconcile {EXAMPLES / 'batch-results.jsonl'} {AT} -f json")
    packed = run_cli(f"reconcile {tmp_path / 'batch-results.jsonl.gz'} {AT} -f json")
    assert packed.exit_code == 0, packed.stderr
    assert json.loads(packed.stdout)["actual"] == json.loads(plain.stdout)["actual"]
    with_requests = run_cli(
        f"reconcile {tmp_path / 'batch-results-support.jsonl.gz'} "
        f"--requests {tmp_path / 'batch-requests-support.jsonl.gz'} {AT} -f json"
    )
    assert with_requests.exit_code == 0, with_requests.stderr
    calibrated = run_cli(
        f"calibrate {tmp_path / 'batch-requests-support.jsonl.gz'} {tmp_path / 'batch-results-support.jsonl.gz'} "
        f"{AT} -f json"
    )
    plain_cal = run_cli(
        f"calibrate {EXAMPLES / 'batch-requests-support.jsonl'} {EXAMPLES / 'batch-results-support.jsonl'} "
        f"{AT} -f json"
    )
    assert calibrated.exit_code == 0, calibrated.stderr
    learned, plain_learned = (
        json.loads(calibrated.stdout)["calibration"],
        json.loads(plain_cal.stdout)["calibration"],
    )
    assert learned["models"] == plain_learned["models"]
    assert learned["prefixes"] == plain_learned["prefixes"]


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_an_empty_results_file_exits_2_like_an_empty_request_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text(content)
    result = run_cli(f"reconcile {path} {AT}")
    assert result.exit_code == 2
    assert result.stderr == f"error: {path}: the results file holds no result lines; expected one " + (
        '{"custom_id": ..., "result": {...}} per line\n'
    )
    requests = tmp_path / "requests.jsonl"
    requests.write_text(content)
    assert run_cli(f"estimate {requests} {AT}").exit_code == 2


def test_a_count_beyond_the_bound_in_results(tmp_path: Path) -> None:
    usage = {"input_tokens": MAX_COUNT, "output_tokens": 1}
    line = {
        "custom_id": "a",
        "result": {"type": "succeeded", "message": {"model": "claude-sonnet-4-6", "usage": usage}},
    }
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(line) + "\n")
    assert run_cli(f"reconcile {path} {AT}").exit_code == 0  # the bound itself is a count
    usage["input_tokens"] = MAX_COUNT + 1
    path.write_text(json.dumps(line) + "\n")
    result = run_cli(f"reconcile {path} {AT}")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {path}:1: usage.input_tokens is 1000000000000000001; more than 1,000,000,000,000,000,000 "
        "is not a real count\n"
    )


def test_results_reader_reports_the_line_of_a_deep_value(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"custom_id": "a", "result": {"type": "expired"}}\n{"custom_id": ' + "[" * 3_000 + "\n")
    with pytest.raises(WorkloadError, match=r"r.jsonl:2: not valid JSON \(nested too deeply"):
        list(ResultsReader(path))


# --- Admin exports ------------------------------------------------------------------------------------


def _usage_page(row: dict[str, object], start: str = "2026-11-24T00:00:00Z") -> dict[str, object]:
    base = {
        "model": "claude-sonnet-4-6",
        "service_tier": "standard",
        "uncached_input_tokens": 1000,
        "output_tokens": 10,
    }
    return {"data": [{"starting_at": start, "results": [{**base, **row}]}], "has_more": False}


@pytest.mark.parametrize(
    ("page", "message"),
    [
        (
            _usage_page({}, "0001-01-01T00:00:00+14:00"),
            "starting_at '0001-01-01T00:00:00+14:00' is out of range",
        ),
        (_usage_page({}, "9999-12-31T23:00:00-14:00"), "is out of range: in UTC it falls outside the years"),
        (_usage_page({"output_tokens": MAX_COUNT + 1}), "output_tokens is 1000000000000000001; more than"),
        ({"data": [], "has_more": False}, "the export holds no rows (0 bucket(s)): nothing to price"),
        ({"data": [{"starting_at": "2026-11-24T00:00:00Z", "results": []}]}, "holds no rows (1 bucket(s))"),
    ],
)
def test_admin_usage_export_problems(tmp_path: Path, page: dict[str, object], message: str) -> None:
    path = tmp_path / "usage.json"
    path.write_text(json.dumps(page))
    result = run_cli(f"reconcile --usage-report {path}")
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith(f"error: {path}")
    assert message in result.stderr


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1e999999", "amount '1e999999' is too large"),
        ("0.0000000000000000001", "has more than 18 decimal places"),
        ("NaN", "is not a finite number"),
    ],
)
def test_admin_cost_amounts_beyond_the_bounds(tmp_path: Path, amount: str, message: str) -> None:
    usage = tmp_path / "usage.json"
    usage.write_text(json.dumps(_usage_page({})))
    cost = tmp_path / "cost.json"
    row = {"amount": amount, "currency": "USD", "model": "claude-sonnet-4-6", "cost_type": "tokens"}
    cost.write_text(json.dumps({"data": [{"starting_at": "2026-11-24T00:00:00Z", "results": [row]}]}))
    result = run_cli(f"reconcile --usage-report {usage} --cost-report {cost}")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {cost}: data[0].results[0]: ")
    assert message in result.stderr


# --- text files and directories -----------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_text_directory_reports_fifos_and_broken_links(tmp_path: Path) -> None:
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "a.txt").write_text("Hello there.")
    os.mkfifo(folder / "pipe.txt")
    (folder / "gone.txt").symlink_to(folder / "missing.txt")
    skipped: list[str] = []
    assert expand_paths([folder], skipped=skipped) == [folder / "a.txt"]
    assert skipped == [f"{folder / 'gone.txt'} (a broken symbolic link)", f"{folder / 'pipe.txt'} (a FIFO)"]
    result = run_cli(f"estimate {folder} --model sonnet-4.6 --max-tokens 10 --output-tokens 5 {AT}")
    assert result.exit_code == 0, result.stderr
    assert (
        f"warning: skipped 2 entries that are not regular files: {folder / 'gone.txt'} (a broken symbolic "
        f"link), {folder / 'pipe.txt'} (a FIFO)"
    ) in result.stdout + result.stderr


def test_a_broken_link_given_by_name_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "gone.txt").symlink_to(tmp_path / "missing.txt")
    with pytest.raises(WorkloadError, match=r"gone\.txt: a broken symbolic link"):
        expand_paths([tmp_path / "gone.txt"])


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this system")
def test_dev_zero_as_a_text_file_is_an_error() -> None:
    result = run_cli(f"estimate /dev/zero --model sonnet-4.6 --max-tokens 10 --max-line-bytes 64KiB {AT}")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: /dev/zero: larger than 65,536 bytes")


# --- tables -------------------------------------------------------------------------------------------


def test_a_gzip_csv_is_a_table(tmp_path: Path) -> None:
    (tmp_path / "t.csv.gz").write_bytes(gzip.compress((EXAMPLES / "tickets.csv").read_bytes()))
    args = f"--model sonnet-4.6 --text-column ticket --output-tokens 10 {AT} -f json"
    packed = run_cli(f"estimate {tmp_path / 't.csv.gz'} {args}")
    plain = run_cli(f"estimate {EXAMPLES / 'tickets.csv'} {args}")
    assert packed.exit_code == 0, packed.stderr
    assert json.loads(packed.stdout)["realtime"] == json.loads(plain.stdout)["realtime"]


def test_a_table_row_with_an_unknown_speed_names_the_file_and_row(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("input_tokens,max_tokens,speed\n10,5,standard\n10,5,warp\n")
    result = run_cli(f"estimate {path} --model sonnet-4.6 {AT}")
    assert result.exit_code == 2
    assert result.stderr == f"error: {path}: row 2: speed 'warp' is not one of standard, fast\n"
    skipped = run_cli(f"estimate {path} --model sonnet-4.6 --skip-invalid {AT}")
    assert skipped.exit_code == 0
    expected = f"skipped 1 invalid line or row:\n  {path}: row 2: speed 'warp' is not one of standard, fast"
    assert expected in skipped.stdout + skipped.stderr


def test_table_counts_beyond_the_bound(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(f"input_tokens,max_tokens\n{MAX_COUNT + 1},5\n")
    result = run_cli(f"estimate {path} --model sonnet-4.6 {AT}")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: {path}: row 1: input_tokens '1000000000000000001' is more than 1,000,000,000,000,000,000; "
        "no real count is that large\n"
    )


def test_a_corrupt_parquet_file_names_the_file(tmp_path: Path) -> None:
    import pandas as pd

    path = tmp_path / "t.parquet"
    pd.DataFrame({"input_tokens": list(range(1_000)), "max_tokens": [5] * 1_000}).to_parquet(path)
    data = bytearray(path.read_bytes())
    data[100:400] = b"\x00" * 300  # the first column's pages, after the magic bytes
    path.write_bytes(bytes(data))
    result = run_cli(f"estimate {path} --model sonnet-4.6 {AT}")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: cannot read as a table: ")
    assert "Traceback" not in result.stderr


# --- estimate: a JSONL file's kind from more than its first line --------------------------------------


def test_a_bad_first_line_does_not_make_requests_a_table(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    path.write_text("{broken\n" + (EXAMPLES / "batch-requests.jsonl").read_text())
    assert jsonl_kind(path) == "batch"
    result = run_cli(f"estimate {path} {AT}")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}:1: not valid JSON (Expecting property name")
    skipped = run_cli(f"estimate {path} --skip-invalid --output-tokens 10 {AT} -f json")
    assert skipped.exit_code == 0, skipped.stderr
    report = json.loads(skipped.stdout)
    assert (report["requests"], report["skipped"]) == (4, 1)


def test_jsonl_kinds(tmp_path: Path) -> None:
    cases = {
        "table.jsonl": '{"text": "a"}\n{"text": "b"}\n',
        "garbage.jsonl": "xx\nyy\n",
        "blank.jsonl": "\n \n",
        "bodies.jsonl": '[]\n{"model": "m", "messages": []}\n',
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
    kinds = {name: jsonl_kind(tmp_path / name) for name in cases}
    assert kinds == {
        "table.jsonl": "other",
        "garbage.jsonl": "invalid",
        "blank.jsonl": "empty",
        "bodies.jsonl": "messages",
    }
    result = run_cli(f"estimate {tmp_path / 'garbage.jsonl'} {AT}")
    assert result.stderr.startswith(f"error: {tmp_path / 'garbage.jsonl'}:1: not valid JSON")


def test_a_lone_surrogate_reaches_stdout_escaped(tmp_path: Path) -> None:
    line = json.loads((EXAMPLES / "batch-requests.jsonl").read_text().splitlines()[0])
    line["custom_id"] = "sum-\ud800-1"
    path = tmp_path / "requests.jsonl"
    path.write_text(json.dumps(line) + "\n")  # json.dumps writes the surrogate as \\ud800
    for fmt in ("table", "json", "csv", "markdown"):
        result = run_cli(f"estimate {path} --group-by prefix --output-tokens 10 {AT} -f {fmt}")
        assert result.exit_code == 0, result.stderr
    report = json.loads(run_cli(f"estimate {path} --group-by prefix --output-tokens 10 {AT} -f json").stdout)
    assert report["requests"] == 1


# --- check and project: errors name the file and the key ----------------------------------------------


def _config(tmp_path: Path, workloads: str) -> Path:
    path = tmp_path / "claude-quote.toml"
    path.write_text("schema_version = 1\n" + workloads)
    return path


def test_check_names_the_config_and_the_key(tmp_path: Path) -> None:
    shutil.copy(EXAMPLES / "batch-requests.jsonl", tmp_path)
    good = '[[workloads]]\nname = "ok"\nmodel = "sonnet-4.6"\ntokens = { input = 10 }\nrequests = 1\n'
    bad_model = '[[workloads]]\nname = "chat"\nmodel = "sonet"\ntokens = { input = 10 }\nrequests = 1\n'
    path = _config(tmp_path, good + bad_model)
    result = run_cli(f"check --config {path} {AT}")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: workloads[1] (chat).model: unknown model 'sonet'")
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{oops\n")
    source = '[[workloads]]\nname = "nightly"\nmode = "batch"\nsource = "broken.jsonl"\n'
    path = _config(tmp_path, good + source)
    result = run_cli(f"check --config {path} {AT}")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"error: {path}: workloads[1] (nightly).source: {broken}:1: not valid JSON"
    )
    fast = '[[workloads]]\nname = "fast"\nmodel = "sonnet-4.6"\nfast = true\ntokens = { input = 10 }\nrequests = 1\n'
    path = _config(tmp_path, fast)
    result = run_cli(f"check --config {path} {AT}")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: workloads[0] (fast): ")


def test_check_config_counts_beyond_the_bound(tmp_path: Path) -> None:
    workload = (
        f'[[workloads]]\nname = "a"\nmodel = "sonnet-4.6"\ntokens = {{ output = {10**40} }}\nrequests = 1\n'
    )
    path = _config(tmp_path, workload)
    result = run_cli(f"check --config {path} {AT}")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"error: {path}: workloads[0] (a).tokens.output: must be 1000000000000000000 or less"
    )


def test_project_names_the_spec_and_the_key(tmp_path: Path) -> None:
    spec = tmp_path / "workloads.toml"
    spec.write_text(
        'schema_version = 1\n[[workloads]]\nname = "a"\nmodel = "sonnet-4.6"\nrequests = 5\n[workloads.tokens]\ninput = 5\n'
        '[[workloads]]\nname = "b"\nmodel = "sonet"\nrequests = 5\n[workloads.tokens]\ninput = 5\n'
    )
    result = run_cli(f"project --spec {spec} --start 2026-12")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {spec}: workloads[1] (b).model: unknown model 'sonet'")
    spec.write_text(spec.read_text().replace('"sonet"', '"sonnet-5.5"'))
    early = run_cli(f"project --spec {spec} --start 2026-06")
    assert early.exit_code == 2
    assert early.stderr.startswith(f"error: {spec}: workloads[1] (b): claude-sonnet-5-5 was released on ")


def test_an_unknown_compare_model_is_not_blamed_on_the_spec() -> None:
    result = run_cli(f"project --spec {EXAMPLES / 'workloads.toml'} --start 2026-12 --compare hiaku")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: unknown model 'hiaku'")


# --- baselines and estimate reports -------------------------------------------------------------------


@pytest.fixture
def baseline(tmp_path: Path) -> Path:
    path = tmp_path / "main.json"
    result = run_cli(f"check --config {EXAMPLES / 'claude-quote.toml'} {AT} -f json -o {path}")
    assert result.exit_code == 0, result.stderr
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda text: text.replace('"total": "', '"total": NaN, "_": "', 1),
            "not valid JSON (NaN is not a number",
        ),
        (
            lambda text: text.replace('"total": "', '"total": 1e400, "_": "', 1),
            "the number 1e400 is too large",
        ),
        (
            lambda text: text.replace('"total": "', '"total": "1e999999", "_": "', 1),
            "total '1e999999' is too large",
        ),
        (
            lambda text: text.replace('"total": "', '"total": 12.5, "_": "', 1),
            "total must be written as a decimal string",
        ),
        (
            lambda text: text.replace('"workloads": [', '"workloads": 7, "x": [', 1),
            "workloads must be a list",
        ),
        (lambda text: text + "\xff", "not UTF-8 text"),
    ],
)
def test_a_bad_baseline_names_the_file(baseline: Path, edit: Callable[[str], str], message: str) -> None:
    baseline.write_bytes(
        edit(baseline.read_text()).encode("utf-8", "surrogateescape").replace(b"\xc3\xbf", b"\xff")
    )
    result = run_cli(f"check --config {EXAMPLES / 'claude-quote.toml'} --baseline {baseline} {AT}")
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith(f"error: {baseline}")
    assert message in result.stderr


def test_a_non_utf8_estimate_report_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "estimate.json"
    path.write_bytes(b'{"kind": "estimate", "x": "\xff"}')
    result = run_cli(f"project --from-estimate {path} --start 2026-12")
    assert result.exit_code == 2
    assert result.stderr == f"error: {path}:1: not UTF-8 text (byte 0xff at offset 27)\n"


# --- check -o and --json write atomically -------------------------------------------------------------


def test_check_output_is_never_left_empty(tmp_path: Path, baseline: Path) -> None:
    before = baseline.read_bytes()
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("x")
    config = EXAMPLES / "claude-quote.toml"
    result = run_cli(f"check --config {config} {AT} -o {blocked / 'report.md'}")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {blocked / 'report.md'}: cannot write the report: ")
    # a failed write of --json leaves the earlier report as it was, and no temporary file behind
    result = run_cli(f"check --config {config} {AT} --json {baseline} -o {blocked / 'x.md'}")
    assert result.exit_code == 2
    assert baseline.read_bytes() != b""
    assert sorted(p.name for p in baseline.parent.iterdir()) == sorted(["main.json", "file-not-dir"])
    assert json.loads(before)["kind"] == "check"


# --- custom price tables with extends -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('extends = "builtin"\nsources = 5\n', "sources must be a table of sources"),
        ('extends = "builtin"\nmodels = 5\n', "models must be an array of tables"),
        ('extends = "builtin"\nmodels = [5]\n', r"models\[0\] must be a table"),
        ('extends = "builtin"\n[[models]]\nname = "x"\n', r"models\[0\].id must be the model's API id"),
        ('extends = "builtin"\n[[models]]\nid = 7\n', r"models\[0\].id must be the model's API id"),
    ],
)
def test_an_extending_table_with_malformed_models_or_sources(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "pricing.toml"
    path.write_text(body)
    result = run_cli(f"price sonnet-4.6 --input 1M --pricing {path} {AT}")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}: ")
    assert message.replace("\\", "") in result.stderr.replace("\\", "")


# --- calibrate writes only what a TOML file can hold --------------------------------------------------


def test_calibrate_leaves_out_a_prefix_toml_cannot_hold(tmp_path: Path) -> None:
    requests = [json.loads(x) for x in (EXAMPLES / "batch-requests-support.jsonl").read_text().splitlines()][
        :4
    ]
    results = {
        json.loads(x)["custom_id"]: json.loads(x)
        for x in (EXAMPLES / "batch-results-support.jsonl").read_text().splitlines()
    }
    with (tmp_path / "req.jsonl").open("w") as req, (tmp_path / "res.jsonl").open("w") as res:
        for i, request in enumerate(requests):
            result = results[request["custom_id"]]
            request["custom_id"] = result["custom_id"] = f"\ud800x-{i}"  # written as the escape \\ud800
            req.write(json.dumps(request) + "\n")
            res.write(json.dumps(result) + "\n")
    weird = tmp_path / "res\udcff.jsonl"  # a file name that is not UTF-8, as Python sees it
    shutil.copy(tmp_path / "res.jsonl", weird)
    out = tmp_path / "cal.toml"
    result = run_cli(
        [
            "calibrate",
            str(tmp_path / "req.jsonl"),
            str(weird),
            "--min-samples",
            "1",
            "-o",
            str(out),
            *AT.split(),
        ]
    )
    assert result.exit_code == 0, result.stderr
    assert "custom_id prefix '\\ud800x' holds a lone surrogate" in result.stdout + result.stderr
    text = out.read_text(encoding="utf-8")
    assert "[prefixes." not in text
    assert "res\\udcff.jsonl" in text  # the file name, escaped in the comment and the note
    assert run_cli(f"estimate {tmp_path / 'req.jsonl'} --calibration {out} {AT}").exit_code == 0


def test_a_directory_whose_every_file_is_left_out_names_them(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"\x00\x01")  # binary: found in a directory, so skipped
    result = run_cli(f"estimate {folder} --model sonnet-4.6 --max-tokens 5 {AT}")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: no requests found in {folder}: every file found was left out: {folder / 'a.txt'} (binary)\n"
    )
