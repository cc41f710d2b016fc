"""Mergeable partial results of a results file (issue 15): pieces of the file read apart and merged in
any order give exactly ``reconcile_results``' report; custom_ids repeated across pieces are found
exactly (and a hash collision is not taken for one)."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_quote import WorkloadError
from claude_quote.engine import engine_for
from claude_quote.reconcile import partial as partial_module
from claude_quote.reconcile import reconcile_results
from claude_quote.reconcile.partial import ResultsPartial, actuals_of, results_piece
from claude_quote.render import render
from claude_quote.scale import local
from claude_quote.scale import pieces as pieces_module
from claude_quote.scale.pieces import Piece, jsonl_cuts
from tests.conftest import DAY, run_cli

MODELS = ["claude-sonnet-4-6", "claude-haiku-4-5", "claude-opus-4-6", "haiku-5.5"]


def _line(rng: random.Random, i: int) -> str:
    kind = rng.random()
    if kind < 0.06 and i:
        return '{"custom_id": "broken'
    if kind < 0.12:
        return json.dumps({"custom_id": f"e-{i}", "result": {"type": rng.choice(["expired", "canceled"])}})
    if kind < 0.2:
        error = {
            "type": "error",
            "error": {"type": rng.choice(["invalid_request_error", "overloaded_error"])},
        }
        return json.dumps({"custom_id": f"x-{i}", "result": {"type": "errored", "error": error}})
    usage: dict[str, Any] = {
        "input_tokens": rng.choice([rng.randint(1, 5_000), rng.randint(99_000, 210_000)]),
        "output_tokens": rng.randint(0, 3_000),
        "cache_read_input_tokens": rng.choice([0, rng.randint(1, 9_000)]),
        "cache_creation_input_tokens": 0,
        "service_tier": rng.choice(["batch"] * 9 + ["standard"]),
    }
    if rng.random() < 0.3:
        usage["cache_creation_input_tokens"] = 700
        if rng.random() < 0.5:
            usage["cache_creation"] = {"ephemeral_5m_input_tokens": 200, "ephemeral_1h_input_tokens": 500}
    model = rng.choice(MODELS[:3])
    if rng.random() < 0.2 and "4-6" in model:  # US-only inference: Claude 4.6 and later
        usage["inference_geo"] = "us"
    message = {"model": model, "usage": usage}
    return json.dumps({"custom_id": f"s-{i}", "result": {"type": "succeeded", "message": message}})


def _results(path: Path, seed: int, n: int = 80) -> Path:
    rng = random.Random(seed)
    path.write_text("".join(_line(rng, i) + "\n" for i in range(n)))
    return path


def _pieces(path: Path, target: int) -> list[Piece]:
    size = path.stat().st_size
    return [
        Piece("results", ((0, str(path)),), s, e, line, size=(size if e is None else e) - s)
        for s, e, line in jsonl_cuts(path, target)
    ]


def _merged(path: Path, target: int, seed: int, *, skip_invalid: bool) -> ResultsPartial:
    engine = engine_for(None)
    parts = [
        results_piece(p, at=DAY, engine=engine, skip_invalid=skip_invalid) for p in _pieces(path, target)
    ]
    random.Random(seed).shuffle(parts)
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part) if seed % 2 else part.merge(merged)
    return merged


@pytest.mark.parametrize("seed", range(6))
def test_pieces_merged_in_any_order_give_the_one_process_report(tmp_path: Path, seed: int) -> None:
    path = _results(tmp_path / "r.jsonl", seed)
    whole = reconcile_results(path, at=DAY, skip_invalid=True)
    assert whole.skipped > 0
    for target in (1, 900, 4_000):
        actuals = actuals_of(
            _merged(path, target, seed + target, skip_invalid=True), at=DAY, engine=engine_for(None)
        )
        assert actuals is not None
        assert render(actuals, "json") == render(whole, "json"), target


def test_the_first_invalid_line_is_the_error(tmp_path: Path) -> None:
    path = _results(tmp_path / "r.jsonl", 3)
    with pytest.raises(WorkloadError) as one:
        reconcile_results(path, at=DAY)
    for seed in (1, 2):
        with pytest.raises(WorkloadError) as merged:
            actuals_of(_merged(path, 500, seed, skip_invalid=False), at=DAY, engine=engine_for(None))
        assert str(merged.value) == str(one.value)


def _ok(custom_id: str) -> str:
    usage = {"input_tokens": 1_000, "output_tokens": 10}
    return json.dumps(
        {
            "custom_id": custom_id,
            "result": {"type": "succeeded", "message": {"model": "sonnet-4.6", "usage": usage}},
        }
    )


def test_a_custom_id_repeated_across_pieces_is_found_at_its_later_line(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text("".join(_ok(c) + "\n" for c in ["a", "b", "c", "a", "d", "b"]))
    with pytest.raises(WorkloadError) as one:
        reconcile_results(path, at=DAY)
    assert str(one.value) == f"{path}:4: custom_id 'a' already appeared on line 1; ids are unique in a batch"
    for seed in (0, 1):
        with pytest.raises(WorkloadError) as merged:
            actuals_of(_merged(path, 1, seed, skip_invalid=False), at=DAY, engine=engine_for(None))
        assert str(merged.value) == str(one.value)
    # skipping: only one reader in order knows which later lines to skip; the merge says so
    assert actuals_of(_merged(path, 1, 0, skip_invalid=True), at=DAY, engine=engine_for(None)) is None


def test_equal_hashes_of_different_ids_are_not_a_repeat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(partial_module, "_id_hash", lambda custom_id: 42)  # every id collides
    path = tmp_path / "c.jsonl"
    path.write_text("".join(_ok(c) + "\n" for c in ["a", "b", "c", "d"]))
    actuals = actuals_of(_merged(path, 1, 0, skip_invalid=False), at=DAY, engine=engine_for(None))
    assert actuals is not None
    assert actuals.counts.succeeded == 4  # 4 × (1,000 × $3 + 10 × $15)/MTok at batch: 4 × $0.001575
    assert actuals.batch.total == render_decimal("0.0063")


def render_decimal(text: str) -> Any:
    from decimal import Decimal

    return Decimal(text)


def test_reconcile_jobs_in_worker_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _results(tmp_path / "r.jsonl", 9, 200)
    monkeypatch.setattr(local, "MIN_PARALLEL_BYTES", 1)
    monkeypatch.setattr(pieces_module, "MIN_PIECE_BYTES", 2_000)
    pieces_seen: list[int] = []
    run_pieces = local.run_pieces

    def spy(pieces: Iterator[Piece], *args: Any, **kwargs: Any) -> Any:
        def counted() -> Iterator[Piece]:  # the pieces are handed out as they are found
            pieces_seen.append(0)
            for piece in pieces:
                pieces_seen[-1] += 1
                yield piece

        return run_pieces(counted(), *args, **kwargs)

    monkeypatch.setattr(local, "run_pieces", spy)
    args = f"reconcile {path} --at 2026-11-25 --skip-invalid --format json"
    one = run_cli(args + " --jobs 1")
    two = run_cli(args + " --jobs 2")
    assert one.exit_code == two.exit_code == 0
    assert one.stdout == two.stdout
    assert json.loads(two.stdout)["results"]["total"] > 150
    assert len(pieces_seen) == 1
    assert pieces_seen[0] > 4


@pytest.mark.parametrize(
    "args",
    [
        "calibrate {examples}/batch-requests-support.jsonl {examples}/batch-results-support.jsonl --min-samples 5",
        "reconcile {examples}/batch-results-support.jsonl --request-file {examples}/batch-requests-support.jsonl",
    ],
    ids=["calibrate", "reconcile --request-file"],
)
def test_per_request_estimates_in_worker_processes(monkeypatch: pytest.MonkeyPatch, args: str) -> None:
    from tests.conftest import ROOT

    monkeypatch.setattr(local, "MIN_PARALLEL_BYTES", 1)
    monkeypatch.setattr(pieces_module, "MIN_PIECE_BYTES", 3_000)  # the 70 requests in several pieces
    calls: list[int] = []
    run_pieces = local.run_pieces

    def spy(pieces: Iterator[Piece], *a: Any, **k: Any) -> Any:
        def counted() -> Iterator[Piece]:  # the pieces are handed out as they are found
            calls.append(0)
            for piece in pieces:
                calls[-1] += 1
                yield piece

        return run_pieces(counted(), *a, **k)

    monkeypatch.setattr(local, "run_pieces", spy)
    command = args.format(examples=ROOT / "examples") + " --at 2026-11-25 --format json"
    one = run_cli(command + " --jobs 1")
    two = run_cli(command + " --jobs 2")
    assert one.exit_code == two.exit_code == 0
    assert two.stdout == one.stdout
    assert calls
    assert all(n > 3 for n in calls)


# -- repeated custom_ids: the one-process check over every piece's records -------------------------


def _mixed_line(rng: random.Random, custom_id: str) -> str:
    """A line with ``custom_id``: valid (succeeded or expired), refused before its id is read (not
    JSON), or refused after (a negative token count, or an unknown model: a pricing error)."""
    kind = rng.random()
    if kind < 0.08:
        return '{"custom_id": "broken'
    if kind < 0.16:
        return json.dumps({"custom_id": custom_id, "result": {"type": "expired"}})
    usage = {"input_tokens": -1 if kind < 0.22 else rng.randint(1, 9_000), "output_tokens": 5}
    model = "claude-nope-1" if kind < 0.25 else rng.choice(MODELS[:3])
    message = {"model": model, "usage": usage}
    return json.dumps({"custom_id": custom_id, "result": {"type": "succeeded", "message": message}})


def _outcome(run: Any) -> str:
    try:
        found = run()
    except WorkloadError as exc:
        return f"error: {exc}"
    return "fallback" if found is None else str(render(found, "json"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    seed=st.integers(0, 10_000),
    ids=st.integers(3, 40),
    target=st.integers(1, 3_000),
    order=st.integers(0, 100),
    skip_invalid=st.booleans(),
)
def test_repeats_across_and_within_pieces_as_one_process_finds_them(
    tmp_path: Path, seed: int, ids: int, target: int, order: int, skip_invalid: bool
) -> None:
    # ids drawn from a small pool: repeats within a piece and across pieces, some on refused lines
    rng = random.Random(seed)
    path = tmp_path / f"r{seed}.jsonl"
    path.write_text("".join(_mixed_line(rng, f"id-{rng.randrange(ids)}") + "\n" for _ in range(60)))
    one = _outcome(lambda: reconcile_results(path, at=DAY, skip_invalid=skip_invalid))
    merged = _merged(path, target, order, skip_invalid=skip_invalid)
    got = _outcome(lambda: actuals_of(merged, at=DAY, engine=engine_for(None)))
    if got == "fallback":  # only when skipping, and only for a repeat that crosses pieces
        assert skip_invalid
        assert len(merged.pieces) > 1
    else:
        assert got == one


def test_the_earliest_line_of_an_id_is_the_one_repeated_whatever_the_merge_order(tmp_path: Path) -> None:
    # 'a' on lines 1, 3 and 5, one line a piece: line 3 repeats line 1 (not 5 repeating 3), however
    # the pieces come back
    path = tmp_path / "d.jsonl"
    path.write_text("".join(_ok(c) + "\n" for c in ["a", "b", "a", "c", "a"]))
    for seed in range(4):
        with pytest.raises(WorkloadError) as merged:
            actuals_of(_merged(path, 1, seed, skip_invalid=False), at=DAY, engine=engine_for(None))
        assert (
            str(merged.value)
            == f"{path}:3: custom_id 'a' already appeared on line 1; ids are unique in a batch"
        )


def test_a_repeat_within_one_piece_is_skipped_there_without_reading_the_file_again(tmp_path: Path) -> None:
    # lines 1-3 in one piece, 4-6 in another: 'a' repeats within the first piece only
    path = tmp_path / "d.jsonl"
    lines = [_ok(c) + "\n" for c in ["a", "b", "a", "c", "d", "e"]]
    path.write_text("".join(lines))
    target = sum(len(line) for line in lines[:3]) - 1  # the cut after line 3
    whole = reconcile_results(path, at=DAY, skip_invalid=True)
    merged = _merged(path, target, 1, skip_invalid=True)
    assert [p.first_line for p in sorted(merged.pieces, key=lambda p: p.first_line)] == [1, 4]
    actuals = actuals_of(merged, at=DAY, engine=engine_for(None))
    assert actuals is not None  # not the fallback to one reader
    assert actuals.counts.succeeded == 5  # 6 lines, line 3 skipped
    assert actuals.skipped == 1
    assert render(actuals, "json") == render(whole, "json")


def test_a_refused_line_repeating_an_earlier_piece_s_id_is_reported_as_the_repeat(tmp_path: Path) -> None:
    # line 4 (second piece) has a negative count and repeats 'a' (line 1): one process names the repeat
    path = tmp_path / "d.jsonl"
    bad = json.dumps(
        {
            "custom_id": "a",
            "result": {
                "type": "succeeded",
                "message": {"model": "sonnet-4.6", "usage": {"input_tokens": -1, "output_tokens": 1}},
            },
        }
    )
    path.write_text("".join(line + "\n" for line in [_ok("a"), _ok("b"), _ok("c"), bad]))
    with pytest.raises(WorkloadError) as one:
        reconcile_results(path, at=DAY)
    assert str(one.value) == f"{path}:4: custom_id 'a' already appeared on line 1; ids are unique in a batch"
    with pytest.raises(WorkloadError) as merged:
        actuals_of(_merged(path, 1, 0, skip_invalid=False), at=DAY, engine=engine_for(None))
    assert str(merged.value) == str(one.value)
    assert actuals_of(_merged(path, 1, 0, skip_invalid=True), at=DAY, engine=engine_for(None)) is None


def test_a_piece_is_read_by_the_reader_s_pass_that_keeps_no_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the workers add up their pieces as one process does (ResultsReader.sums), never by iterating
    # the lines as BatchResult objects (a second, careful pass over every line)
    from claude_quote.workloads.results import ResultsReader

    def no_iteration(self: ResultsReader) -> Iterator[Any]:
        raise AssertionError("a piece was iterated line by line")

    path = _results(tmp_path / "r.jsonl", 4)
    whole = reconcile_results(path, at=DAY, skip_invalid=True)
    monkeypatch.setattr(ResultsReader, "__iter__", no_iteration)
    actuals = actuals_of(_merged(path, 700, 1, skip_invalid=True), at=DAY, engine=engine_for(None))
    assert actuals is not None
    assert render(actuals, "json") == render(whole, "json")


@pytest.mark.parametrize("skip_invalid", [True, False])
def test_pieces_without_a_result_line_are_an_error_as_in_one_process(
    tmp_path: Path, skip_invalid: bool
) -> None:
    # 20 invalid lines (skipped) or blank lines: never a silent $0
    path = tmp_path / "r.jsonl"
    path.write_text('{"custom_id": "broken\n' * 20 if skip_invalid else "\n" * 200)
    with pytest.raises(WorkloadError) as one:
        reconcile_results(path, at=DAY, skip_invalid=skip_invalid)
    with pytest.raises(WorkloadError) as merged:
        actuals_of(_merged(path, 50, 0, skip_invalid=skip_invalid), at=DAY, engine=engine_for(None))
    assert str(merged.value) == str(one.value)
    assert "holds no result lines" in str(one.value)
