"""A bucket's sums (``estimate.bands.Bucket.add``) and the request record read from a batch line."""

from __future__ import annotations

import dataclasses

import pytest

from claude_quote.engine import Modifiers
from claude_quote.estimate.bands import Bucket, CacheFigures, Measured
from claude_quote.workloads.requests import BatchRequest

REALTIME = Modifiers("realtime", "global", "standard")


def _measured(prompt: int, *figures: int) -> Measured:
    # figures: write_5m, write_1h, read_best, write_5m_best, write_1h_best, the two expected writes
    cache = CacheFigures(*figures)
    return Measured("m", 0, REALTIME, "", prompt, *cache, 200, 1024, prompt - 7, 0, prompt)


def test_a_bucket_sums_every_figure_of_requests_with_and_without_cache_writes() -> None:
    # cache hit rate 30%: expected writes = best + round(0.7 × (writes − best)); 1000 + 700 = 1700,
    # 0 + 350 = 350 (the 1-hour writes); 400 + 0.7 × 2000 = 1800
    bucket = Bucket()
    bucket.add(_measured(3000, 2000, 500, 1500, 1000, 0, 1700, 350))
    bucket.add(_measured(100, 0, 0, 0, 0, 0, 0, 0))  # no breakpoint: every cache figure 0
    bucket.add(_measured(2600, 2400, 0, 2000, 400, 0, 1800, 0))
    totals = dataclasses.asdict(bucket)
    assert totals == {
        "requests": 3,
        "prompt": 5700,  # 3000 + 100 + 2600
        "write_5m": 4400,  # 2000 + 0 + 2400
        "write_1h": 500,
        "read_best": 3500,  # 1500 + 0 + 2000
        "write_5m_best": 1400,  # 1000 + 0 + 400
        "write_1h_best": 0,
        "write_5m_expected": 3500,  # 1700 + 0 + 1800
        "write_1h_expected": 350,
        "output_expected": 600,  # 3 × 200
        "output_worst": 3072,  # 3 × 1024
        "modelled": 5700,
    }


def test_a_bucket_of_requests_without_cache_writes_has_no_cache_figures() -> None:
    bucket = Bucket()
    for prompt in (10, 20, 30):
        bucket.add(_measured(prompt, 0, 0, 0, 0, 0, 0, 0))
    assert (bucket.requests, bucket.prompt, bucket.output_expected, bucket.output_worst) == (3, 60, 600, 3072)
    cache = (bucket.write_5m, bucket.write_1h, bucket.read_best, bucket.write_5m_best, bucket.write_1h_best)
    assert cache == (0, 0, 0, 0, 0)
    assert (bucket.write_5m_expected, bucket.write_1h_expected) == (0, 0)


def test_a_batch_request_cannot_be_changed() -> None:
    request = BatchRequest(3, "req-3", {"model": "m"}, 120)
    assert (request.line, request.custom_id, request.params, request.size_bytes) == (
        3,
        "req-3",
        {"model": "m"},
        120,
    )
    with pytest.raises(AttributeError):
        request.line = 4  # type: ignore[misc]
