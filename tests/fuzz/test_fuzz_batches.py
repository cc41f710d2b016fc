"""Fuzzing the batch readers: request files as ``estimate`` reads them, results (``reconcile``), both
together (``reconcile --requests``, ``calibrate``)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import seeds
from tests.fuzz.harness import assert_handled, count_run, fuzz_settings, invoke, workdir
from tests.fuzz.values import (
    DEEP,
    NASTY_JSON,
    byte_mutations,
    dump_json,
    dump_jsonl,
    maybe_gzip,
    mutated_tree,
)

AT = ["--at", "2026-11-25"]


@st.composite
def _lines(draw: st.DrawFn, lines: list[Any]) -> bytes:
    """A JSONL file of ``lines``, one to three of them broken as trees, or the file broken as bytes."""
    lines = list(lines)
    if draw(st.booleans()):
        for _ in range(draw(st.integers(1, 3))):
            i = draw(st.integers(0, len(lines) - 1))
            lines[i] = draw(mutated_tree(lines[i], NASTY_JSON))
        return dump_jsonl(lines).encode("utf-8")
    return draw(byte_mutations(dump_jsonl(lines).encode("utf-8")))


@fuzz_settings()
@given(
    body=_lines(seeds.requests()),
    compress=st.booleans(),
    skip=st.booleans(),
    exact_flags=st.sampled_from([[], ["--output-tokens", "100"], ["--group-by", "prefix"]]),
)
def test_estimate_reads_any_request_file(
    body: bytes, compress: bool, skip: bool, exact_flags: list[str]
) -> None:
    name = "requests.jsonl.gz" if compress else "requests.jsonl"
    with workdir() as d:
        (d / name).write_bytes(maybe_gzip(body, compress))
        args = [
            "estimate",
            str(d / name),
            *AT,
            "-f",
            "json",
            *exact_flags,
            *(["--skip-invalid"] if skip else []),
        ]
        count_run("estimate requests")
        assert_handled(invoke(args), located=[name], reader="estimate requests", inputs={name: body})


@fuzz_settings()
@given(data=st.data())
def test_estimate_reads_any_request_json(data: st.DataObject) -> None:
    shape = data.draw(st.sampled_from(["requests", "list", "one"]))
    requests = seeds.requests()
    document: Any = (
        {"requests": requests} if shape == "requests" else requests if shape == "list" else requests[0]
    )
    body = dump_json(data.draw(mutated_tree(document, NASTY_JSON))).encode("utf-8")
    if data.draw(st.booleans()):
        body = data.draw(byte_mutations(body))
    with workdir() as d:
        (d / "batch.json").write_bytes(body)
        count_run("estimate request json")
        assert_handled(
            invoke(["estimate", str(d / "batch.json"), *AT, "-f", "json"]),
            located=["batch.json"],
            reader="estimate request json",
            inputs={"batch.json": body},
        )


FIRST_LINES = [
    "[" * 5 * DEEP + "]" * 5 * DEEP,
    '{"requests": [' + "[" * 5 * DEEP + "]" * 5 * DEEP + "]}",
    '{"custom_id": ' + "9" * 5_000 + "}",
    '{"requests": NaN}',
    '{"requests": [1, 2',
    "\ufeff{}",
]
"""First lines that are hard to tell: too deep, too long a number, not JSON, cut short, a BOM."""


@fuzz_settings()
@given(data=st.data(), compress=st.booleans(), command=st.sampled_from(["estimate", "plan"]))
def test_standard_input_holds_anything(data: st.DataObject, compress: bool, command: str) -> None:
    # standard input has no name: what it holds is told from its first bytes (gzip, JSONL, one JSON
    # document, text), so those bytes are fuzzed too: JSONL, a batch-create body (on one line or
    # several), either broken as trees or as bytes
    shape = data.draw(st.sampled_from(["jsonl", "body", "body on one line"]))
    if shape == "jsonl":
        body = data.draw(_lines(seeds.requests()))
    else:
        document = data.draw(mutated_tree({"requests": seeds.requests()}, NASTY_JSON))
        text = dump_json(document)
        body = (" ".join(text.split("\n")) if shape == "body on one line" else text).encode("utf-8")
        if data.draw(st.booleans()):
            body = data.draw(byte_mutations(body))
    if data.draw(st.booleans()):  # what is told first: a nasty first line
        body = data.draw(st.sampled_from(FIRST_LINES)).encode("utf-8") + b"\n" + body
    count_run(f"{command} standard input")
    outcome = invoke([command, "-", *AT, "-f", "json"], stdin=maybe_gzip(body, compress))
    if command == "plan" and outcome.exit_code == 2 and outcome.stdout:  # the plan found errors
        assert json.loads(outcome.stdout)["kind"] == "plan"
        return
    assert_handled(outcome, located=["-"], reader=f"{command} standard input", inputs={"-": body})


@fuzz_settings()
@given(body=_lines(seeds.results()), compress=st.booleans(), skip=st.booleans())
def test_reconcile_reads_any_results_file(body: bytes, compress: bool, skip: bool) -> None:
    name = "results.jsonl.gz" if compress else "results.jsonl"
    with workdir() as d:
        (d / name).write_bytes(maybe_gzip(body, compress))
        args = ["reconcile", str(d / name), *AT, "-f", "json", *(["--skip-invalid"] if skip else [])]
        count_run("reconcile results")
        assert_handled(invoke(args), located=[name], reader="reconcile results", inputs={name: body})


@fuzz_settings()
@given(data=st.data(), skip=st.booleans())
def test_reconcile_requests_reads_both_files(data: st.DataObject, skip: bool) -> None:
    broken = data.draw(st.sampled_from(["requests", "results"]))
    requests = dump_jsonl(seeds.requests()).encode()
    results = dump_jsonl(seeds.results()).encode()
    if broken == "requests":
        requests = data.draw(_lines(seeds.requests()))
    else:
        results = data.draw(_lines(seeds.results()))
    with workdir() as d:
        (d / "requests.jsonl").write_bytes(requests)
        (d / "results.jsonl").write_bytes(results)
        args = [
            "reconcile",
            str(d / "results.jsonl"),
            "--requests",
            str(d / "requests.jsonl"),
            *AT,
            "-f",
            "json",
        ]
        count_run("reconcile --requests")
        assert_handled(
            invoke([*args, *(["--skip-invalid"] if skip else [])]),
            located=[f"{broken}.jsonl"],
            reader="reconcile --requests",
            inputs={broken: requests if broken == "requests" else results},
        )


@fuzz_settings(25)
@given(data=st.data(), skip=st.booleans(), write=st.booleans())
def test_calibrate_reads_both_files(data: st.DataObject, skip: bool, write: bool) -> None:
    broken = data.draw(st.sampled_from(["requests", "results"]))
    requests = dump_jsonl(seeds.support_requests()).encode()
    results = dump_jsonl(seeds.support_results()).encode()
    if broken == "requests":
        requests = data.draw(_lines(seeds.support_requests()))
    else:
        results = data.draw(_lines(seeds.support_results()))
    with workdir() as d:
        (d / "requests.jsonl").write_bytes(requests)
        (d / "results.jsonl").write_bytes(results)
        args = ["calibrate", str(d / "requests.jsonl"), str(d / "results.jsonl"), *AT, "-f", "json"]
        args += ["--min-samples", "2", *(["-o", str(d / "cal.toml")] if write else [])]
        count_run("calibrate")
        outcome = invoke([*args, *(["--skip-invalid"] if skip else [])])
        assert_handled(
            outcome,
            located=[f"{broken}.jsonl"],
            reader="calibrate",
            inputs={broken: requests if broken == "requests" else results},
        )
        if write and outcome.exit_code == 0:
            # What calibrate writes, estimate reads.
            again = invoke(["estimate", str(d / "requests.jsonl"), "--calibration", str(d / "cal.toml"), *AT])
            assert_handled(
                again, located=["requests.jsonl", "cal.toml"], json_output=False, reader="calibrate"
            )
