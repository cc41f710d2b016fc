"""Mergeable partial estimates (issue 15): any partition of the input, merged in any grouping and any
order, gives exactly the one-process estimate — the same JSON, Decimal for Decimal. Each part of an
estimate that depends on the order of the requests is tested on its own: cache reads of a prefix an
earlier piece wrote, the first skipped line, the first error, output-method labels of equal counts,
custom_ids repeated across pieces.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_quote import EstimateOptions, WorkloadError, estimate
from claude_quote.estimate.partial import (
    EstimatePartial,
    PieceRunner,
    estimate_frame,
    estimate_of,
    iter_pieces,
    merge,
    parallel_partial,
    pieces_of,
    run_of,
)
from claude_quote.render import render
from claude_quote.scale import pieces as pieces_module
from claude_quote.scale.pieces import Piece, jsonl_cuts
from tests.conftest import DAY
from tests.workload_files import request, words, write_jsonl

# Cacheable prefixes: Sonnet 4.6 caches from 1,024 tokens, Haiku 4.5 from 4,096.
SYSTEMS = [words(1_100), "alpha" + " alpha" * 1_199, "beta" + " beta" * 4_199]
DOCS = ["gamma" + " gamma" * 1_499, "delta" + " delta" * 99]


def _line(rng: random.Random, i: int) -> dict[str, Any] | str:
    if i and rng.random() < 0.08:  # (a broken first line makes the file a table)
        return '{"custom_id": broken'
    system: list[dict[str, Any]] = [{"type": "text", "text": rng.choice(SYSTEMS)}]
    if rng.random() < 0.8:
        system[0]["cache_control"] = {"type": "ephemeral", "ttl": rng.choice(["5m", "1h"])}
    content: list[dict[str, Any]] = [{"type": "text", "text": rng.choice(DOCS)}]
    if rng.random() < 0.5:
        content[0]["cache_control"] = {"type": "ephemeral"}
    content.append({"type": "text", "text": words(rng.randint(1, 40))})
    return request(
        content,
        model=rng.choice(["claude-sonnet-4-6", "claude-haiku-4-5"]),
        max_tokens=rng.choice([50, 150, 4_000]),
        custom_id=f"{rng.choice(['sum', 'tag'])}-{i}",
        system=system,
    )


def _workload(path: Path, seed: int, n: int) -> Path:
    rng = random.Random(seed)
    return write_jsonl(path, [_line(rng, i) for i in range(n)])


def _json(report: object) -> str:
    return render(report, "json")


def _tree_merge(parts: list[EstimatePartial], rng: random.Random) -> EstimatePartial:
    """Merge in a random grouping and a random order of the operands."""
    parts = list(parts)
    while len(parts) > 1:
        i = rng.randrange(len(parts) - 1)
        a, b = parts[i], parts[i + 1]
        if rng.random() < 0.5:
            a, b = b, a
        parts[i : i + 2] = [a.merge(b)]
        rng.shuffle(parts)
    return parts[0]


OPTIONS = EstimateOptions(skip_invalid=True, output_ratio=None, group_by="prefix", cache_hit_rate=None)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), target=st.integers(200, 60_000), order=st.integers(0, 1_000))
def test_any_partition_any_merge_order_gives_the_one_process_json(
    tmp_path: Path, seed: int, target: int, order: int
) -> None:
    path = _workload(tmp_path / f"w{seed}.jsonl", seed, 40)
    whole = estimate([path], OPTIONS, at=DAY)
    runner = PieceRunner(OPTIONS, at=DAY)
    parts = [runner.piece(p) for p in pieces_of([path], jobs=2, target=target)]
    parts = pickle.loads(pickle.dumps(parts))  # as they come back from a worker process
    merged = _tree_merge(parts, random.Random(order))
    assert _json(estimate_of(merged, [path], OPTIONS, at=DAY)) == _json(whole)


def test_pieces_cover_every_line_once_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "lines.jsonl"
    rows = [f'{{"n": {i}, "pad": "{"x" * (i % 7)}"}}\n' for i in range(1, 101)]
    path.write_text("".join(rows))
    for target in (1, 17, 100, 1_000, 10_000):
        cuts = jsonl_cuts(path, target)
        data = path.read_bytes()
        seen = []
        for start, end, first in cuts:
            chunk = data[start:end].splitlines()
            seen += [(first + k, json.loads(line)["n"]) for k, line in enumerate(chunk)]
        assert seen == [(i, i) for i in range(1, 101)], target


def _cached(custom_id: str, system: str, extra: int = 5) -> dict[str, Any]:
    return request(
        words(extra),
        custom_id=custom_id,
        max_tokens=10,
        system=[{"type": "text", "text": system, "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
    )


def test_a_prefix_written_in_an_earlier_piece_is_read_in_a_later_one(tmp_path: Path) -> None:
    # Line 1 writes the 1,100-token system prompt; line 2 (in the second piece) reads it. Alone, the
    # second piece would count line 2 as a writer: its best band reads 0. Merged: it reads the prefix.
    path = write_jsonl(tmp_path / "c.jsonl", [_cached("a-1", SYSTEMS[0]), _cached("a-2", SYSTEMS[0])])
    first, second = pieces_of([path], jobs=2, target=1)
    assert (first.first_line, second.first_line) == (1, 2)
    runner = PieceRunner(EstimateOptions(), at=DAY)
    alone = estimate_of(runner.piece(second), [path], at=DAY)
    assert alone.cache_bands is not None
    assert alone.cache_bands.band("best").usage.cache_read_tokens == 0
    whole = estimate([path], at=DAY)
    assert whole.cache_bands is not None
    read = whole.cache_bands.band("best").usage.cache_read_tokens
    assert read > 1_000  # the system prompt and its framing, read once by line 2
    for a, b in ((first, second), (second, first)):
        merged = runner.piece(a).merge(runner.piece(b))
        assert merged.pending.keys() == {(0, 1)}  # line 1 stays the prefix's first writer
        assert _json(estimate_of(merged, [path], at=DAY)) == _json(whole)


def test_the_first_skipped_line_is_the_earliest_piece_s(tmp_path: Path) -> None:
    lines: list[dict[str, Any] | str] = [
        request(custom_id="a-1"),
        "not json 2",
        request(custom_id="a-3"),
        "nope 4",
    ]
    path = write_jsonl(tmp_path / "s.jsonl", lines)
    options = EstimateOptions(skip_invalid=True)
    runner = PieceRunner(options, at=DAY)
    parts = [runner.piece(p) for p in pieces_of([path], jobs=2, target=1)]
    merged = merge(reversed(parts))
    report = estimate_of(merged, [path], options, at=DAY)
    assert report.skipped == 2
    assert f"{path}:2: not valid JSON" in report.warnings[-1]
    assert _json(report) == _json(estimate([path], options, at=DAY))


def test_the_first_twenty_skipped_lines_in_order_whatever_the_pieces(tmp_path: Path) -> None:
    # 25 bad lines (2, 4, ..., 50) between good ones: the estimate lists the first 20 (MAX_SKIPPED_SHOWN)
    # in input order, the same from pieces merged in any order as from one process
    lines: list[dict[str, Any] | str] = []
    for i in range(1, 51, 2):
        lines += [request(custom_id=f"a-{i}"), f"bad {i + 1}"]
    path = write_jsonl(tmp_path / "s.jsonl", lines)
    options = EstimateOptions(skip_invalid=True)
    whole = estimate([path], options, at=DAY)
    assert whole.skipped == 25
    assert [s.line for s in whole.skipped_lines] == list(range(2, 41, 2))
    assert "\n  … and 5 more (the first 20 are listed)" in whole.warnings[-1]
    runner = PieceRunner(options, at=DAY)
    for backwards in (False, True):  # a merge uses its partials up: count the pieces again
        parts = [runner.piece(p) for p in pieces_of([path], jobs=2, target=1)]
        assert len(parts) > 3
        merged = merge(reversed(parts) if backwards else parts)
        assert _json(estimate_of(merged, [path], options, at=DAY)) == _json(whole)


def test_the_first_error_is_the_earliest_whatever_the_order(tmp_path: Path) -> None:
    lines: list[dict[str, Any] | str] = [
        request(custom_id="a-1"),
        request(custom_id="a-2", model="claude-nope"),
        "x",
    ]
    path = write_jsonl(tmp_path / "e.jsonl", lines)
    runner = PieceRunner(EstimateOptions(), at=DAY)
    parts = [runner.piece(p) for p in pieces_of([path], jobs=2, target=1)]
    assert [p.error is not None for p in parts] == [False, True, True]
    for ordered in (parts, parts[::-1]):
        merged = merge(pickle.loads(pickle.dumps(ordered)))
        with pytest.raises(LookupError, match=rf"{path}:2: unknown model 'claude-nope'"):
            estimate_of(merged, [path], at=DAY)
    with pytest.raises(LookupError, match=rf"{path}:2: unknown model 'claude-nope'"):
        estimate([path], at=DAY)


def test_output_labels_of_equal_counts_keep_the_order_they_first_appear(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    # Batch 0: two rows without an output count (max_tokens); batch 1: two rows with one. Two each: the
    # label met first (batch 0's) is listed first, however the partials merge.
    one = pd.DataFrame({"input_tokens": [10, 20], "max_tokens": [100, 100], "model": ["haiku-4.5"] * 2})
    two = pd.DataFrame(
        {
            "input_tokens": [30, 40],
            "max_tokens": [100, 100],
            "output_tokens": [5, 6],
            "model": ["haiku-4.5"] * 2,
        }
    )
    a = estimate_frame(one, part=0, at=DAY)
    b = estimate_frame(two, part=1, at=DAY)
    for merged in (pickle.loads(pickle.dumps(a)).merge(pickle.loads(pickle.dumps(b))), b.merge(a)):
        report = estimate_of(merged, ["batches"], at=DAY)
        method = report.by_model[0].output_method
        assert method.startswith("2 requests: max_tokens of each request"), method
        assert method.endswith("2 requests: the table's output_tokens column")
        # 10 + 20 + 30 + 40 input; output 100 + 100 (max_tokens) + 5 + 6
        assert (report.usage.input_tokens, report.usage.output_tokens) == (100, 211)


def test_a_custom_id_repeated_in_a_later_piece_is_an_error_at_its_line(tmp_path: Path) -> None:
    lines = [request(custom_id="x-1"), request(custom_id="y-1"), request(custom_id="x-1")]
    path = write_jsonl(tmp_path / "d.jsonl", lines)
    runner = PieceRunner(EstimateOptions(), at=DAY, keep_records=True, unique_ids=True)
    pieces = pieces_of([path], jobs=2, target=1)
    for ordered in (pieces, pieces[::-1]):
        merged = merge(runner.piece(p) for p in ordered)
        with pytest.raises(WorkloadError, match=rf"{path}:3: custom_id 'x-1' already appeared on line 1"):
            run_of(merged, EstimateOptions(), at=DAY, table=None)
    skipping = PieceRunner(EstimateOptions(skip_invalid=True), at=DAY, keep_records=True, unique_ids=True)
    assert merge(skipping.piece(p) for p in pieces).conflict  # the caller counts it in one process


def test_per_request_records_merge_in_input_order(tmp_path: Path) -> None:
    path = _workload(tmp_path / "r.jsonl", 3, 30)
    options = EstimateOptions(skip_invalid=True)
    runner = PieceRunner(options, at=DAY, keep_records=True)
    merged = merge(reversed([runner.piece(p) for p in pieces_of([path], jobs=2, target=2_000)]))
    run = run_of(merged, options, at=DAY, table=None)
    assert run.records is not None
    lines = [r.line or 0 for r in run.records]
    assert lines == sorted(lines)
    assert len(lines) == len(set(lines)) > 20
    # the records' expected usages add up to the estimate's (after cache reads were settled)
    total = sum(r.measured.usage("expected").prompt_tokens for r in run.records)
    assert total == estimate([path], options, at=DAY).usage.prompt_tokens


def test_parquet_row_groups_and_text_runs_are_pieces(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = {"text": [words(5 + i) for i in range(10)], "custom_id": [f"t-{i}" for i in range(10)]}
    pq.write_table(pa.table(rows), tmp_path / "t.parquet", row_group_size=3)
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(5):
        (folder / f"{i}.txt").write_text(words(3 + i))
    files = [tmp_path / "t.parquet", *sorted(folder.iterdir())]
    pieces = pieces_of(files, jobs=2, target=1)
    kinds = [(p.kind, p.row_groups, p.first_line, len(p.files)) for p in pieces]
    assert kinds[:4] == [
        ("table", (0,), 1, 1),
        ("table", (1,), 4, 1),
        ("table", (2,), 7, 1),
        ("table", (3,), 10, 1),
    ]
    assert [k[0] for k in kinds[4:]] == ["text"] * 5
    options = EstimateOptions(model="haiku-4.5", max_tokens=100, output_tokens=10)
    runner = PieceRunner(options, at=DAY)
    merged = merge(reversed([runner.piece(p) for p in pieces]))
    assert _json(estimate_of(merged, files, options, at=DAY)) == _json(estimate(files, options, at=DAY))


def test_worker_processes_give_the_same_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers started fresh (``spawn``: this test process may run other threads by now, pyarrow's)."""
    from claude_quote.scale import local

    monkeypatch.setattr(local, "start_method", lambda: "spawn")
    path = _workload(tmp_path / "p.jsonl", 11, 60)
    monkeypatch.setattr(pieces_module, "MIN_PIECE_BYTES", 1_000)
    pieces = pieces_of([path], jobs=2)
    assert len(pieces) > 4
    merged = parallel_partial([path], OPTIONS, at=DAY, table=None, jobs=2)
    assert _json(estimate_of(merged, [path], OPTIONS, at=DAY)) == _json(estimate([path], OPTIONS, at=DAY))


