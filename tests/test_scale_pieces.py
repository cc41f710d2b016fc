"""Cutting a JSONL file into pieces (issue 15): every line in exactly one piece, numbered as one
process numbers it, whatever the piece sizes; shrinking pieces for the end of the input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claude_quote.scale import pieces as pieces_module
from claude_quote.scale.pieces import MAX_PIECE_BYTES, MIN_PIECE_BYTES, iter_jsonl_cuts, jsonl_cuts, shrinking


def _lines_of(path: Path, cuts: list[tuple[int, int | None, int]]) -> list[tuple[int, int]]:
    data = path.read_bytes()
    seen = []
    for start, end, first in cuts:
        chunk = data[start:end].splitlines()
        seen += [(first + k, json.loads(line)["n"]) for k, line in enumerate(chunk)]
    return seen


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pads=st.lists(st.integers(0, 40), min_size=1, max_size=80),
    sizes=st.lists(st.integers(1, 200), min_size=1, max_size=10),
    block=st.integers(1, 64),
)
def test_cuts_of_any_sizes_cover_every_line_once_with_its_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pads: list[int], sizes: list[int], block: int
) -> None:
    monkeypatch.setattr(pieces_module, "BLOCK", block)  # cuts found across reads of the file
    path = tmp_path / "lines.jsonl"
    path.write_text("".join(f'{{"n": {i}, "pad": "{"x" * pad}"}}\n' for i, pad in enumerate(pads, start=1)))
    asked: list[int] = []

    def target(left: int) -> int:
        asked.append(left)
        return sizes[len(asked) % len(sizes)]

    cuts = list(iter_jsonl_cuts(path, target))
    assert _lines_of(path, cuts) == [(i, i) for i in range(1, len(pads) + 1)]
    assert [end for _, end, _ in cuts[:-1]] == [start for start, _, _ in cuts[1:]]  # contiguous
    assert cuts[0][0] == 0
    assert cuts[-1][1] is None
    assert all(0 < left <= path.stat().st_size for left in asked)


def test_the_same_cuts_as_a_fixed_target() -> None:
    path = Path(__file__).parent.parent / "examples" / "batch-results-support.jsonl"
    for target in (1, 500, 3_000, 10**9):

        def fixed(left: int, target: int = target) -> int:
            return target

        assert list(iter_jsonl_cuts(path, fixed)) == jsonl_cuts(path, target)


def test_pieces_shrink_towards_the_end() -> None:
    target = shrinking(2)
    # 463 MiB for 2 workers: a quarter of a worker's share of what is left, at most 64 MiB ...
    assert target(520 << 20) == MAX_PIECE_BYTES  # 520 / 8 = 65 MiB: capped at 64
    assert target(512 << 20) == MAX_PIECE_BYTES  # 512 / 8 = 64 MiB exactly
    assert target(504 << 20) == 63 << 20  # 504 / 8: under the cap
    assert target(400 << 20) == 50 << 20  # 400 MiB / (2 × 4)
    assert target(100 << 20) == (100 << 20) // 8  # 12.5 MiB
    # ... and at least 4 MiB
    assert target(32 << 20) == MIN_PIECE_BYTES  # 32 / 8 = 4 MiB exactly
    assert target((32 << 20) - 8) == MIN_PIECE_BYTES  # just under: still 4 MiB
    assert target(1) == MIN_PIECE_BYTES
