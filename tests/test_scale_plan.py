"""plan (the check) of a big file in pieces (issue 15): any cut of the file, the pieces merged in any
order, gives exactly the plan one process makes — the problems in the same order (a custom_id an
earlier piece used is a repeat naming its first line), the same parts, the same sha256s."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from claude_quote.plan import plan
from claude_quote.plan.limits import DEFAULT_MARGIN
from claude_quote.plan.partial import PlanPartial, PlanSettings, plan_of, plan_piece
from claude_quote.pricing import load_pricing
from claude_quote.render import render
from claude_quote.scale import local
from claude_quote.scale import pieces as pieces_module
from claude_quote.scale.pieces import Piece, jsonl_cuts
from tests.conftest import DAY
from tests.workload_files import request, words


def _line(rng: random.Random, i: int) -> str:
    kind = rng.random()
    if kind < 0.05:
        return '{"custom_id": broken'
    if kind < 0.08:
        return ""
    if kind < 0.11:  # a bare Messages body: an invalid line for plan, in one process and in pieces
        return json.dumps(request("a bare body")["params"])
    custom_id = rng.choice([f"req-{i}", f"req-{rng.randint(0, i)}", f"bad id {i}"])
    model = rng.choice(["claude-sonnet-4-6", "claude-haiku-4-5", "claude-nope", "claude-sonnet-4-6"])
    text = words(rng.choice([5, 40, 3_000]))
    params: dict[str, Any] = {}
    if rng.random() < 0.1:
        params["stream"] = True
    return json.dumps(
        request(
            text, custom_id=custom_id, model=model, max_tokens=rng.choice([100, 64_000, 900_000]), **params
        )
    )


def _file(path: Path, seed: int, n: int = 70, *, newline_at_end: bool = True) -> Path:
    rng = random.Random(seed)
    text = "\n".join(_line(rng, i) for i in range(n))
    path.write_text(text + ("\n" if newline_at_end else ""))
    return path


def _settings(**changes: Any) -> PlanSettings:
    base: dict[str, Any] = {
        "table": load_pricing(),
        "at": DAY,
        "max_requests": 9,
        "max_bytes": 40_000,
        "token_factor": None,
        "margin": DEFAULT_MARGIN,
        "skip_invalid": False,
        "betas": (),
        "max_line_bytes": 1 << 20,
    }
    base.update(changes)
    return PlanSettings(**base)


def _pieces(path: Path, target: int) -> list[Piece]:
    size = path.stat().st_size
    return [
        Piece("requests", ((0, str(path)),), s, e, line, size=(size if e is None else e) - s)
        for s, e, line in jsonl_cuts(path, target)
    ]


def _whole(path: Path, settings: PlanSettings) -> str:
    return render(
        plan(
            path,
            at=settings.at,
            table=settings.table,
            max_requests=settings.max_requests,
            max_bytes=settings.max_bytes,
            skip_invalid=settings.skip_invalid,
        ),
        "json",
    )


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("skip_invalid", [False, True])
def test_pieces_merged_in_any_order_give_the_one_process_plan(
    tmp_path: Path, seed: int, skip_invalid: bool
) -> None:
    path = _file(tmp_path / "b.jsonl", seed, newline_at_end=seed % 2 == 0)
    settings = _settings(skip_invalid=skip_invalid)
    whole = _whole(path, settings)
    rng = random.Random(seed)
    for target in (1, 3_000, 20_000, 1 << 30):
        parts = [plan_piece(settings, p, lambda _: None) for p in _pieces(path, target)]
        rng.shuffle(parts)
        merged = PlanPartial()
        for part in parts:
            merged = merged.merge(part) if rng.random() < 0.5 else part.merge(merged)
        assert render(plan_of(merged, path, settings), "json") == whole, target


def test_a_repeat_in_a_later_piece_names_the_first_line(tmp_path: Path) -> None:
    lines = [request(custom_id="a"), request(custom_id="b"), request(custom_id="a"), request(custom_id="a")]
    path = tmp_path / "r.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    settings = _settings()
    parts = [plan_piece(settings, p, lambda _: None) for p in _pieces(path, 1)]
    assert len(parts) == 4
    merged = parts[3].merge(parts[1]).merge(parts[0]).merge(parts[2])
    report = plan_of(merged, path, settings)
    repeats = [(p.line, p.message.split(":")[0]) for p in report.problems if p.code == "custom_id_duplicate"]
    assert repeats == [(3, "custom_id 'a' repeats line 1"), (4, "custom_id 'a' repeats line 1")]
    assert render(report, "json") == _whole(path, settings)


def test_plan_jobs_in_worker_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _file(tmp_path / "big.jsonl", 7, 150)
    monkeypatch.setattr(local, "MIN_PARALLEL_BYTES", 1)
    monkeypatch.setattr(pieces_module, "MIN_PIECE_BYTES", 10_000)
    one = plan(path, at=DAY, max_requests=9, max_bytes=40_000, jobs=1)
    two = plan(path, at=DAY, max_requests=9, max_bytes=40_000, jobs=2)
    assert render(two, "json") == render(one, "json")
    assert len(one.parts) > 5
