"""How ``claude-quote calibrate`` reports look: what was learned, what was written, the effect."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from claude_quote.calibrate import CalibrationReport, Effect

from .document import Cell, Document, Table
from .json import SCHEMA_VERSION

__all__ = ["calibration_document", "calibration_json"]


def calibration_json(r: CalibrationReport) -> dict[str, Any]:
    """The JSON contract of ``calibrate``: counts, per-model and per-prefix statistics, the effect."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "calibration",
        "pricing_version": r.pricing_version,
        "pricing_sha256": r.pricing_sha256,
        "pricing_checked": r.pricing_checked,
        "at": r.at,
        "files": {"requests": r.requests_file, "results": r.results_file},
        "output": r.output,
        "min_samples": r.min_samples,
        "counts": {
            "requests": r.requests,
            "results": r.results,
            "joined": r.joined,
            "not_succeeded": r.not_succeeded,
            "requests_without_result": {
                "count": r.requests_without_result,
                "custom_ids": list(r.requests_without_result_ids),
            },
            "results_without_request": {
                "count": r.results_without_request,
                "custom_ids": list(r.results_without_request_ids),
            },
            "model_mismatch": r.model_mismatch,
            "skipped": {"requests": r.skipped_requests, "results": r.skipped_results},
        },
        "models": [m.model_dump(mode="python") for m in r.models],
        "prefixes": [p.model_dump(mode="python") for p in r.prefixes],
        "effect": [e.model_dump(mode="python") for e in r.effect],
        "calibration": r.calibration.model_dump(mode="python"),
        "warnings": list(r.warnings),
    }


def _factor(value: Decimal | None) -> str:
    return "-" if value is None else f"× {value}"


def _effect_row(e: Effect) -> list[Cell | str]:
    return [
        e.model,
        Cell.tokens(e.requests),
        Cell.tokens(e.actual_prompt_tokens),
        Cell.tokens(e.uncalibrated_prompt_tokens),
        Cell.tokens(e.calibrated_prompt_tokens),
        Cell.tokens(e.actual_output_tokens),
        Cell.tokens(e.uncalibrated_output_tokens),
        Cell.tokens(e.calibrated_output_tokens),
        Cell.usd(e.actual),
        Cell.usd(e.uncalibrated),
        Cell.change(e.uncalibrated_error_percent),
        Cell.usd(e.calibrated),
        Cell.change(e.calibrated_error_percent),
    ]


def calibration_document(r: CalibrationReport) -> Document:
    """The human-readable calibration report."""
    counts = f"{r.results:,} result lines"
    if r.not_succeeded:
        counts += " (" + ", ".join(f"{n:,} {kind}" for kind, n in r.not_succeeded.items()) + ")"
    facts = [
        ("requests", f"{r.requests_file} ({r.requests:,} requests)"),
        ("results", f"{r.results_file} ({counts})"),
        ("joined", f"{r.joined:,} succeeded requests matched by custom_id and model"),
        ("minimum", f"{r.min_samples:,} joined requests per model or custom_id prefix"),
        ("written", r.output or "nothing (give -o FILE to write the calibration file)"),
        (
            "prices",
            f"as of {r.at.isoformat()}, table {r.pricing_version}, checked {r.pricing_checked.isoformat()}",
        ),
    ]
    models = Table(
        columns=[
            "model",
            "samples",
            "input factor",
            "default",
            "per-request p5",
            "p50",
            "p95",
            "output p50",
            "output p95",
            "output mean",
            "written",
        ],
        title="Learned per model (factor = Σ(actual prompt − fixed tokens) ÷ Σ tiktoken tokens)",
    )
    for m in r.models:
        models.rows.append(
            [
                m.model,
                Cell.tokens(m.samples),
                _factor(m.input_factor),
                _factor(m.default_factor),
                _factor(m.factor_p5),
                _factor(m.factor_p50),
                _factor(m.factor_p95),
                Cell.tokens(m.output_p50),
                Cell.tokens(m.output_p95),
                Cell(m.output_mean, "count"),
                "yes" if m.written else "no (too few)",
            ]
        )
    prefixes = Table(
        columns=["custom_id prefix", "samples", "output p50", "output p95", "written"],
        title="Output tokens per custom_id prefix",
    )
    for p in r.prefixes:
        prefixes.rows.append(
            [
                p.prefix,
                Cell.tokens(p.samples),
                Cell.tokens(p.output_p50),
                Cell.tokens(p.output_p95),
                "yes" if p.written else "no (too few)",
            ]
        )
    effect = Table(
        columns=[
            "model",
            "requests",
            "prompt",
            "prompt est. before",
            "prompt est. after",
            "output",
            "output est. before",
            "output est. after",
            "batch cost",
            "cost est. before",
            "error before",
            "cost est. after",
            "error after",
        ],
        title="Effect on the estimate of these requests (actual, then estimated before and after; batch prices)",
    )
    for e in r.effect[:-1]:
        effect.rows.append(_effect_row(e))
    effect.footer = _effect_row(r.effect[-1])
    notes = [
        "Before: the default token factors and no output estimate (each request's max_tokens). After: "
        "estimate --calibration with this file. Both are in-sample: the file was learned from these requests.",
        "Estimates use the median output (p50); a workload whose answers sometimes run long costs more "
        "than its median suggests (compare the mean).",
    ]
    return Document(
        title=f"Calibration: {r.joined:,} requests measured",
        facts=facts,
        tables=[models, prefixes, effect],
        notes=notes,
        warnings=list(r.warnings),
        csv=_csv_table(r),
    )


def _csv_table(r: CalibrationReport) -> Table:
    table = Table(
        columns=[
            "scope",
            "name",
            "samples",
            "input_factor",
            "factor_p5",
            "factor_p50",
            "factor_p95",
            "output_p50",
            "output_p95",
            "output_mean",
            "written",
        ]
    )
    for m in r.models:
        table.rows.append(
            [
                "model",
                m.model,
                Cell(m.samples, "count"),
                Cell(m.input_factor, "count"),
                Cell(m.factor_p5, "count"),
                Cell(m.factor_p50, "count"),
                Cell(m.factor_p95, "count"),
                Cell(m.output_p50, "count"),
                Cell(m.output_p95, "count"),
                Cell(m.output_mean, "count"),
                "yes" if m.written else "no",
            ]
        )
    for p in r.prefixes:
        table.rows.append(
            [
                "prefix",
                p.prefix,
                Cell(p.samples, "count"),
                "",
                "",
                "",
                "",
                Cell(p.output_p50, "count"),
                Cell(p.output_p95, "count"),
                "",
                "yes" if p.written else "no",
            ]
        )
    return table
