"""Fuzzing the Admin API export readers: ``reconcile --usage-report`` and ``--cost-report``."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz import seeds
from tests.fuzz.harness import assert_handled, count_run, fuzz_settings, invoke, workdir
from tests.fuzz.values import NASTY_JSON, byte_mutations, dump_json, dump_jsonl, mutated_tree

_KEYS = [
    "uncached_input_tokens",
    "input_tokens",
    "amount",
    "starting_at",
    "cache_creation",
    "server_tool_use",
]


@st.composite
def _export(draw: st.DrawFn, page: object) -> bytes:
    """A page broken as a tree (as JSON or as JSONL of pages), or as bytes."""
    how = draw(st.sampled_from(["tree", "tree-jsonl", "bytes"]))
    if how == "bytes":
        return draw(byte_mutations(dump_json(page).encode("utf-8")))
    broken = draw(mutated_tree(page, NASTY_JSON, keys=_KEYS))
    if how == "tree-jsonl":
        return dump_jsonl([page, broken]).encode("utf-8")
    return dump_json(broken).encode("utf-8")


@fuzz_settings()
@given(data=st.data(), skip=st.booleans())
def test_reconcile_reads_any_admin_export(data: st.DataObject, skip: bool) -> None:
    broken = data.draw(st.sampled_from(["usage", "cost"]))
    usage = dump_json(seeds.usage_report()).encode()
    cost = dump_json(seeds.cost_report()).encode()
    if broken == "usage":
        usage = data.draw(_export(seeds.usage_report()))
    else:
        cost = data.draw(_export(seeds.cost_report()))
    with_cost = broken == "cost" or data.draw(st.booleans())
    with workdir() as d:
        (d / "usage.json").write_bytes(usage)
        (d / "cost.json").write_bytes(cost)
        args = ["reconcile", "--usage-report", str(d / "usage.json"), "-f", "json"]
        args += ["--cost-report", str(d / "cost.json")] if with_cost else []
        count_run("admin exports")
        assert_handled(
            invoke([*args, *(["--skip-invalid"] if skip else [])]),
            located=[f"{broken}.json"],
            reader="admin exports",
            inputs={broken: usage if broken == "usage" else cost},
        )
