"""How close claude-quote's token counts come to Claude's own, on public count_tokens measurements.

    python benchmarks/token_accuracy.py            # the table of errors (old method vs the shipped model)
    python benchmarks/token_accuracy.py --fit      # also refit the factors and print them as TOML
    python benchmarks/token_accuracy.py --cv       # also cross-validate the joins inside the fit split
                                                   # (two stages, 3 × 5-fold; about a minute)

Reads ``tests/data/token-measurements.jsonl`` (built by ``benchmarks/token_data.py``: one public
measurement a line, as features: the text's tiktoken count, its content-class scan, Claude's count of
the one-message request, the framing, the source and whether the row is held out of the fit).

For each measurement it predicts Claude's count of the whole request two ways:

- **old**: ``ceil(cl100k × 1.05)`` (``claude-3``) or ``× 1.4175`` (``claude-4.7``), no framing: what
  claude-quote did before issue 11;
- **new**: the shipped counting model (``pricing/tokens.toml``: content-class factors, framing), through
  :meth:`claude_quote.tokens.correction.CountingModel.prefixes`, exactly as ``estimate`` counts.

It prints the mean absolute and mean signed relative error per category and overall, per tokenizer,
on the fit split and on the held-out split, and the error of the summed counts (aggregate).

``--fit`` refits the factors on the fit split the way the shipped ones were made and prints them:
cl100k_base tokens per character of each class from the tiktoken tokens of every text (the texts'
own property, no Claude count involved); ``claude-3`` factors by :func:`claude_quote.tokens.fit.fit`
with the prior at the ratio of sums; ``claude-4.7`` factors with the prior at the ``claude-3`` factors
× the third-party 4.7/4.6 ratios (SOL-AVA: Latin-script text ×1.45, accented Latin ×1.3, everything
else ×1.0). A test checks that the shipped file matches this refit.
"""

from __future__ import annotations

import argparse
import json
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "token-measurements.jsonl"
OLD_FACTORS = {"claude-3": 1.05, "claude-4.7": 1.4175}
RATIO_PRIOR = {"latin": 1.45, "latin_ext": 1.3}
"""4.7 ÷ 4.6 per class, as the prior of the claude-4.7 fit (SOL-AVA; classes not named: 1.0)."""
PLACES = 3


def load(path: Path = DATA) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def measured_tau(rows: Sequence[dict[str, Any]]) -> list[float]:
    """cl100k_base tokens per character of each class, over the distinct texts."""
    from claude_quote.tokens.classes import CLASSES

    tokens = [0] * len(CLASSES)
    chars = [0] * len(CLASSES)
    seen: set[str] = set()
    for r in rows:
        if r["text_sha256"] in seen:
            continue
        seen.add(r["text_sha256"])
        for i in range(len(CLASSES)):
            tokens[i] += r["cl100k_classes"][i]
            chars[i] += r["classes"][i]
    return [round(t / c, PLACES) if c else 1.0 for t, c in zip(tokens, chars, strict=True)]


def _joins(rows: Sequence[dict[str, Any]] | None = None) -> dict[str, list[float]]:
    """Extra tokens per join of each tokenizer, as the data file has them (chosen by :func:`cv`)."""
    from claude_quote.tokens.classes import JOINS
    from claude_quote.tokens.data import load_token_data

    data = load_token_data()
    return {name: [float(tok.joins.get(j, 0)) for j in JOINS] for name, tok in data.tokenizers.items()}


def _features(r: dict[str, Any], tau: Sequence[float], joins: Sequence[float]) -> list[float]:
    """The row's effective tiktoken count (its count + joins × their extra tokens), apportioned."""
    from claude_quote.tokens.fit import apportion

    effective = r["cl100k"] + sum(j * n for j, n in zip(joins, r["joins"], strict=True))
    return apportion(effective, r["classes"], tau)


def refit(
    rows: Sequence[dict[str, Any]], joins: Mapping[str, Sequence[float]] | None = None
) -> dict[str, Any]:
    """The factors fitted on the fit split (see the module docs), rounded as shipped."""
    from claude_quote.tokens.classes import CLASSES
    from claude_quote.tokens.fit import fit_features

    joins = joins if joins is not None else _joins()
    tau = measured_tau(rows)
    out: dict[str, Any] = {"tau": dict(zip(CLASSES, tau, strict=True))}
    claude3: Sequence[float] = ()
    for tokenizer in ("claude-3", "claude-4.7"):
        part = [r for r in rows if r["tokenizer"] == tokenizer and r["split"] == "fit"]
        features = [_features(r, tau, joins[tokenizer]) for r in part]
        targets = [r["request_count"] - r["framing"] for r in part]
        if tokenizer == "claude-3":
            ratio = round(sum(targets) / sum(r["cl100k"] for r in part), PLACES)
            prior = [ratio] * len(CLASSES)
        else:
            prior = [f * RATIO_PRIOR.get(c, 1.0) for c, f in zip(CLASSES, claude3, strict=True)]
        result = fit_features(features, targets, prior_factors=prior, prior_intercept=None)
        factors = [round(f, PLACES) for f in result.factors]
        if tokenizer == "claude-3":
            claude3 = factors
        out[tokenizer] = dict(zip(CLASSES, factors, strict=True))
    return out