_FORKED = """
import sys
from pathlib import Path
from claude_quote.estimate.partial import estimate_of, parallel_partial
from claude_quote.scale import local, pieces
from tests.conftest import DAY
from tests.test_scale_estimate import OPTIONS, _json

pieces.MIN_PIECE_BYTES = 1_000
path = Path(sys.argv[1])
print(local.start_method())
print(_json(estimate_of(parallel_partial([path], OPTIONS, at=DAY, table=None, jobs=2), [path], OPTIONS, at=DAY)))
"""


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")
def test_workers_forked_from_a_fresh_process_give_the_same_json(tmp_path: Path) -> None:
    """A process that runs one thread (as the command does) forks its workers: the same JSON."""
    path = _workload(tmp_path / "p.jsonl", 11, 60)
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run(
        [sys.executable, "-c", _FORKED, str(path)], capture_output=True, text=True, cwd=root, check=True
    )
    method, forked = proc.stdout.split("\n", 1)
    assert method == "fork"
    assert forked == _json(estimate([path], OPTIONS, at=DAY)) + "\n"


def test_small_inputs_and_one_job_stay_in_this_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from claude_quote.scale import local

    calls: list[int] = []

    def spy(*args: Any, **kwargs: Any) -> EstimatePartial:
        calls.append(kwargs["jobs"])
        raise AssertionError("no pool for a small input")

    monkeypatch.setattr(local, "run_pieces", spy)
    path = _workload(tmp_path / "small.jsonl", 5, 5)
    size = path.stat().st_size
    monkeypatch.setattr(local, "MIN_PARALLEL_BYTES", size + 1)  # one byte short of the threshold
    estimate([path], at=DAY, jobs=2)
    monkeypatch.setattr(local, "MIN_PARALLEL_BYTES", size)  # at the threshold: the pool
    with pytest.raises(AssertionError, match="no pool"):
        estimate([path], at=DAY, jobs=2)
    estimate([path], at=DAY, jobs=1)  # --jobs 1: today's path, whatever the size
    assert calls == [2]


