"""How ``claude-quote calibrate`` reports look as a document (table, CSV, Markdown): what was learned,
what was written, the effect. Its JSON is :func:`claude_quote.render.calibrate.calibration_json`; this
module (and the document types) is imported only when a document is made."""

from __future__ import annotations

from decimal import Decimal

from claude_quote.calibrate import CalibrationReport, Effect, FitQuality, ModelLearned, PrefixLearned

from . import format as fmt
from .document import Cell, Document, Table

__all__ = ["calibration_document", "default_factors"]


def _factor(value: Decimal | None) -> str:
    return "-" if value is None else f"× {value}"


def _percent(value: Decimal | None) -> str:
    return "-" if value is None else ("+" if value > 0 else "") + fmt.percent(value)


def _error(quality: FitQuality | None) -> str:
    return "-" if quality is None else fmt.percent(quality.mean_abs_error * 100)


def _range(quality: FitQuality | None) -> str:
    if quality is None:
        return "-"
    return f"{_percent(quality.error_p5 * 100)} to {_percent(quality.error_p95 * 100)}"


def default_factors(model: str) -> dict[str, Decimal]:
    """The uncalibrated factor of each class for ``model``'s tokenizer."""
    from claude_quote.pricing import load_pricing
    from claude_quote.tokens.data import load_token_data

    info = next((m for m in load_pricing().models if m.id == model), None)
    tokenizer = info.tokenizer if info is not None else "claude-3"
    return {str(c): f for c, f in load_token_data().tokenizers[tokenizer].factors.items()}


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
    notes = [
        "Before: the default counting model and no output estimate (each request's max_tokens). After: "
        "estimate --calibration with this file. Both are in-sample: the file was learned from these requests.",
        "Estimates use the median output (p50); a workload whose answers sometimes run long costs more "
        "than its median suggests (compare the mean).",
    ]
    return Document(
        title=f"Calibration: {r.joined:,} requests measured",
        facts=_facts(r),
        tables=[_models_table(r), _classes_table(r), _outputs_table(r), _effect_table(r)],
        notes=notes,
        warnings=list(r.warnings),
        csv=_csv_table(r),
    )


def _facts(r: CalibrationReport) -> list[tuple[str, str]]:
    """The files read, what was joined, the minimum, what was written, the prices."""
    counts = f"{r.results:,} result lines"
    if r.not_succeeded:
        counts += " (" + ", ".join(f"{n:,} {kind}" for kind, n in r.not_succeeded.items()) + ")"
    return [
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


def _written(written: bool) -> str:
    return "yes" if written else "no (too few)"


def _models_table(r: CalibrationReport) -> Table:
    """Per model: the fitted prompt model and its error, beside the uncalibrated one."""
    table = Table(
        columns=[
            "model",
            "samples",
            "fixed part",
            "default",
            "error",
            "90% of requests",
            "R²",
            "uncalibrated",
            "written",
        ],
        title="Learned per model (prompt = fixed part + Σ class factor × tiktoken tokens; errors per request, in-sample)",
    )
    for m in r.models:
        table.rows.append(
            [
                m.model,
                Cell.tokens(m.samples),
                Cell(None if m.request_tokens is None else round(m.request_tokens, 1), "count"),
                Cell(round(m.default_request_tokens, 1), "count"),
                Cell.percent(None if m.fitted is None else m.fitted.mean_abs_error * 100),
                _range(m.fitted),
                Cell(None if m.fitted is None else m.fitted.r2, "text"),
                Cell.percent(None if m.uncalibrated is None else m.uncalibrated.mean_abs_error * 100),
                _written(m.written),
            ]
        )
    return table


def _classes_table(r: CalibrationReport) -> Table:
    """Per model and content class: its share of the tokens, the default and the learned factor."""
    table = Table(
        columns=["model", "content class", "share of tokens", "default factor", "learned factor"],
        title="Content classes (factor: Claude tokens per tiktoken token; classes under 1% keep the default)",
    )
    for m in r.models:
        defaults = default_factors(m.model)
        for cls, share in m.class_shares.items():
            learned = m.factors.get(cls)
            table.rows.append(
                [m.model, cls, Cell.percent(share * 100), f"× {defaults[cls]}", _factor(learned)]
            )
    return table


def _outputs_table(r: CalibrationReport) -> Table:
    """Output lengths per model, then per custom_id prefix."""
    table = Table(
        columns=[
            "model or custom_id prefix",
            "samples",
            "output p50",
            "output p95",
            "output mean",
            "written",
        ],
        title="Output tokens per model and custom_id prefix",
    )
    for m in r.models:
        table.rows.append(
            [
                m.model,
                Cell.tokens(m.samples),
                Cell.tokens(m.output_p50),
                Cell.tokens(m.output_p95),
                Cell(m.output_mean, "count"),
                _written(m.written),
            ]
        )
    for p in r.prefixes:
        table.rows.append(
            [
                f"{p.prefix} (prefix)",
                Cell.tokens(p.samples),
                Cell.tokens(p.output_p50),
                Cell.tokens(p.output_p95),
                "",
                _written(p.written),
            ]
        )
    return table


def _effect_table(r: CalibrationReport) -> Table:
    """Actual tokens and cost per model beside the estimates before and after; the total as footer."""
    table = Table(
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
        table.rows.append(_effect_row(e))
    table.footer = _effect_row(r.effect[-1])
    return table


_CSV_COLUMNS = [
    "scope",
    "name",
    "samples",
    "request_tokens",
    "factors",
    "mean_abs_error",
    "error_p5",
    "error_p95",
    "r2",
    "uncalibrated_mean_abs_error",
    "output_p50",
    "output_p95",
    "output_mean",
    "written",
]


def _csv_table(r: CalibrationReport) -> Table:
    """One row per model (the fit and the outputs), then one per custom_id prefix (the outputs)."""
    table = Table(columns=list(_CSV_COLUMNS))
    table.rows.extend(_model_csv_row(m) for m in r.models)
    table.rows.extend(_prefix_csv_row(p) for p in r.prefixes)
    return table


def _model_csv_row(m: ModelLearned) -> list[Cell | str]:
    fitted = m.fitted
    return [
        "model",
        m.model,
        Cell(m.samples, "count"),
        Cell(m.request_tokens, "count"),
        ";".join(f"{cls}={value}" for cls, value in m.factors.items()),
        Cell(None if fitted is None else fitted.mean_abs_error, "count"),
        Cell(None if fitted is None else fitted.error_p5, "count"),
        Cell(None if fitted is None else fitted.error_p95, "count"),
        Cell(None if fitted is None else fitted.r2, "count"),
        Cell(None if m.uncalibrated is None else m.uncalibrated.mean_abs_error, "count"),
        Cell(m.output_p50, "count"),
        Cell(m.output_p95, "count"),
        Cell(m.output_mean, "count"),
        "yes" if m.written else "no",
    ]


def _prefix_csv_row(p: PrefixLearned) -> list[Cell | str]:
    return [
        "prefix",
        p.prefix,
        Cell(p.samples, "count"),
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        Cell(p.output_p50, "count"),
        Cell(p.output_p95, "count"),
        "",
        "yes" if p.written else "no",
    ]
