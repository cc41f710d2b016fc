"""The results reader at scale: the fast path agrees with the careful one, repeated custom_ids are found
exactly in bounded memory, and errors come in line order as if each line were checked in turn."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_quote import WorkloadError
from claude_quote.reconcile import reconcile_results
from claude_quote.workloads.results import BatchResult, ResultsReader, TierOf
from claude_quote.workloads.unique import DuplicateIds
from tests.conftest import DAY

# --- the index of ids ------------------------------------------------------------------------------


def online(records: Sequence[tuple[str, bool]]) -> dict[int, tuple[int, str]]:
    """What checking each line against the accepted lines before it finds: line → (first line, id)."""
    seen: dict[str, int] = {}
    found: dict[int, tuple[int, str]] = {}
    for line, (custom_id, accepted) in enumerate(records, start=1):
        if custom_id in seen:
            found[line] = (seen[custom_id], custom_id)
        elif accepted:
            seen[custom_id] = line
    return found


def indexed(records: Sequence[tuple[str, bool]], memory_records: int) -> dict[int, tuple[int, str]]:
    ids = DuplicateIds(memory_records)
    for line, (custom_id, accepted) in enumerate(records, start=1):
        ids.add(custom_id, line, first=accepted)
    text = {line: custom_id for line, (custom_id, _) in enumerate(records, start=1)}
    try:
        found = ids.find(lambda lines: {n: text[n] for n in lines})
    finally:
        ids.close()
    return {line: (d.first_line, d.custom_id) for line, d in found.items()}


@settings(max_examples=200, deadline=None)
@given(
    records=st.lists(st.tuples(st.sampled_from(["a", "b", "cc", "dd", "eee"]), st.booleans()), max_size=40),
    memory_records=st.sampled_from([1, 2, 3, 1000]),
    weak=st.booleans(),
)
def test_the_index_finds_what_an_online_check_finds(
    records: list[tuple[str, bool]], memory_records: int, weak: bool
) -> None:
    # With ``weak``, ids of the same length share a hash: every such pair is a candidate, and only
    # the ids read back decide. In memory or spilled to disk (memory_records 1 to 3), the same answer.
    with pytest.MonkeyPatch.context() as patch:
        if weak:
            patch.setattr(DuplicateIds, "hash", staticmethod(len))
        assert indexed(records, memory_records) == online(records)


def test_the_index_at_scale_spills_and_never_reports_a_collision(monkeypatch: pytest.MonkeyPatch) -> None:
    # 70,000 ids, 7 of them repeated, every id hashed to one of 1,000 values (so ~70 per hash):
    # only the 7 true repeats come back, each with its first line. Spilled every 20,000 records.
    monkeypatch.setattr(DuplicateIds, "hash", staticmethod(lambda s: int(s[3:]) % 1_000))
    records = [(f"id-{n}", True) for n in range(70_000)]
    for position in (5, 9_999, 20_000, 40_001, 55_555, 69_000, 69_999):
        records[position] = (f"id-{position - 3}", True)
    assert indexed(records, 20_000) == online(records)
    assert len(online(records)) == 7


# --- the reader: fast and careful agree ------------------------------------------------------------

COUNTS = st.sampled_from([0, 1, 7, 2_000, 150_000, -1, 1.5, True, None, "3"])
SPLITS: st.SearchStrategy[object] = st.one_of(
    st.none(),
    st.just({}),
    st.just([]),
    st.fixed_dictionaries({"ephemeral_5m_input_tokens": COUNTS, "ephemeral_1h_input_tokens": COUNTS}),
)
USAGES = st.fixed_dictionaries(
    {},
    optional={
        "input_tokens": COUNTS,
        "output_tokens": COUNTS,
        "cache_creation_input_tokens": COUNTS,
        "cache_read_input_tokens": COUNTS,
        "cache_creation": SPLITS,
        "server_tool_use": st.one_of(st.none(), st.fixed_dictionaries({"web_search_requests": COUNTS})),
        "inference_geo": st.sampled_from(["global", "us", None, ["us"]]),
        "speed": st.sampled_from(["standard", None]),
        "service_tier": st.sampled_from(["batch", "standard", None, ["x"]]),
        "prompt_tokens": st.just(5),
    },
)
RESULTS: st.SearchStrategy[object] = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.just("succeeded"),
            "message": st.fixed_dictionaries(
                {"model": st.sampled_from(["claude-sonnet-4-6", "claude-haiku-4-5", "", 3]), "usage": USAGES}
            ),
        }
    ),
    st.fixed_dictionaries({"type": st.sampled_from(["errored", "canceled", "expired", "unknown"])}),
    st.just([]),
)
LINES = st.one_of(
    st.builds(
        lambda i, r: json.dumps({"custom_id": i, "result": r}), st.sampled_from(["a", "b", "c", ""]), RESULTS
    ),
    st.sampled_from(["", "{bad", "[1]", ' {"custom_id": "a", "result": {"type": "expired"}} ', '"x"']),
)


def careful_sums(lines: list[BatchResult]) -> dict[str, Any]:
    """The sums of the careful path (iterating), as :meth:`ResultsReader.sums` reports them."""
    counts: dict[str, int] = {}
    groups: dict[tuple[object, ...], list[int]] = {}
    for line in lines:
        counts[line.type] = counts.get(line.type, 0) + 1
        if line.usage is not None:
            key = tuple(v if isinstance(v, str | None) else str(v) for v in (line.inference_geo, line.speed))
            sums = groups.setdefault((line.model, *key), [0] * 7)
            for index, value in enumerate((1, *line.usage.buckets())):
                sums[index] += value
    return {"counts": counts, "groups": groups}


def no_tiers(model: str, geo: object, speed: object, line: int, custom_id: str) -> TierOf | None:
    return None


def _outcome(run: Any) -> tuple[str, Any]:
    try:
        return "ok", run()
    except WorkloadError as exc:
        return "error", str(exc)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(LINES, max_size=12), skip=st.booleans(), crlf=st.booleans())
def test_adding_up_agrees_with_iterating(tmp_path: Path, lines: list[str], skip: bool, crlf: bool) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(("\r\n" if crlf else "\n").join(lines).encode())

    def fast() -> tuple[dict[str, Any], int, list[Any]]:
        reader = ResultsReader(path, skip_invalid=skip)
        sums = reader.sums(no_tiers)
        groups = {(g.model, g.inference_geo, g.speed): [g.requests, *g.buckets] for g in sums.groups}
        return {"counts": sums.counts, "groups": groups}, reader.skipped, reader.skipped_lines

    def careful() -> tuple[dict[str, Any], int, list[Any]]:
        reader = ResultsReader(path, skip_invalid=skip)
        return careful_sums(list(reader)), reader.skipped, reader.skipped_lines

    assert _outcome(fast) == _outcome(careful)


# --- repeated ids, in line order -------------------------------------------------------------------


def expired(custom_id: str) -> str:
    return json.dumps({"custom_id": custom_id, "result": {"type": "expired"}})


def succeeded(custom_id: str, model: str = "claude-sonnet-4-6", **usage: Any) -> str:
    counts = {"input_tokens": 1_000_000, "output_tokens": 0, **usage}
    return json.dumps(
        {
            "custom_id": custom_id,
            "result": {"type": "succeeded", "message": {"model": model, "usage": counts}},
        }
    )


def write(path: Path, lines: Sequence[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_repeat_before_a_bad_line_is_the_error(tmp_path: Path) -> None:
    path = write(tmp_path / "r.jsonl", [expired("a"), expired("b"), expired("a"), "{bad"])
    with pytest.raises(WorkloadError, match=r"r\.jsonl:3: custom_id 'a' already appeared on line 1"):
        reconcile_results(path, at=DAY)


def test_a_bad_line_before_a_repeat_is_the_error(tmp_path: Path) -> None:
    path = write(tmp_path / "r.jsonl", [expired("a"), "{bad", expired("a")])
    with pytest.raises(WorkloadError, match=r"r\.jsonl:2: not valid JSON"):
        reconcile_results(path, at=DAY)


def test_a_repeat_before_an_unknown_model_is_the_error(tmp_path: Path) -> None:
    path = write(tmp_path / "r.jsonl", [succeeded("a"), succeeded("a"), succeeded("b", "claude-nope-9")])
    with pytest.raises(WorkloadError, match=r"r\.jsonl:2: custom_id 'a' already appeared on line 1"):
        reconcile_results(path, at=DAY)


def test_a_repeat_with_an_unknown_model_is_skipped_not_priced(tmp_path: Path) -> None:
    # Line 2 repeats 'a'; with --skip-invalid it is skipped before its model is looked at, so its
    # unknown model is no error, and its 1M tokens are not billed: 1M × $1.50 (batch Sonnet 4.6).
    path = write(tmp_path / "r.jsonl", [succeeded("a"), succeeded("a", "claude-nope-9"), expired("b")])
    a = reconcile_results(path, at=DAY, skip_invalid=True)
    assert (a.counts.succeeded, a.counts.expired, a.skipped) == (1, 1, 1)
    assert a.batch.total == Decimal("1.5")
    assert a.skipped_lines[0].line == 2
    assert a.skipped_lines[0].reason == "custom_id 'a' already appeared on line 1; ids are unique in a batch"


def test_a_repeat_of_a_refused_line_repeats_the_first_accepted_one(tmp_path: Path) -> None:
    # Line 1 is refused (negative tokens) after its id was checked: ids seen are those of accepted
    # lines, so line 2 is the first 'a', and line 3 repeats line 2.
    bad = succeeded("a", input_tokens=-1)
    path = write(tmp_path / "r.jsonl", [bad, succeeded("a"), succeeded("a")])
    a = reconcile_results(path, at=DAY, skip_invalid=True)
    assert [(s.line, s.reason) for s in a.skipped_lines] == [
        (1, "usage.input_tokens is -1; token counts must be whole numbers of 0 or more"),
        (3, "custom_id 'a' already appeared on line 2; ids are unique in a batch"),
    ]
    assert a.batch.total == Decimal("1.5")  # line 2 only: 1M input tokens × $1.50/MTok (batch)


def test_a_pipe_is_read_once_and_its_repeats_found(tmp_path: Path) -> None:
    # The ids of suspect lines are read again: a pipe is kept in a temporary file as it is read.
    fifo = tmp_path / "results.fifo"
    os.mkfifo(fifo)
    text = "\n".join([succeeded("a"), expired("b"), succeeded("a")]) + "\n"

    def feed() -> None:
        with fifo.open("w") as out:
            out.write(text)

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        a = reconcile_results(fifo, at=DAY, skip_invalid=True)
    finally:
        writer.join()
    assert (a.counts.succeeded, a.counts.expired, a.skipped) == (1, 1, 1)
    assert a.skipped_lines[0].reason == "custom_id 'a' already appeared on line 1; ids are unique in a batch"
