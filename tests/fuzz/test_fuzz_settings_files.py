"""Fuzzing the files that configure a run: the ``check`` config, workload specs, price tables,
calibration files (TOML), and the JSON reports read back: a ``check`` baseline, an ``estimate`` report."""

from __future__ import annotations

import functools
import json
import shutil
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from claude_quote.pricing import builtin_pricing_path
from tests.fuzz import seeds
from tests.fuzz.harness import assert_handled, count_run, fuzz_settings, invoke, workdir
from tests.fuzz.values import NASTY_JSON, NASTY_TOML, byte_mutations, dump_json, dump_toml, mutated_tree

AT = ["--at", "2026-11-25"]


@st.composite
def _toml_file(draw: st.DrawFn, document: dict[str, Any], keys: list[str]) -> bytes:
    if draw(st.integers(0, 3)) == 0:
        return draw(byte_mutations(dump_toml(document).encode("utf-8")))
    return dump_toml(draw(mutated_tree(document, NASTY_TOML, keys=keys, generated=False))).encode(
        "utf-8", "surrogatepass"
    )


@fuzz_settings()
@given(data=st.data())
def test_check_reads_any_config(data: st.DataObject) -> None:
    body = data.draw(_toml_file(seeds.toml("claude-quote.toml"), ["source", "tokens", "file", "budgets"]))
    with workdir() as d:
        shutil.copy(seeds.EXAMPLES / "batch-requests.jsonl", d)
        (d / "claude-quote.toml").write_bytes(body)
        count_run("check config")
        assert_handled(
            invoke(["check", "--config", str(d / "claude-quote.toml"), *AT, "--format", "json"]),
            located=[str(d)],
            ok_codes=(0, 1, 3),
            reader="check config",
            inputs={"claude-quote.toml": body},
        )


@fuzz_settings()
@given(data=st.data(), compare=st.booleans())
def test_project_reads_any_spec(data: st.DataObject, compare: bool) -> None:
    body = data.draw(_toml_file(seeds.toml("workloads.toml"), ["tokens", "growth_percent", "requests"]))
    with workdir() as d:
        (d / "workloads.toml").write_bytes(body)
        args = [
            "project",
            "--spec",
            str(d / "workloads.toml"),
            "--start",
            "2026-12",
            "--months",
            "3",
            "-f",
            "json",
        ]
        args += ["--compare", "sonnet,haiku"] if compare else []
        count_run("project spec")
        assert_handled(invoke(args), located=["workloads.toml"], reader="project spec", inputs={"spec": body})


@functools.cache
def _builtin_excerpt() -> dict[str, Any]:
    """The bundled table cut to a few models (the whole one is slow to mutate)."""
    import tomllib
    from decimal import Decimal

    table = tomllib.loads(builtin_pricing_path().read_text(encoding="utf-8"), parse_float=Decimal)
    keep = {"claude-sonnet-4-6", "claude-haiku-4-5", "claude-opus-4-6"}
    table["models"] = [m for m in table["models"] if m["id"] in keep]
    return table


@fuzz_settings()
@given(data=st.data(), whole=st.booleans())
def test_price_reads_any_price_table(data: st.DataObject, whole: bool) -> None:
    seed = _builtin_excerpt() if whole else seeds.toml("negotiated-pricing.toml")
    body = data.draw(_toml_file(seed, ["extends", "models", "sources", "prices", "aliases", "tiers"]))
    model = data.draw(st.sampled_from(["sonnet-4.6", "haiku-4.5", "opus-4.6"]))
    with workdir() as d:
        (d / "pricing.toml").write_bytes(body)
        args = [
            "price",
            model,
            "--input",
            "1M",
            "--output",
            "100k",
            "--pricing",
            str(d / "pricing.toml"),
            *AT,
        ]
        count_run("pricing table")
        assert_handled(
            invoke([*args, "-f", "json"]),
            located=["pricing.toml"],
            reader="pricing table",
            inputs={"t": body},
        )


@fuzz_settings()
@given(data=st.data())
def test_estimate_reads_any_calibration(data: st.DataObject) -> None:
    body = data.draw(_toml_file(seeds.toml("calibration.toml"), ["input_factor", "output_p50", "models"]))
    with workdir() as d:
        (d / "cal.toml").write_bytes(body)
        args = [
            "estimate",
            str(seeds.EXAMPLES / "batch-requests.jsonl"),
            "--calibration",
            str(d / "cal.toml"),
        ]
        count_run("calibration")
        assert_handled(
            invoke([*args, *AT, "-f", "json"]), located=["cal.toml"], reader="calibration", inputs={"c": body}
        )


@functools.cache
def _baseline() -> dict[str, Any]:
    outcome = invoke(
        ["check", "--config", str(seeds.EXAMPLES / "claude-quote.toml"), *AT, "--format", "json"]
    )
    loaded: dict[str, Any] = json.loads(outcome.stdout)
    return loaded


@fuzz_settings()
@given(data=st.data())
def test_check_reads_any_baseline(data: st.DataObject) -> None:
    body = dump_json(data.draw(mutated_tree(_baseline(), NASTY_JSON, keys=["total", "workloads"]))).encode()
    if data.draw(st.booleans()):
        body = data.draw(byte_mutations(body))
    with workdir() as d:
        (d / "baseline.json").write_bytes(body)
        args = [
            "check",
            "--config",
            str(seeds.EXAMPLES / "claude-quote.toml"),
            "--baseline",
            str(d / "baseline.json"),
        ]
        count_run("check baseline")
        assert_handled(
            invoke([*args, *AT, "--format", "json"]),
            located=["baseline.json"],
            ok_codes=(0, 1),
            reader="check baseline",
            inputs={"b": body},
        )


@functools.cache
def _estimate_report() -> dict[str, Any]:
    outcome = invoke(["estimate", str(seeds.EXAMPLES / "batch-requests.jsonl"), *AT, "-f", "json"])
    loaded: dict[str, Any] = json.loads(outcome.stdout)
    return loaded


@fuzz_settings()
@given(data=st.data())
def test_project_reads_any_estimate_report(data: st.DataObject) -> None:
    body = dump_json(
        data.draw(mutated_tree(_estimate_report(), NASTY_JSON, keys=["by_model", "usage"]))
    ).encode()
    if data.draw(st.booleans()):
        body = data.draw(byte_mutations(body))
    with workdir() as d:
        (d / "estimate.json").write_bytes(body)
        args = ["project", "--from-estimate", str(d / "estimate.json"), "--start", "2026-12", "--months", "2"]
        count_run("estimate report")
        assert_handled(
            invoke([*args, "-f", "json"]),
            located=["estimate.json"],
            reader="estimate report",
            inputs={"e": body},
        )
