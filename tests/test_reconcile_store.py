"""The join on disk: estimates by custom_id and compared requests in order, in a temporary database;
repeated custom_ids of a request file found before estimating, with the same messages as ever."""

from __future__ import annotations

import gc
import json
import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from claude_quote import Usage, WorkloadError
from claude_quote.estimate import EstimateOptions, estimate_into, estimate_requests, repeated_ids
from claude_quote.reconcile import EstimateRecords, RequestRows, reconcile_with_estimates
from claude_quote.reconcile import store as store_module
from claude_quote.reconcile.store import Store
from tests.conftest import DAY, ROOT

RESULTS = ROOT / "examples" / "batch-results.jsonl"


@pytest.fixture(params=["memory", "disk", "both"])
def batch(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A table keeps its first _BATCH records in memory, then goes to disk: each test runs with all
    of them in memory (the usual 4,096), all on disk (0: the first record goes to disk) and the move
    in the middle (2: two records in memory, the rest written after them)."""
    monkeypatch.setattr(store_module, "_BATCH", {"memory": 4096, "disk": 0, "both": 2}[request.param])
    return str(request.param)


def test_records_are_found_by_id_and_the_rest_listed_in_order(batch: str) -> None:
    store = Store()
    records = store.records()
    ids = ["b", "a", "\ud800lone", "c"]  # any Python string, a lone surrogate too
    for n, custom_id in enumerate(ids):
        records.add(custom_id, (custom_id, n, 10**40 + n))  # integers of any size, exactly
    assert records.take("a") == ("a", 1, 10**40 + 1)
    assert records.take("zz") is None
    assert records.get("c") == ("c", 3, 10**40 + 3)  # get does not mark it taken
    assert records.unused(2) == (3, [("b", 0, 10**40), ("\ud800lone", 2, 10**40 + 2)])
    assert [r[0] for r in records] == ids
    assert len(records) == 4
    assert records.take("a") == ("a", 1, 10**40 + 1)  # taken twice: still found
    assert records.unused(0) == (3, [])
    assert (store._db is None) == (batch == "memory")  # no database until a table outgrows memory


def test_records_taken_before_the_move_to_disk_stay_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "_BATCH", 2)
    records = Store().records()
    records.add("a", 1)
    records.add("b", 2)
    assert records.take("a") == 1  # in memory
    records.add("c", 3)  # the third record: the table goes to disk, "a" marked taken
    assert records.unused(5) == (2, [2, 3])
    assert records.take("c") == 3
    assert records.unused(5) == (1, [2])
    assert records.get("a") == 1


@pytest.mark.parametrize("limit", [4096, 3])
def test_a_repeated_id_is_the_databases_error(limit: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # The readers refuse repeated custom_ids before they get here; were one to slip through, it is
    # refused as the database always refused it, whether the table was in memory or on disk.
    monkeypatch.setattr(store_module, "_BATCH", limit)
    records = Store().records()
    records.add("a", 1)
    records.add("a", 2)  # the table goes to disk (in memory) or waits to be written (on disk)
    with pytest.raises(sqlite3.IntegrityError):  # when it is written
        len(records)


def test_rows_keep_their_order_and_are_read_by_position(batch: str) -> None:
    store = Store()
    rows = store.rows()
    rows.extend((n, str(n)) for n in range(10_000))  # more than one batch of writes
    assert len(rows) == 10_000
    assert rows[0] == (0, "0")
    assert rows[-1] == (9_999, "9999")
    assert rows[1] == (1, "1")
    assert [r[0] for r in rows][:3] == [0, 1, 2]
    assert [r[0] for r in rows][-2:] == [9_998, 9_999]
    with pytest.raises(IndexError):
        rows[10_000]
    with pytest.raises(IndexError):
        rows[-10_001]
    assert store._db is not None  # 10,000 records are more than any batch keeps in memory


def test_a_few_rows_stay_in_memory(batch: str) -> None:
    store = Store()
    rows = store.rows()
    rows.extend([(1,), (2,), (3,)])
    assert list(rows) == [(1,), (2,), (3,)]
    assert (rows[0], rows[-1], len(rows)) == ((1,), (3,), 3)
    assert (store._db is None) == (batch == "memory")
    store.close()  # nothing to remove, or the database removed


def test_the_database_goes_with_its_last_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "_BATCH", 0)  # every record on disk
    store = Store()
    folder = Path(store.db.execute("PRAGMA database_list").fetchone()[2]).parent
    rows = store.rows()
    rows.append((1,))
    del store
    gc.collect()
    assert folder.exists()  # the rows still use it
    del rows
    gc.collect()
    assert not folder.exists()


def test_compared_requests_on_disk_equal_those_in_memory(tmp_path: Path) -> None:
    # Two requests estimated by hand (as in test_cli_reconcile): the report is the same whether the
    # estimates are a dict or on disk, and its requests are a sequence like any other.
    estimates = {
        "summarise-0001": (
            "claude-sonnet-4-6",
            Usage(input_tokens=2_000, cache_write_1h_tokens=12_000, output_tokens=850),
        ),
        "classify-0002": ("claude-haiku-5-5", Usage(input_tokens=90_000, output_tokens=2_000)),
        "nowhere-1": ("claude-haiku-5-5", Usage(input_tokens=1)),
    }
    on_disk = EstimateRecords()
    for custom_id, (model, usage) in estimates.items():
        on_disk.add(custom_id, model, usage)
    in_memory = reconcile_with_estimates(RESULTS, estimates, at=DAY)
    stored = reconcile_with_estimates(RESULTS, on_disk, at=DAY)
    assert stored == in_memory
    assert isinstance(stored.requests, RequestRows)
    assert [r.custom_id for r in stored.requests] == ["summarise-0001", "classify-0002"]
    # 0.045375 + 0.005 estimated against 0.045375 + 0.0325 (the 120,000-token Haiku request's tier)
    assert (stored.estimate, stored.actual) == (Decimal("0.050375"), Decimal("0.077875"))
    assert (stored.missing_results, stored.missing_result_ids) == (1, ("nowhere-1",))
    assert stored.requests == tuple(in_memory.requests)
    assert RequestRows.of(stored.requests) == stored.requests


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _request(custom_id: str) -> str:
    params = {"model": "claude-sonnet-4-6", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    return json.dumps({"custom_id": custom_id, "params": params})


def test_repeated_ids_are_the_ids_that_repeat(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.jsonl", [_request("a"), "{bad", _request("b"), _request("a"), _request("a")])
    assert repeated_ids(path) == {"a"}


def test_a_bad_line_before_a_repeat_is_the_error(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.jsonl", [_request("a"), "{bad", _request("a")])
    with pytest.raises(WorkloadError, match=r"r\.jsonl:2: "):
        estimate_requests(path, at=DAY)


def test_a_repeat_is_reported_with_its_first_line_or_skipped(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.jsonl", [_request("a"), _request("b"), _request("a")])
    with pytest.raises(WorkloadError, match=r"r\.jsonl:3: custom_id 'a' already appeared on line 1"):
        estimate_requests(path, at=DAY)
    seen: list[str] = []
    run = estimate_into(
        path, lambda e: seen.append(e.custom_id), EstimateOptions(skip_invalid=True), at=DAY, table=None
    )
    assert seen == ["a", "b"]
    assert run.skipped == 1


def test_estimates_stream_in_file_order(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.jsonl", [_request(f"id-{n}") for n in range(50)])
    seen: list[str] = []
    estimate_into(path, lambda e: seen.append(e.custom_id), at=date(2026, 11, 25), table=None)
    assert seen == [f"id-{n}" for n in range(50)]
    assert list(estimate_requests(path, at=DAY)) == seen
