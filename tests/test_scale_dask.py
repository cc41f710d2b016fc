"""estimate on a Dask cluster (issue 15): a LocalCluster of two worker processes, started once for the
module, gives exactly the local estimate on request files, a folder of text files and a Parquet
dataset; the partial function called on pandas batches (as Spark's ``mapInPandas`` or Ray Data's
``map_batches`` would) merges into the estimate of the same rows as a table file."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from claude_quote import EstimateOptions, WorkloadError, estimate
from claude_quote.estimate.partial import EstimatePartial, estimate_frame, estimate_of, merge
from claude_quote.render import render
from claude_quote.scale import pieces as pieces_module
from claude_quote.scale.dask import dask_partial, expand_urls
from tests.conftest import DAY
from tests.workload_files import request, words, write_jsonl

distributed = pytest.importorskip("distributed")

pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("ignore:.*Port .* is already in use.*:UserWarning"),
]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """Two single-threaded worker processes on this machine (closed when the module's tests are done)."""
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=50,
            scheduler_port=0,
        ) as local,
        distributed.Client(local, timeout="60s", set_as_default=False) as client,
    ):
        client.wait_for_workers(2, timeout=120)
        yield local


def _requests(path: Path) -> Path:
    rng = random.Random(4)
    system = [{"type": "text", "text": words(1_100), "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    lines: list[dict[str, Any] | str] = []
    for i in range(60):
        if i and i % 17 == 0:
            lines.append("{broken")
            continue
        lines.append(
            request(
                words(rng.randint(1, 300)),
                custom_id=f"doc-{i}",
                max_tokens=rng.choice([100, 900]),
                system=system,
            )
        )
    return write_jsonl(path, lines)


def _json(report: object) -> str:
    return render(report, "json")


def test_request_files_on_the_cluster_equal_the_local_estimate(
    cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pieces_module, "MIN_PIECE_BYTES", 4_000)  # several pieces per file
    files = [_requests(tmp_path / "a.jsonl"), _requests(tmp_path / "b.jsonl")]
    options = EstimateOptions(skip_invalid=True, output_tokens=50, group_by="prefix")
    local = estimate(files, options, at=DAY)
    on_dask = estimate(files, options, at=DAY, dask=cluster.scheduler_address)
    assert _json(on_dask) == _json(local)
    assert on_dask.cache_bands is not None
    assert on_dask.skipped == 6


def test_a_text_folder_on_the_cluster(cluster: Any, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(12):
        (folder / f"{i:02d}.txt").write_text(words(20 + 7 * i))
    options = EstimateOptions(model="haiku-4.5", max_tokens=200, template="Summarize: {text}")
    local = estimate([folder], options, at=DAY)
    assert _json(estimate([folder], options, at=DAY, dask=cluster.scheduler_address)) == _json(local)
    # a file:// URL reads through fsspec like the path
    url = f"file://{folder}"
    assert [Path(f).name for f in expand_urls([url])] == [f"{i:02d}.txt" for i in range(12)]


def test_a_parquet_dataset_on_the_cluster(
    cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    monkeypatch.setattr(pieces_module, "MIN_PIECE_BYTES", 1)  # one piece per row group
    dataset = tmp_path / "dataset"
    dataset.mkdir()
    for part in range(3):
        rows = {
            "text": [words(10 + part * 50 + i) for i in range(25)],
            "custom_id": [f"p{part}-{i}" for i in range(25)],
            "model": ["sonnet-4.6" if i % 2 else "haiku-4.5" for i in range(25)],
            "max_tokens": [300] * 25,
        }
        pq.write_table(pa.table(rows), dataset / f"part-{part}.parquet", row_group_size=10)
    options = EstimateOptions(output_ratio=None, output_tokens=30)
    local = estimate([dataset], options, at=DAY)
    assert local.requests == 75
    assert _json(estimate([dataset], options, at=DAY, dask=cluster.scheduler_address)) == _json(local)


def test_the_first_error_on_the_cluster_is_the_local_one(cluster: Any, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [request(custom_id="a-1"), "{nope", request(custom_id="a-3")])
    with pytest.raises(WorkloadError) as local:
        estimate([path], at=DAY)
    with pytest.raises(WorkloadError) as remote:
        estimate([path], at=DAY, dask=cluster.scheduler_address)
    assert str(remote.value) == str(local.value)


def test_dask_partial_takes_a_client(cluster: Any, tmp_path: Path) -> None:
    path = _requests(tmp_path / "c.jsonl")
    options = EstimateOptions(skip_invalid=True)
    with distributed.Client(cluster.scheduler_address, set_as_default=False, timeout="60s") as client:
        merged = dask_partial([str(path)], options, at=DAY, table=None, client=client)
    assert _json(estimate_of(merged, [path], options, at=DAY)) == _json(estimate([path], options, at=DAY))


def test_pandas_batches_merge_into_the_table_estimate(tmp_path: Path) -> None:
    """What a Spark mapInPandas or Ray map_batches function does with each batch, without the engine."""
    pd = pytest.importorskip("pandas")
    table = pd.DataFrame(
        {
            "text": [words(5 + 3 * i) for i in range(30)],
            "model": ["haiku-4.5"] * 30,
            "max_tokens": [100 + i for i in range(30)],
            "output_tokens": list(range(30)),
            "custom_id": [f"t-{i}" for i in range(30)],
        }
    )
    csv = tmp_path / "t.csv"
    table.to_csv(csv, index=False)
    whole = estimate([csv], at=DAY)

    def map_in_pandas(batches: Iterator[Any], part: int) -> Iterator[Any]:
        for batch in batches:
            first = int(batch.index[0]) + 1
            partial = estimate_frame(batch, part=0, first_row=first, where=str(csv), at=DAY)
            yield pd.DataFrame({"partial": [partial.to_bytes()]})

    batches = [table.iloc[i : i + 7] for i in range(0, 30, 7)]
    random.Random(1).shuffle(batches)  # batches come back in any order
    out = pd.concat(list(map_in_pandas(iter(batches), 0)))
    merged = merge(EstimatePartial.from_bytes(b) for b in out["partial"])
    assert json.loads(_json(estimate_of(merged, [csv], at=DAY))) == json.loads(_json(whole))


def test_urls_are_read_through_fsspec_by_the_workers(cluster: Any, tmp_path: Path) -> None:
    # fsspec's "local://" protocol stands for a remote one: each file is copied to the worker, read,
    # and named by its URL in the report and the errors.
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(4):
        (folder / f"{i}.txt").write_text(words(30 + i))
    options = EstimateOptions(model="haiku-4.5", max_tokens=200)
    local = estimate([folder], options, at=DAY)
    remote = estimate([f"local://{folder}/*.txt"], options, at=DAY, dask=cluster.scheduler_address)
    assert remote.files == tuple(f"local://{folder}/{i}.txt" for i in range(4))
    assert (remote.realtime, remote.batch, remote.requests) == (local.realtime, local.batch, 4)
    bad = write_jsonl(tmp_path / "bad.jsonl", [request(custom_id="a-1"), "{nope"])
    with pytest.raises(WorkloadError, match=rf"^local://{bad}:2: not valid JSON"):
        estimate([f"local://{bad}"], at=DAY, dask=cluster.scheduler_address)


def test_the_command_line_takes_a_scheduler_address(cluster: Any, tmp_path: Path) -> None:
    from tests.conftest import run_cli

    path = _requests(tmp_path / "r.jsonl")
    args = f"estimate {path} --skip-invalid --output-tokens 50 --at 2026-11-25 --format json"
    local = run_cli(args)
    remote = run_cli(f"{args} --dask {cluster.scheduler_address}")
    assert remote.exit_code == local.exit_code == 0
    assert remote.stdout == local.stdout


def test_a_sample_on_the_cluster_is_the_local_sample(cluster: Any, tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = {
        "input_tokens": [10 * (i + 1) for i in range(90)],
        "model": ["haiku-4.5"] * 90,
        "max_tokens": [500] * 90,
    }
    pq.write_table(pa.table(rows), tmp_path / "t.parquet", row_group_size=20)
    files = [_requests(tmp_path / "a.jsonl"), tmp_path / "t.parquet"]
    options = EstimateOptions(sample=25, seed=3, skip_invalid=True, output_tokens=40)
    local = estimate(files, options, at=DAY)
    assert local.sample is not None
    assert local.sample.population == 57 + 90  # 60 lines, 3 of them broken; 90 rows from metadata
    assert _json(estimate(files, options, at=DAY, dask=cluster.scheduler_address)) == _json(local)


def test_dask_local_starts_and_closes_a_cluster_of_this_machine(tmp_path: Path) -> None:
    path = _requests(tmp_path / "l.jsonl")
    options = EstimateOptions(skip_invalid=True)
    assert _json(estimate([path], options, at=DAY, dask="local")) == _json(estimate([path], options, at=DAY))
