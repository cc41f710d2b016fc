"""Fuzzing the table and text readers of ``estimate``: CSV, TSV, Parquet, JSONL tables, text files."""

from __future__ import annotations

import csv
import importlib
import io
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import seeds
from tests.fuzz.harness import assert_handled, count_run, fuzz_settings, invoke, workdir
from tests.fuzz.values import NASTY_JSON, NASTY_SCALARS, byte_mutations, dump_jsonl, mutated_tree

AT = ["--at", "2026-11-25"]
COLUMNS = [
    "custom_id",
    "text",
    "input_tokens",
    "output_tokens",
    "max_tokens",
    "model",
    "inference_geo",
    "speed",
]
_CELLS = st.one_of(
    st.sampled_from([str(v) for v in NASTY_SCALARS if not isinstance(v, list | dict)]),
    st.sampled_from(["", "12", "2.5k", "1,000", "1e3", "-3", "0.5", "1" * 40, "sonnet-4.6", "us", "fast"]),
    st.text(max_size=20),
)


def _table_args(path: str, data: st.DataObject) -> list[str]:
    flags = data.draw(
        st.sampled_from(
            [
                ["--model", "sonnet-4.6", "--max-tokens", "100"],
                ["--max-tokens", "100"],
                ["--model", "haiku-4.5"],
                ["--model", "sonnet-4.6", "--max-tokens", "100", "--text-column", "text"],
                ["--model", "sonnet-4.6", "--max-tokens", "100", "--skip-invalid"],
            ]
        )
    )
    return ["estimate", path, *AT, "-f", "json", *flags]


@fuzz_settings()
@given(data=st.data())
def test_estimate_reads_any_csv(data: st.DataObject) -> None:
    if data.draw(st.booleans()):
        body = data.draw(byte_mutations(seeds.raw("tickets.csv")))
    else:
        columns = data.draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=6, unique=True))
        rows = data.draw(st.lists(st.lists(_CELLS, min_size=len(columns), max_size=len(columns)), max_size=4))
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(columns)
        writer.writerows(rows)
        body = text.getvalue().encode("utf-8", "surrogatepass")
    suffix = data.draw(st.sampled_from([".csv", ".tsv"]))
    with workdir() as d:
        (d / f"table{suffix}").write_bytes(body)
        count_run("tables csv")
        assert_handled(
            invoke(_table_args(str(d / f"table{suffix}"), data)),
            located=[f"table{suffix}"],
            reader="tables csv",
            inputs={"table": body},
        )


def _pyarrow(name: str = "pyarrow") -> Any:
    """pyarrow (no type information: imported by name, as Any)."""
    return importlib.import_module(name)


def _parquet_column(data: st.DataObject, name: str) -> Any:
    pa = _pyarrow()

    kind = data.draw(
        st.sampled_from(["int", "float", "str", "bool", "list", "binary", "null", "decimal", "date"])
    )
    n = 3
    if kind == "int":
        values: list[Any] = data.draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=n, max_size=n))
        return pa.array(values, pa.int64())
    if kind == "float":
        values = data.draw(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=n, max_size=n))
        return pa.array(values, pa.float64())
    if kind == "str":
        texts = _CELLS.filter(
            lambda t: not any(0xD800 <= ord(c) <= 0xDFFF for c in t)
        )  # Arrow strings are UTF-8
        return pa.array(data.draw(st.lists(texts, min_size=n, max_size=n)), pa.string())
    if kind == "bool":
        return pa.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    if kind == "list":
        return pa.array([[1, 2], [], None], pa.list_(pa.int64()))
    if kind == "binary":
        return pa.array([b"\xff\xfe", b"", b"abc"], pa.binary())
    if kind == "decimal":
        import decimal

        return pa.array([decimal.Decimal("1.5"), decimal.Decimal("100"), None], pa.decimal128(10, 2))
    if kind == "date":
        import datetime

        return pa.array([datetime.date(2026, 1, 1)] * n)
    return pa.array([None] * n, pa.null())


@fuzz_settings(30)
@given(data=st.data())
def test_estimate_reads_any_parquet(data: st.DataObject) -> None:
    pa, pq = _pyarrow(), _pyarrow("pyarrow.parquet")

    columns = data.draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=5, unique=True))
    table = pa.table({name: _parquet_column(data, name) for name in columns})
    with workdir() as d:
        path = d / "table.parquet"
        pq.write_table(table, path)
        body = path.read_bytes()
        if data.draw(st.booleans()):
            body = data.draw(byte_mutations(body))  # a corrupt file: pages, footer, column chunks
            path.write_bytes(body)
        count_run("tables parquet")
        assert_handled(
            invoke(_table_args(str(path), data)),
            located=["table.parquet"],
            reader="tables parquet",
            inputs={"table.parquet": body[:200]},
        )


@fuzz_settings()
@given(data=st.data())
def test_estimate_reads_any_jsonl_table(data: st.DataObject) -> None:
    rows: list[Any] = [
        {"custom_id": "a", "text": "Hello there.", "model": "sonnet-4.6", "max_tokens": 100},
        {"custom_id": "b", "input_tokens": 1200, "output_tokens": 30, "model": "haiku-4.5", "max_tokens": 64},
    ]
    if data.draw(st.booleans()):
        rows[0] = {k: v for k, v in rows[0].items() if k != "text"} | {"input_tokens": 10}
    i = data.draw(st.integers(0, 1))
    rows[i] = data.draw(mutated_tree(rows[i], NASTY_JSON, keys=COLUMNS))
    body = dump_jsonl(rows).encode("utf-8")
    if data.draw(st.booleans()):
        body = data.draw(byte_mutations(body))
    with workdir() as d:
        (d / "table.jsonl").write_bytes(body)
        count_run("tables jsonl")
        assert_handled(
            invoke(_table_args(str(d / "table.jsonl"), data)),
            located=["table.jsonl"],
            reader="tables jsonl",
            inputs={"table.jsonl": body},
        )


@fuzz_settings()
@given(
    texts=st.lists(
        st.binary(max_size=60) | st.text(max_size=60).map(lambda t: t.encode("utf-8", "surrogatepass")),
        min_size=1,
        max_size=4,
    ),
    template=st.sampled_from([None, "Summarize: {text}", "{name}: {text}", "no placeholder", "{text}" * 3]),
    skip=st.booleans(),
)
def test_estimate_reads_any_text_directory(texts: list[bytes], template: str | None, skip: bool) -> None:
    with workdir() as d:
        folder = d / "texts"
        folder.mkdir()
        for i, body in enumerate(texts):
            (folder / f"doc-{i}.txt").write_bytes(body)
        args = ["estimate", str(folder), *AT, "-f", "json", "--model", "sonnet-4.6", "--max-tokens", "50"]
        args += ["--template", template] if template is not None else []
        args += ["--skip-invalid"] if skip else []
        count_run("text files")
        assert_handled(
            invoke(args),
            located=["texts", "--template"],
            reader="text files",
            inputs={f"doc-{i}": b for i, b in enumerate(texts)},
        )
