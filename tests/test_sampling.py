"""estimate --sample: reservoir sampling, the extrapolated total and its 95% interval."""

from __future__ import annotations

import csv
import io
import json
import random
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from claude_quote import EstimateOptions, UsageError, WorkloadError, estimate
from claude_quote.estimate.sample_parts import sample_key
from claude_quote.sampling import Reservoir, extrapolate
from tests.conftest import DAY, run_cli
from tests.workload_files import request, words, write_jsonl


def test_reservoir_is_uniform_and_deterministic() -> None:
    # 10 items, samples of 3: each item is in a sample with probability 3/10; over 3,000 seeds that is
    # 900 times on average (standard deviation √(3,000 × 0.3 × 0.7) ≈ 25), so 800–1,000 is > 4 sigma.
    counts: Counter[int] = Counter()
    for seed in range(3000):
        r: Reservoir[int] = Reservoir(3, seed=seed)
        for item in range(10):
            r.offer(item)
        counts.update(r.items())
    assert all(800 <= counts[item] <= 1000 for item in range(10)), counts
    again: list[list[int]] = []
    for _ in range(2):
        r = Reservoir(3, seed=42)
        for item in range(100):
            r.offer(item)
        again.append(r.items())
    assert again[0] == again[1]
    assert again[0] == sorted(again[0])  # stream order
    assert r.seen == 100


def test_a_reservoir_larger_than_the_stream_keeps_everything() -> None:
    r: Reservoir[str] = Reservoir(5, seed=1)
    for item in "abc":
        r.offer(item)
    assert r.items() == ["a", "b", "c"]
    with pytest.raises(ValueError, match="at least 1"):
        Reservoir(0, seed=1)


def test_extrapolate_by_hand() -> None:
    # values 1, 2, 3, 6 from a population of 8: mean 3, total ≈ 8 × 3 = 24.
    # s² = ((1−3)² + (2−3)² + 0 + (6−3)²) / 3 = 14 / 3; SE = 8 × √((1 − 4/8) × (14/3) / 4) = 8 × √(7/12)
    # = 8 × 0.7637626 = 6.1101009; margin 1.96 × 6.1101009 = 11.9757978: 12.0242022 … 35.9757978
    x = extrapolate([Decimal(1), Decimal(2), Decimal(3), Decimal(6)], population=8)
    assert (x.estimate, x.standard_error) == (Decimal(24), Decimal("6.110101"))
    assert (x.low, x.high) == (Decimal("12.024202"), Decimal("35.975798"))  # low rounded down, high up
    # the whole population: no sampling error, and the exact total (not rounded)
    full = extrapolate([Decimal("0.5"), Decimal("0.0000005")], population=2)
    assert (full.estimate, full.low, full.high, full.standard_error) == (
        Decimal("0.5000005"),
        Decimal("0.5000005"),
        Decimal("0.5000005"),
        Decimal(0),
    )
    # the low end never goes below what the sample itself costs (1 + 100 = 101)
    skewed = extrapolate([Decimal(1), Decimal(100)], population=3)
    assert skewed.low == Decimal(101)
    with pytest.raises(ValueError, match="no variance"):
        extrapolate([Decimal(1)], population=5)


def _population(path: Path, rows: int, seed: int) -> Path:
    """A skewed workload with given token counts (no tokenizer): most prompts short, a few long."""
    rng = random.Random(seed)
    lines = ["model,input_tokens,output_tokens,max_tokens"]
    for _ in range(rows):
        prompt = rng.choice([rng.randint(200, 2_000), rng.randint(200, 2_000), rng.randint(5_000, 60_000)])
        output = rng.randint(10, 800)
        lines.append(f"haiku-4.5,{prompt},{output},1000")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_interval_covers_the_full_count_for_most_seeds(tmp_path: Path) -> None:
    """A nominal 95% interval should cover the true total in about 95 of 100 samples; we ask ≥ 85.

    Deterministic: the data and the 100 seeds are fixed, so the count never changes between runs.
    """
    data = _population(tmp_path / "work.csv", 400, seed=2026)
    full = estimate([data], at=DAY)
    assert full.batch is not None
    covered = covered_batch = 0
    for seed in range(100):
        e = estimate([data], EstimateOptions(sample=40, seed=seed), at=DAY)
        assert e.sample is not None
        assert (e.sample.size, e.sample.population, e.requests) == (40, 400, 40)
        assert e.sample.batch is not None
        covered += e.sample.realtime.low <= full.realtime.total <= e.sample.realtime.high
        covered_batch += e.sample.batch.low <= full.batch.total <= e.sample.batch.high
    assert 85 <= covered <= 100
    assert 85 <= covered_batch <= 100


