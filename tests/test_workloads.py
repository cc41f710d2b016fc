"""The readers: Message Batches JSONL, request JSON, text files, tables."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from claude_quote.errors import NotTextError, UsageError, WorkloadError
from claude_quote.workloads import custom_id_prefix, iter_batch_requests, iter_requests
from claude_quote.workloads.tables import iter_table_rows
from claude_quote.workloads.text import check_template, expand_paths, fill_template, read_text_file
from tests.workload_files import request, write_jsonl


def test_iter_batch_requests_streams_lines_with_numbers_and_sizes(tmp_path: Path) -> None:
    first = json.dumps(request(custom_id="a-1"))
    second = json.dumps(request(custom_id="a-2"))
    path = tmp_path / "batch.jsonl"
    path.write_text(first + "\n\n" + second + "\n", encoding="utf-8")
    got = list(iter_batch_requests(path))
    assert [(r.line, r.custom_id) for r in got] == [(1, "a-1"), (3, "a-2")]  # the blank line 2 is skipped
    assert got[0].size_bytes == len(first) + 1  # newline included
    assert got[0].params["model"] == "claude-sonnet-4-6"


def test_gzip_batch_files_are_read(tmp_path: Path) -> None:
    path = tmp_path / "batch.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write(json.dumps(request()) + "\n")
    assert [r.custom_id for r in iter_batch_requests(path)] == ["req-1"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "batch.jsonl:2: not valid JSON"),
        ("[1, 2]", "batch.jsonl:2: expected a JSON object, got list"),
        ('{"custom_id": "", "params": {}}', "batch.jsonl:2: custom_id must be a non-empty string"),
        ('{"custom_id": "x", "params": "hi"}', 'batch.jsonl:2: "params" must be an object'),
        ('{"custom_id": "x"}', '"params" must be an object with the Messages API request \\(missing\\)'),
    ],
)
def test_malformed_lines_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = write_jsonl(tmp_path / "batch.jsonl", [request(), line])
    with pytest.raises(WorkloadError, match=message):
        list(iter_batch_requests(path))


def test_skip_invalid_reports_each_skipped_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "batch.jsonl", [request(), "{oops", "[]", request(custom_id="b")])
    skipped: list[WorkloadError] = []
    got = list(iter_batch_requests(path, skip_invalid=True, on_skip=skipped.append))
    assert [r.custom_id for r in got] == ["req-1", "b"]
    assert [e.line for e in skipped] == [2, 3]


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(WorkloadError, match="no such file"):
        list(iter_batch_requests(tmp_path / "nope.jsonl"))
    with pytest.raises(WorkloadError, match="is a directory"):
        list(iter_batch_requests(tmp_path))


def test_request_json_shapes(tmp_path: Path) -> None:
    body = request()["params"]
    single = tmp_path / "one.json"
    single.write_text(json.dumps(body), encoding="utf-8")
    assert [(r.custom_id, r.line) for r in iter_requests(single)] == [("line-1", 1)]
    create = tmp_path / "create.json"
    create.write_text(
        json.dumps({"requests": [request(custom_id="x"), request(custom_id="y")]}), encoding="utf-8"
    )
    assert [r.custom_id for r in iter_requests(create)] == ["x", "y"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}', encoding="utf-8")
    with pytest.raises(WorkloadError, match="expected a Messages API request body"):
        list(iter_requests(bad))


def test_bare_messages_jsonl(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "bodies.jsonl", [request()["params"], request()["params"]])
    assert [r.custom_id for r in iter_requests(path)] == ["line-1", "line-2"]


@pytest.mark.parametrize(
    ("custom_id", "prefix"),
    [
        ("summarize-00017", "summarize"),
        ("doc-2024-0003", "doc"),
        ("eval_q3_0042", "eval_q3"),
        ("item42", "item"),
        ("0042", "0042"),
        ("plain", "plain"),
    ],
)
def test_custom_id_prefix(custom_id: str, prefix: str) -> None:
    assert custom_id_prefix(custom_id) == prefix


def test_expand_paths(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "b.txt").write_text("b", encoding="utf-8")
    (tmp_path / "docs" / "a.txt").write_text("a", encoding="utf-8")
    (tmp_path / "docs" / ".hidden").write_text("h", encoding="utf-8")
    (tmp_path / "docs" / "sub").mkdir()
    (tmp_path / "docs" / "sub" / "c.md").write_text("c", encoding="utf-8")
    names = [p.name for p in expand_paths([tmp_path / "docs"])]
    assert names == ["a.txt", "b.txt", "c.md"]
    assert [p.name for p in expand_paths([str(tmp_path / "docs" / "*.txt")])] == ["a.txt", "b.txt"]
    with pytest.raises(WorkloadError, match="no files match"):
        expand_paths([str(tmp_path / "*.csv")])
    with pytest.raises(WorkloadError, match="no such file or directory"):
        expand_paths([tmp_path / "missing.txt"])


def test_templates() -> None:
    assert fill_template("Summarize {name}: {text}", "body", name="a.txt") == "Summarize a.txt: body"
    assert fill_template('JSON {"k": 1} {text}', "x", name="n") == 'JSON {"k": 1} x'
    with pytest.raises(UsageError, match=r"no \{text\} placeholder"):
        check_template("Summarize this")


def test_non_utf8_text_file(tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes("café".encode("latin-1"))  # é is byte 0xe9: not UTF-8
    with pytest.raises(NotTextError, match=r"latin.txt: not UTF-8 text \(byte 3\); give the files' encoding"):
        read_text_file(path)
    assert read_text_file(path, encoding="latin-1").text == "café"
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(NotTextError, match=r"image\.png: binary, not text"):
        read_text_file(binary)


def test_csv_with_token_counts(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text(
        'custom_id,input_tokens,output_tokens,max_tokens\na-1,"1,000",200,500\na-2,5k,,500\n',
        encoding="utf-8",
    )
    rows = list(iter_table_rows(path))
    assert [(r.custom_id, r.input_tokens, r.output_tokens, r.max_tokens) for r in rows] == [
        ("a-1", 1000, 200, 500),
        ("a-2", 5000, None, 500),
    ]
    assert rows[0].text is None


def test_text_column_in_csv_tsv_jsonl_and_parquet(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"ticket": ["printer is on fire", "reset my password"], "model": ["haiku-4.5", "sonnet-4.6"]}
    )
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_csv(tmp_path / "t.tsv", index=False, sep="\t")
    frame.to_json(tmp_path / "t.jsonl", orient="records", lines=True)
    frame.to_parquet(tmp_path / "t.parquet")
    for name in ("t.csv", "t.tsv", "t.jsonl", "t.parquet"):
        rows = list(iter_table_rows(tmp_path / name, text_column="ticket"))
        assert [(r.row, r.text, r.model) for r in rows] == [
            (1, "printer is on fire", "haiku-4.5"),
            (2, "reset my password", "sonnet-4.6"),
        ], name


def test_parquet_integer_columns(tmp_path: Path) -> None:
    pd.DataFrame({"input_tokens": [10, 20], "max_tokens": [5, 6]}).to_parquet(tmp_path / "t.parquet")
    rows = list(iter_table_rows(tmp_path / "t.parquet"))
    assert [(r.input_tokens, r.max_tokens) for r in rows] == [(10, 5), (20, 6)]


def test_table_errors(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(WorkloadError, match=r"no text column: pass --text-column NAME.*\['a', 'b'\]"):
        list(iter_table_rows(path))
    with pytest.raises(WorkloadError, match="no column 'text2'"):
        list(iter_table_rows(path, text_column="text2"))
    bad = tmp_path / "bad.csv"
    bad.write_text("input_tokens,max_tokens\n10,5\n-3,5\n1.5,5\n,5\n", encoding="utf-8")
    with pytest.raises(WorkloadError, match="row 2: input_tokens '-3' is negative"):
        list(iter_table_rows(bad))
    skipped: list[WorkloadError] = []
    rows = list(iter_table_rows(bad, skip_invalid=True, on_skip=skipped.append))
    assert [r.input_tokens for r in rows] == [10]
    assert len(skipped) == 3
    assert "row 4: input_tokens is empty" in str(skipped[2])


def test_read_request_lines_gives_every_line_with_its_bytes(tmp_path: Path) -> None:
    from claude_quote.workloads.requests import read_request_lines

    path = tmp_path / "b.jsonl"
    good = json.dumps(request(custom_id="a"))
    path.write_text(f"{good}\n\n{{oops\n{good}", encoding="utf-8")
    got = list(read_request_lines(path))
    assert [(x.line, x.raw, x.in_source) for x in got] == [
        (1, good.encode() + b"\n", True),
        (2, b"\n", True),
        (3, b"{oops\n", True),
        (4, good.encode(), True),  # no newline at the end: the bytes as they are
    ]
    assert [(x.request is not None, x.error is not None) for x in got] == [
        (True, False),
        (False, False),  # a blank line
        (False, True),
        (True, False),
    ]
    assert str(got[2].error).startswith(f"{path}:3: not valid JSON")


def test_a_json_document_comes_first_then_its_requests_as_lines(tmp_path: Path) -> None:
    from claude_quote.workloads.requests import read_request_lines

    path = tmp_path / "create.json"
    path.write_text(json.dumps({"requests": [request(custom_id="a"), 5]}, indent=2), encoding="utf-8")
    document, first, second = read_request_lines(path)
    assert (document.line, document.raw, document.in_source) == (0, path.read_bytes(), True)
    assert first.raw == json.dumps(request(custom_id="a"), separators=(",", ":")).encode() + b"\n"
    assert (first.line, first.in_source, first.request is not None) == (1, False, True)
    assert str(second.error) == f"{path}:2: expected a JSON object, got int"


def test_jsonl_kind_of_a_file_without_newlines_is_bounded(tmp_path: Path) -> None:
    from claude_quote.workloads.requests import jsonl_kind

    path = tmp_path / "long.jsonl"
    path.write_bytes(b"x" * 1_000)
    with pytest.raises(WorkloadError, match=r"long\.jsonl:1: the line is longer than 100 bytes"):
        jsonl_kind(path, max_line_bytes=100)