def test_a_piece_key_orders_pieces() -> None:
    a = Piece("requests", ((0, "a.jsonl"),), 0, 10, 1)
    b = Piece("requests", ((0, "a.jsonl"),), 10, None, 4)
    c = Piece("text", ((1, "b.txt"), (2, "c.txt")))
    assert sorted([c, b, a], key=lambda p: p.key) == [a, b, c]


def test_a_gzip_file_is_one_piece_whatever_its_name(tmp_path: Path) -> None:
    import gzip

    lines = "".join(json.dumps(request(custom_id=f"z-{i}")) + "\n" for i in range(50)).encode()
    packed = tmp_path / "packed.jsonl"  # gzip without .gz: read by its magic bytes
    packed.write_bytes(gzip.compress(lines))
    plain = tmp_path / "plain.jsonl"
    plain.write_bytes(lines)
    assert len(pieces_of([plain], jobs=2, target=100)) > 10
    assert [(p.start, p.end) for p in pieces_of([packed], jobs=2, target=100)] == [(0, None)]
    runner = PieceRunner(EstimateOptions(), at=DAY)
    merged = merge(runner.piece(p) for p in pieces_of([packed], jobs=2, target=100))
    assert estimate_of(merged, [packed], at=DAY).requests == 50


def test_pieces_found_as_they_go_shrink_and_give_the_same_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _workload(tmp_path / "a.jsonl", 12, 60)
    second = _workload(tmp_path / "b.jsonl", 13, 60)
    files = [first, second]
    monkeypatch.setattr(pieces_module, "MIN_PIECE_BYTES", 1_000)
    pieces = list(iter_pieces(files, jobs=2))
    assert pieces == pieces_of(files, jobs=2)
    jsonl = [p for p in pieces if p.kind == "requests"]
    # each cut a quarter of a worker's share of what is left of all the input (at least 1,000 bytes)
    total = sum(f.stat().st_size for f in files)
    assert jsonl[0].size >= total // 8
    assert jsonl[-2].size < jsonl[0].size
    assert [p.files[0][0] for p in pieces] == sorted(p.files[0][0] for p in pieces)  # input order
    merged = parallel_partial(files, OPTIONS, at=DAY, table=None, jobs=2)
    assert _json(estimate_of(merged, files, OPTIONS, at=DAY)) == _json(estimate(files, OPTIONS, at=DAY))


def test_workers_are_forked_on_linux_only_from_a_single_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    from claude_quote.scale import local

    one_task = ["1"]
    monkeypatch.setattr(os, "listdir", lambda path: one_task)  # /proc/self/task: one thread
    monkeypatch.setattr(sys, "platform", "linux")
    assert local.start_method() == "fork"
    one_task.append("2")  # a second thread (Python's or a native one: /proc lists both)
    assert local.start_method() == "spawn"
    one_task.pop()
    monkeypatch.setattr(sys, "platform", "darwin")
    assert local.start_method() == "spawn"
    monkeypatch.setattr(sys, "platform", "linux")

    def unreadable(path: str) -> list[str]:
        raise PermissionError(path)

    monkeypatch.setattr(os, "listdir", unreadable)
    assert local.start_method() == "spawn"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_running_thread_means_spawn() -> None:
    from claude_quote.scale import local

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert local.start_method() == "spawn"
    finally:
        stop.set()
        thread.join()