def test_same_seed_same_answer_and_sample_of_everything_is_exact(tmp_path: Path) -> None:
    data = _population(tmp_path / "w.csv", 50, seed=1)
    one = estimate([data], EstimateOptions(sample=10, seed=7), at=DAY)
    two = estimate([data], EstimateOptions(sample=10, seed=7), at=DAY)
    assert one == two
    assert one.sample is not None
    assert one.sample.realtime.low <= one.sample.realtime.estimate <= one.sample.realtime.high
    everything = estimate([data], EstimateOptions(sample=500, seed=7), at=DAY)
    full = estimate([data], at=DAY)
    assert everything.sample is not None
    assert everything.sample.population == everything.sample.size == 50
    assert everything.sample.realtime.estimate == everything.sample.realtime.high == full.realtime.total
    assert everything.sample.worst_realtime.estimate == full.worst_case.realtime.total


def test_per_request_tiers_in_the_sample(tmp_path: Path) -> None:
    # Haiku 5.5: a 100,001-token prompt is billed whole at the higher tier; each sampled request is
    # priced alone, so the extrapolation from a full "sample" equals the tiered total exactly.
    data = tmp_path / "tiers.csv"
    data.write_text(
        "model,input_tokens,output_tokens,max_tokens\nhaiku-5.5,100000,0,10\nhaiku-5.5,100001,0,10\n"
    )
    full = estimate([data], at=DAY)
    sampled = estimate([data], EstimateOptions(sample=2, seed=0), at=DAY)
    assert sampled.sample is not None
    assert sampled.sample.realtime.estimate == full.realtime.total