JOIN_GRID = {
    "punct_letter": (0.0, 0.2, 0.3, 0.4, 0.5, 0.6),
    "lower_upper": (0.0, 0.3, 0.5, 0.7, 0.9, 1.1),
    "start_digit": (0.0, 0.5, 1.0, 1.5),
    "newline": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6),
    "upper_upper": (0.0, 0.1, 0.2, 0.3, 0.4),
    "space_nonascii": (0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2),
}
"""The extra tokens per join :func:`cv` tries (every combination of one stage's joins)."""
STAGES = (("punct_letter", "lower_upper", "start_digit"), ("newline", "upper_upper", "space_nonascii"))
"""The joins were chosen in two stages (2026-12-01): the first three with the others absent, then the
last three with the first three at their chosen values."""
FOLDS = 5
REPEATS = 3
"""Cross-validation is repeated on this many assignments of the texts to folds (the first is the one
the first stage was chosen on) and the mean absolute errors averaged: one assignment of 216 texts
varies by about ±0.1 point."""


def cv(
    rows: Sequence[dict[str, Any]], stage: int = 1, repeats: int = REPEATS
) -> list[tuple[float, float, tuple[float, ...]]]:
    """Choose the joins' extra tokens without the held-out rows: for every combination of
    :data:`JOIN_GRID` over the joins of :data:`STAGES` ``[stage]`` (the joins of earlier stages at
    their shipped values, of later ones at 0), the mean absolute error of a 5-fold cross-validation
    inside the fit split (folds by text; the factors refitted on four folds, the fifth predicted),
    averaged over ``repeats`` fold assignments, claude-3 and claude-4.7; best first. The same joins
    serve both tokenizers (claude-4.7 has too few measurements to choose its own)."""
    import itertools

    from claude_quote.tokens.classes import JOINS

    shipped = _joins()["claude-3"]
    earlier = {j for names in STAGES[:stage] for j in names}
    base = [v if j in earlier else 0.0 for j, v in zip(JOINS, shipped, strict=True)]
    names = STAGES[stage]
    out = []
    for values in itertools.product(*(JOIN_GRID[n] for n in names)):
        joins = list(base)
        for name, value in zip(names, values, strict=True):
            joins[JOINS.index(name)] = value
        out.append(cv_errors(rows, tuple(joins), repeats))
    return sorted(out)


def cv_errors(
    rows: Sequence[dict[str, Any]], joins: tuple[float, ...], repeats: int = 1
) -> tuple[float, float, tuple[float, ...]]:
    """:func:`cv`'s cross-validated mean absolute error of claude-3 and claude-4.7 with ``joins``
    (every join of :data:`~claude_quote.tokens.classes.JOINS`), averaged over ``repeats`` fold
    assignments."""
    import hashlib

    from claude_quote.tokens.fit import summarize_errors

    fit_rows = [r for r in rows if r["split"] == "fit"]
    tau = measured_tau(rows)
    both = {"claude-3": joins, "claude-4.7": joins}
    total = [0.0, 0.0]
    for repeat in range(repeats):
        salt = f"{repeat}:" if repeat else ""
        fold = {
            r["text_sha256"]: int(hashlib.sha256((salt + r["text_sha256"]).encode()).hexdigest(), 16) % FOLDS
            for r in fit_rows
        }
        errors: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for k in range(FOLDS):
            train = [{**r, "split": "fit" if fold[r["text_sha256"]] != k else "test"} for r in fit_rows]
            fitted = refit(train, both)
            for r in (r for r in train if r["split"] == "test"):
                factors = list(fitted[r["tokenizer"]].values())
                model = sum(f * x for f, x in zip(factors, _features(r, tau, joins), strict=True))
                errors[r["tokenizer"]].append((math.floor(r["framing"] + model + 0.5), r["request_count"]))
        for i, t in enumerate(("claude-3", "claude-4.7")):
            e = summarize_errors([p for p, _ in errors[t]], [a for _, a in errors[t]])
            total[i] += e.mean_abs / repeats
    return total[0], total[1], joins


def predictions(rows: Sequence[dict[str, Any]]) -> dict[str, list[tuple[dict[str, Any], int, int]]]:
    """Per tokenizer: (row, old prediction, new prediction) of the whole one-message request."""
    from claude_quote.tokens.correction import counting_model_for_tokenizer

    out: dict[str, list[tuple[dict[str, Any], int, int]]] = defaultdict(list)
    for r in rows:
        model = counting_model_for_tokenizer(r["tokenizer"])
        count = (r["cl100k"], (*r["classes"], *r.get("joins", ())))
        new = model.prefixes([count], None, [0], [1], False)[0][-1]
        old = math.ceil(r["cl100k"] * OLD_FACTORS[r["tokenizer"]] - 1e-9)
        out[r["tokenizer"]].append((r, old, new))
    return out


def _summary(items: Sequence[tuple[dict[str, Any], int, int]], which: int) -> tuple[float, float, float]:
    from claude_quote.tokens.fit import summarize_errors

    e = summarize_errors([it[which] for it in items], [it[0]["request_count"] for it in items])
    return e.mean_abs * 100, e.mean_signed * 100, e.aggregate * 100


def table(rows: Sequence[dict[str, Any]]) -> str:
    """The markdown tables of docs/tokens.md."""
    lines: list[str] = []
    for tokenizer, items in predictions(rows).items():
        lines += [
            f"**{tokenizer}** ({len(items)} measurements; relative error of the whole request, %)",
            "",
            "| category | n | old MAE | old signed | new MAE | new signed | new MAE held out (n) |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        by_category: dict[str, list[tuple[dict[str, Any], int, int]]] = defaultdict(list)
        for item in items:
            by_category[item[0]["category"]].append(item)
        for category, group in sorted(by_category.items()):
            held = [it for it in group if it[0]["split"] == "held_out"]
            old, new = _summary(group, 1), _summary(group, 2)
            held_text = f"{_summary(held, 2)[0]:.1f} ({len(held)})" if held else "—"
            lines.append(
                f"| {category} | {len(group)} | {old[0]:.1f} | {old[1]:+.1f} | {new[0]:.1f} | {new[1]:+.1f} | {held_text} |"
            )
        for split in ("fit", "held_out"):
            part = [it for it in items if it[0]["split"] == split]
            old, new = _summary(part, 1), _summary(part, 2)
            lines.append(
                f"| **all, {split.replace('_', '-')}** | {len(part)} | {old[0]:.1f} | {old[1]:+.1f} | "
                f"{new[0]:.1f} | {new[1]:+.1f} | aggregate: old {old[2]:+.1f}, new {new[2]:+.1f} |"
            )
        lines.append("")
    return "\n".join(lines)


def error_bands(rows: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The error of the shipped model per tokenizer: on the held-out split when it has at least 30
    measurements, else on every measurement (as the data file records)."""
    from claude_quote.tokens.fit import summarize_errors

    out = {}
    for tokenizer, items in predictions(rows).items():
        held = [it for it in items if it[0]["split"] == "held_out"]
        use = held if len(held) >= 30 else items
        e = summarize_errors([it[2] for it in use], [it[0]["request_count"] for it in use])
        out[tokenizer] = {
            "low": round(e.p5, PLACES),
            "high": round(e.p95, PLACES),
            "mean_abs": round(e.mean_abs, PLACES),
            "mean_signed": round(e.mean_signed, PLACES),
            "aggregate": round(e.aggregate, PLACES),
            "samples": e.samples,
            "measured_on": "held-out" if use is held else "all (fit and held-out)",
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--fit", action="store_true", help="refit the factors and print them as TOML")
    parser.add_argument(
        "--cv", action="store_true", help="cross-validate the joins' extra tokens (fit split)"
    )
    args = parser.parse_args(argv)
    rows = load(args.data)
    print(table(rows))
    print("error bands of the shipped model:", json.dumps(error_bands(rows), indent=1))
    if args.cv:
        from claude_quote.tokens.classes import JOINS

        shipped = tuple(_joins()["claude-3"])
        for stage, names in enumerate(STAGES):
            print(
                f"joins, stage {stage + 1} ({', '.join(names)}): cross-validated MAE on the fit split "
                f"({REPEATS} × {FOLDS}-fold), claude-3 / claude-4.7 (the best 12; all joins in {JOINS} order)"
            )
            for c3, c47, joins in cv(rows, stage)[:12]:
                print(f"  {joins}: {c3 * 100:.2f}% / {c47 * 100:.2f}%")
        for label, joins in (
            ("no joins", (0.0,) * len(JOINS)),
            (
                "stage 1 only",
                tuple(v if j in STAGES[0] else 0.0 for j, v in zip(JOINS, shipped, strict=True)),
            ),
            ("shipped", shipped),
        ):
            one, every = cv_errors(rows, joins), cv_errors(rows, joins, REPEATS)
            print(
                f"{label} {joins}: first fold assignment {one[0] * 100:.2f}% / {one[1] * 100:.2f}%, "
                f"{REPEATS} assignments {every[0] * 100:.2f}% / {every[1] * 100:.2f}%"
            )
    if args.fit:
        fitted = refit(rows)
        for key, values in fitted.items():
            body = ", ".join(f"{name} = {value}" for name, value in values.items())
            print(f"{key}: {{ {body} }}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