def test_text_files_outside_the_sample_are_not_read(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(20):
        (folder / f"{i:02d}.txt").write_text(words(10 + i))
    # the sample: the 5 files whose keys (seed 3, file index i, item 0) are smallest
    picked = sorted(range(20), key=lambda i: sample_key(3, i, 0))[:5]
    unread = next(i for i in range(20) if i not in picked)
    # text for its first 8 KiB (which a directory's files are looked at for), then a byte that is not
    # UTF-8: reading it whole would find it
    bad = folder / f"{unread:02d}.txt"
    bad.write_bytes(b"a " * 8192 + b"\xff")
    e = estimate(
        [folder], EstimateOptions(sample=5, seed=3, model="haiku-4.5", max_tokens=10, output_tokens=5), at=DAY
    )
    assert e.sample is not None
    assert (e.sample.size, e.sample.population) == (5, 20)
    # read whole (no sample), a file found in a directory that is not text is skipped and counted ...
    whole = estimate([folder], EstimateOptions(model="haiku-4.5", max_tokens=10, output_tokens=5), at=DAY)
    assert whole.requests == 19
    assert any(w.startswith("skipped 1 file that is not text: ") for w in whole.warnings)
    # ... and named, it is an error
    with pytest.raises(WorkloadError, match="not UTF-8"):
        estimate([bad], EstimateOptions(model="haiku-4.5", max_tokens=10, output_tokens=5), at=DAY)


def test_options_are_checked() -> None:
    with pytest.raises(UsageError, match="sample must be at least 2"):
        estimate(["examples/batch-requests.jsonl"], EstimateOptions(sample=1), at=DAY)
    with pytest.raises(UsageError, match="seed needs sample"):
        estimate(["examples/batch-requests.jsonl"], EstimateOptions(seed=1), at=DAY)


def test_every_format_shows_the_interval(tmp_path: Path) -> None:
    data = write_jsonl(
        tmp_path / "r.jsonl", [request(words(10 * (i + 1)), custom_id=f"r-{i}") for i in range(12)]
    )
    args = [
        "estimate",
        str(data),
        "--output-tokens",
        "50",
        "--sample",
        "5",
        "--seed",
        "11",
        "--at",
        "2026-11-25",
    ]
    out = json.loads(run_cli([*args, "-f", "json"]).stdout)
    sample = out["sample"]
    assert (sample["size"], sample["population"], sample["seed"], sample["confidence"]) == (5, 12, 11, "0.95")
    assert set(sample["realtime"]) == {"estimate", "low", "high", "standard_error"}
    assert Decimal(sample["realtime"]["low"]) <= Decimal(sample["realtime"]["estimate"])
    assert Decimal(sample["realtime"]["estimate"]) <= Decimal(sample["realtime"]["high"])
    assert set(sample["worst_case"]) == {"realtime", "batch"}
    table = run_cli(args).stdout
    assert "Estimate: a sample of 5 of 12 requests" in table
    assert "Whole input (12 requests), extrapolated from the sample (USD)" in table
    assert "expected batch" in table
    markdown = run_cli([*args, "-f", "markdown"]).stdout
    assert "| expected real-time |" in markdown
    rows = list(csv.reader(io.StringIO(run_cli([*args, "-f", "csv"]).stdout)))
    extrapolated = {r[1]: r for r in rows if r[0] == "extrapolated"}
    assert set(extrapolated) == {"estimate", "low", "high"}
    assert extrapolated["estimate"][5] == sample["realtime"]["estimate"]
    assert extrapolated["low"][6] == sample["batch"]["low"]
    plain = json.loads(run_cli(["estimate", str(data), "--at", "2026-11-25", "-f", "json"]).stdout)
    assert plain["sample"] is None


def test_without_a_seed_one_is_chosen_and_reported(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "r.jsonl", [request(words(5), custom_id=f"r-{i}") for i in range(6)])
    out = json.loads(
        run_cli(["estimate", str(data), "--sample", "3", "--at", "2026-11-25", "-f", "json"]).stdout
    )
    seed = out["sample"]["seed"]
    again = json.loads(
        run_cli(
            ["estimate", str(data), "--sample", "3", "--seed", str(seed), "--at", "2026-11-25", "-f", "json"]
        ).stdout
    )
    assert again["sample"] == out["sample"]


def test_sample_errors_exit_2() -> None:
    result = run_cli(["estimate", "examples/batch-requests.jsonl", "--sample", "1", "--at", "2026-11-25"])
    assert result.exit_code == 2
    assert result.stderr == "error: --sample must be at least 2 requests (a variance needs two), got 1\n"
    bad = run_cli(["estimate", "examples/broken-batch.jsonl", "--sample", "5", "--seed", "1"])
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: examples/broken-batch.jsonl:2: not valid JSON")
    skipped = run_cli(
        [
            "estimate",
            "examples/broken-batch.jsonl",
            "--sample",
            "5",
            "--seed",
            "1",
            "--skip-invalid",
            "-f",
            "json",
        ]
    )
    assert skipped.exit_code == 0, skipped.output
    data = json.loads(skipped.stdout)
    assert (data["skipped"], data["sample"]["population"]) == (1, 1)


def test_a_sampled_estimate_projects_the_whole_input(tmp_path: Path) -> None:
    from claude_quote import workloads_from_estimate

    data = write_jsonl(tmp_path / "r.jsonl", [request(words(5), custom_id=f"r-{i}") for i in range(12)])
    out = tmp_path / "estimate.json"
    out.write_text(
        run_cli(
            ["estimate", str(data), "--sample", "4", "--seed", "2", "--at", "2026-11-25", "-f", "json"]
        ).stdout
    )
    (workload,) = workloads_from_estimate(out)
    # 4 sampled requests, all one model: the projection's volume is the input's 12, not the sample's 4
    assert (workload.sample_requests, workload.requests) == (4, Decimal(12))


# -- sampling in pieces (issue 15) ----------------------------------------------------------------


def test_every_request_is_equally_likely_to_be_sampled() -> None:
    # The sample is the 3 of 10 items with the smallest keys: each item is in it with probability 3/10;
    # over 3,000 seeds that is 900 times on average (σ = √(3,000 × 0.3 × 0.7) ≈ 25): 800–1,000 is > 4σ.
    counts: Counter[int] = Counter()
    for seed in range(3000):
        counts.update(sorted(range(10), key=lambda i: sample_key(seed, 0, i + 1))[:3])
    assert all(800 <= counts[item] <= 1000 for item in range(10)), counts


def _jsonl_population(path: Path, rows: int, seed: int) -> Path:
    rng = random.Random(seed)
    lines = []
    for i in range(rows):
        lines.append(
            request(words(rng.choice([5, 50, 400])), custom_id=f"r-{i}", max_tokens=rng.randint(10, 900))
        )
    return write_jsonl(path, lines)


def test_the_sample_does_not_depend_on_the_pieces(tmp_path: Path) -> None:
    from claude_quote.estimate.partial import pieces_of
    from claude_quote.estimate.sample_parts import SamplePartial, SampleRunner

    data = _jsonl_population(tmp_path / "w.jsonl", 120, 3)
    runner = SampleRunner(EstimateOptions(), at=DAY, table=None, size=15, seed=11)
    picks = []
    for target in (1, 2_000, 1 << 40):
        parts = [runner.piece(p) for p in pieces_of([data], jobs=2, target=target)]
        merged = SamplePartial(15)
        for part in reversed(parts):
            merged.merge(part)
        assert merged.population == 120
        picks.append(sorted(position for _, position, _ in merged.picked))
    assert picks[0] == picks[1] == picks[2]
    assert len(picks[0]) == 15


def test_sampling_in_worker_processes_gives_the_same_estimate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from claude_quote.render import render
    from claude_quote.scale import local
    from claude_quote.scale import pieces as pieces_module

    data = _jsonl_population(tmp_path / "w.jsonl", 200, 5)
    monkeypatch.setattr(local, "MIN_PARALLEL_BYTES", 1)
    monkeypatch.setattr(pieces_module, "MIN_PIECE_BYTES", 3_000)
    options = EstimateOptions(sample=30, seed=9, output_tokens=20)
    one = estimate([data], options, at=DAY, jobs=1)
    two = estimate([data], options, at=DAY, jobs=2)
    assert render(one, "json") == render(two, "json")
    assert one.sample is not None
    assert (one.sample.size, one.sample.population) == (30, 200)


def _parquet_population(path: Path, rows: int, seed: int, *, group: int = 37) -> Path:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rng = random.Random(seed)
    prompts = [rng.choice([rng.randint(200, 2_000), rng.randint(5_000, 60_000)]) for _ in range(rows)]
    table = {
        "model": ["haiku-4.5"] * rows,
        "input_tokens": prompts,
        "output_tokens": [rng.randint(10, 800) for _ in range(rows)],
        "max_tokens": [1000] * rows,
    }
    pq.write_table(pa.table(table), path, row_group_size=group)
    return path


def test_parquet_rows_are_counted_from_metadata_and_only_the_sample_is_read(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = 300
    picked = sorted(range(1, rows + 1), key=lambda row: sample_key(4, 0, row))[:10]
    # every row outside the sample has no max_tokens: reading any of them would be an error
    table = {
        "model": ["haiku-4.5"] * rows,
        "input_tokens": [100 * r for r in range(1, rows + 1)],
        "max_tokens": [50 if r in picked else None for r in range(1, rows + 1)],
    }
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table(table), path, row_group_size=40)
    e = estimate([path], EstimateOptions(sample=10, seed=4, output_tokens=5), at=DAY)
    assert e.sample is not None
    assert (e.sample.size, e.sample.population) == (10, 300)
    assert e.usage.input_tokens == sum(100 * r for r in picked)  # the sampled rows' own prompts
    assert any(
        "290 Parquet rows outside the sample were counted from the files' metadata" in w for w in e.warnings
    )
    with pytest.raises(WorkloadError, match="no max_tokens"):
        estimate([path], EstimateOptions(output_tokens=5), at=DAY)


def test_a_parquet_interval_covers_the_full_count_for_most_seeds(tmp_path: Path) -> None:
    """As for a CSV: the nominal 95% interval covers the true total for ≥ 85 of 100 fixed seeds."""
    data = _parquet_population(tmp_path / "work.parquet", 400, seed=2027)
    full = estimate([data], at=DAY)
    covered = 0
    for seed in range(100):
        e = estimate([data], EstimateOptions(sample=40, seed=seed), at=DAY)
        assert e.sample is not None
        assert (e.sample.size, e.sample.population, e.requests) == (40, 400, 40)
        covered += e.sample.realtime.low <= full.realtime.total <= e.sample.realtime.high
    assert 85 <= covered <= 100
