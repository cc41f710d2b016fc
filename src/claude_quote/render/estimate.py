"""How an :class:`~claude_quote.estimate.Estimate` looks in every format."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from claude_quote.cost import Savings
from claude_quote.estimate import (
    CacheBands,
    Estimate,
    GroupEstimate,
    ModelEstimate,
    Priced,
    TokenBand,
    WorstCase,
)
from claude_quote.sampling import Extrapolation, SampleEstimate
from claude_quote.tokens.correction import TokenMethod

from . import format as fmt
from .document import Cell, Document, Table
from .json import SCHEMA_VERSION
from .quote import cost_json

__all__ = ["estimate_document", "estimate_json"]


def _savings_json(savings: Savings | None) -> dict[str, Any] | None:
    return None if savings is None else {"amount": savings.amount, "percent": savings.percent}


def _method_json(method: TokenMethod) -> dict[str, Any]:
    return method.model_dump(mode="python")


def _priced_json(part: Priced) -> dict[str, Any]:
    return {
        "usage": part.usage,
        "realtime": cost_json(part.realtime),
        "batch": cost_json(part.batch),
        "savings": _savings_json(part.savings),
    }


def _worst_json(worst: WorstCase) -> dict[str, Any]:
    return {"output_tokens": worst.output_tokens, **_priced_json(worst)}


def estimate_json(e: Estimate) -> dict[str, Any]:
    """The JSON contract of ``estimate`` (ARCHITECTURE.md): exact decimal strings, stable keys."""
    out: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "kind": "estimate",
        "pricing_version": e.pricing_version,
        "pricing_sha256": e.pricing_sha256,
        "pricing_checked": e.pricing_checked,
        "at": e.at,
        "files": list(e.files),
        "requests": e.requests,
        "skipped": e.skipped,
        "skipped_lines": [line.model_dump() for line in e.skipped_lines],
        "input_tokens": e.input_tokens,
        "output_tokens": e.output_tokens,
        "token_method": _method_json(e.token_method),
        "output_method": e.output_method,
        **_priced_json(e),
        "worst_case": _worst_json(e.worst_case),
        "token_band": _band_json(e.token_band),
        "cache_bands": None if e.cache_bands is None else _cache_bands_json(e.cache_bands),
        "by_model": [_model_json(m) for m in e.by_model],
    }
    if e.groups is not None:
        out["groups"] = [_group_json(g) for g in e.groups]
    out["sample"] = None if e.sample is None else _sample_json(e.sample)
    out["warnings"] = list(e.warnings)
    return out


def _model_json(m: ModelEstimate) -> dict[str, Any]:
    return {
        "model": m.model,
        "model_name": m.model_name,
        "requests": m.requests,
        "input_tokens": m.usage.prompt_tokens,
        "output_tokens": m.usage.output_tokens,
        "token_method": _method_json(m.token_method),
        "output_method": m.output_method,
        **_priced_json(m),
        "worst_case": _worst_json(m.worst_case),
        "runs_as": [
            {"geo": r.geo, "speed": r.speed, "requests": r.requests, "usage": r.usage} for r in m.runs_as
        ],
    }


def _group_json(g: GroupEstimate) -> dict[str, Any]:
    return {
        "prefix": g.prefix,
        "requests": g.requests,
        "models": list(g.models),
        "input_tokens": g.usage.prompt_tokens,
        "output_tokens": g.usage.output_tokens,
        **_priced_json(g),
        "worst_case": _worst_json(g.worst_case),
    }


def _cache_bands_json(cache_bands: CacheBands) -> dict[str, Any]:
    return {
        "hit_rate": cache_bands.hit_rate,
        "bands": {b.name: {"description": b.description, **_priced_json(b)} for b in cache_bands.bands},
    }


def _band_json(band: TokenBand | None) -> dict[str, Any] | None:
    """The range from the token counts' error: low/high beside the point estimate (None: unknown)."""
    if band is None:
        return None
    return {
        "interval": band.interval,
        "estimated_input_tokens": band.estimated_input_tokens,
        "input_tokens": {"low": band.input_tokens_low, "high": band.input_tokens_high},
        "realtime": {"low": band.realtime_low, "high": band.realtime_high},
        "batch": None if band.batch_low is None else {"low": band.batch_low, "high": band.batch_high},
        "description": band.description,
    }


def _band_rows(e: Estimate) -> list[list[Cell | str]]:
    """The summary table's rows for the token band (none when it is unknown)."""
    band = e.token_band
    if band is None:
        return []
    return [
        [
            f"token band {bound}",
            Cell.tokens(e.requests),
            Cell.tokens(getattr(band, f"input_tokens_{bound}")),
            Cell.tokens(e.output_tokens),
            Cell.usd(getattr(band, f"realtime_{bound}")),
            Cell.usd(getattr(band, f"batch_{bound}")),
            "",
            "",
        ]
        for bound in ("low", "high")
    ]


def _extrapolation_json(x: Extrapolation | None) -> dict[str, Any] | None:
    if x is None:
        return None
    return {"estimate": x.estimate, "low": x.low, "high": x.high, "standard_error": x.standard_error}


def _sample_json(sample: SampleEstimate) -> dict[str, Any]:
    return {
        "size": sample.size,
        "population": sample.population,
        "seed": sample.seed,
        "method": sample.method,
        "confidence": sample.confidence,
        "realtime": _extrapolation_json(sample.realtime),
        "batch": _extrapolation_json(sample.batch),
        "worst_case": {
            "realtime": _extrapolation_json(sample.worst_realtime),
            "batch": _extrapolation_json(sample.worst_batch),
        },
    }


_SAMPLE_ROWS = (
    ("expected real-time", "realtime"),
    ("expected batch", "batch"),
    ("worst case real-time", "worst_realtime"),
    ("worst case batch", "worst_batch"),
)


def _sample_table(sample: SampleEstimate) -> Table:
    table = Table(
        columns=["", "estimate", "95% low", "95% high", "standard error"],
        title=f"Whole input ({sample.population:,} requests), extrapolated from the sample (USD)",
    )
    for label, name in _SAMPLE_ROWS:
        x: Extrapolation | None = getattr(sample, name)
        if x is None:
            table.rows.append([label, Cell.usd(None), Cell.usd(None), Cell.usd(None), Cell.usd(None)])
        else:
            table.rows.append(
                [label, Cell.usd(x.estimate), Cell.usd(x.low), Cell.usd(x.high), Cell.usd(x.standard_error)]
            )
    return table


def _usd(part: Priced, which: str) -> Cell | str:
    cost = part.realtime if which == "realtime" else part.batch
    return Cell.usd(None if cost is None else cost.total)


def _saving(part: Priced) -> list[Cell | str]:
    if part.savings is None:
        return [Cell.usd(None), Cell.percent(None)]
    return [Cell.usd(part.savings.amount), Cell.percent(part.savings.percent)]


def _breakdown_row(label: str, part: ModelEstimate | GroupEstimate) -> list[Cell | str]:
    """A by-model or by-prefix row: requests, tokens, expected and worst-case cost in both modes."""
    return [
        label,
        Cell.tokens(part.requests),
        Cell.tokens(part.usage.prompt_tokens),
        Cell.tokens(part.usage.output_tokens),
        _usd(part, "realtime"),
        _usd(part, "batch"),
        _usd(part.worst_case, "realtime"),
        _usd(part.worst_case, "batch"),
    ]


def _summary_row(label: str, requests: int, part: Priced) -> list[Cell | str]:
    return [
        label,
        Cell.tokens(requests),
        Cell.tokens(part.usage.prompt_tokens),
        Cell.tokens(part.usage.output_tokens),
        _usd(part, "realtime"),
        _usd(part, "batch"),
        *_saving(part),
    ]


_SUMMARY = ["", "requests", "input tokens", "output tokens", "real-time", "batch", "batch saves", "saves %"]


def estimate_document(e: Estimate) -> Document:
    """The human-readable estimate."""
    tables = [*_summary_tables(e), _models_table(e)]
    if e.groups is not None:
        tables.append(_groups_table(e.groups))
    if e.cache_bands is not None:
        tables.append(_cache_bands_table(e.cache_bands))
    tables.append(_lines_table(e))
    return Document(
        title=_title(e),
        facts=_facts(e),
        tables=tables,
        notes=_notes(e),
        warnings=list(e.warnings),
        csv=_csv_table(e),
    )


def _title(e: Estimate) -> str:
    if e.sample is not None:
        return f"Estimate: a sample of {e.sample.size:,} of {e.sample.population:,} requests"
    return f"Estimate: {e.requests:,} request{'s' if e.requests != 1 else ''}"


def _files_text(files: Sequence[str]) -> str:
    """The input files, the first three by name."""
    if len(files) <= 3:
        return ", ".join(files)
    return f"{', '.join(files[:3])} and {len(files) - 3:,} more"


def _facts(e: Estimate) -> list[tuple[str, str]]:
    """The lines above the tables: the inputs, the prices, how tokens and output were counted."""
    facts = [
        ("files", _files_text(e.files)),
        (
            "prices",
            f"as of {e.at.isoformat()}, table {e.pricing_version}, checked {e.pricing_checked.isoformat()}",
        ),
        ("token counts", e.token_method.description),
        ("expected output", e.output_method),
    ]
    if e.skipped:
        facts.append(("skipped", f"{e.skipped:,} invalid lines or rows"))
    if e.sample is not None:
        facts.append(
            (
                "sample",
                f"{e.sample.size:,} of {e.sample.population:,} requests, seed {e.sample.seed} "
                "(reservoir sampling); the tables below the first are the sample's own",
            )
        )
    return facts


def _summary_tables(e: Estimate) -> list[Table]:
    """The totals: expected, the token band, the worst case (after the extrapolation of a sample)."""
    summary = Table(
        columns=_SUMMARY, title="Estimate (USD)" if e.sample is None else "The sample's estimate (USD)"
    )
    summary.rows.append(_summary_row("expected", e.requests, e))
    summary.rows.extend(_band_rows(e))
    summary.rows.append(_summary_row("worst case", e.requests, e.worst_case))
    return [summary] if e.sample is None else [_sample_table(e.sample), summary]


_BREAKDOWN = [
    "requests",
    "input tokens",
    "output tokens",
    "real-time",
    "batch",
    "worst real-time",
    "worst batch",
]


def _models_table(e: Estimate) -> Table:
    models = Table(
        columns=["model", *_BREAKDOWN, "token factor"],
        title="By model (expected, then worst case)",
    )
    for m in e.by_model:
        models.rows.append([*_breakdown_row(m.model, m), _factor_text(m.token_method)])
    return models


def _groups_table(groups: Sequence[GroupEstimate]) -> Table:
    table = Table(columns=["custom_id prefix", *_BREAKDOWN], title="By custom_id prefix")
    table.rows.extend(_breakdown_row(g.prefix, g) for g in groups)
    return table


def _cache_bands_table(cache_bands: CacheBands) -> Table:
    table = Table(
        columns=["cache band", "uncached input", "cache writes", "cache reads", "real-time", "batch"],
        title=f"Prompt caching bands (expected band: {fmt.percent(cache_bands.hit_rate * 100)} of possible reads hit)",
    )
    for band in cache_bands.bands:
        usage = band.usage
        table.rows.append(
            [
                band.name,
                Cell.tokens(usage.input_tokens),
                Cell.tokens(usage.cache_write_tokens),
                Cell.tokens(usage.cache_read_tokens),
                _usd(band, "realtime"),
                _usd(band, "batch"),
            ]
        )
    return table


def _notes(e: Estimate) -> list[str]:
    """What the figures assume: batch savings, the worst case, caching, token counts, sampling."""
    notes: list[str] = []
    if e.savings is not None and e.worst_case.savings is not None:
        expected, worst = fmt.usd_all([e.savings.amount, e.worst_case.savings.amount])
        notes.append(
            f"Batch saves {expected} ({fmt.percent(e.savings.percent)}) expected, {worst} in the worst case."
        )
    notes.append(
        "Worst case: every request writes its max_tokens of output and reads nothing from the cache."
    )
    if e.cache_bands is not None:
        notes.append(
            "Caching: requests in one batch run in parallel and often miss each other's cache writes "
            "(Anthropic: typically 30% to 98% hits); the expected band assumes the hit rate above "
            "(--cache-hit-rate), the best band every possible hit."
        )
    notes.extend(_token_notes(e))
    if e.sample is not None:
        notes.append(
            "Extrapolated: total = requests in the input × the sample's mean cost per request; the 95% "
            "interval is ± 1.96 standard errors (with the finite population correction), rounded to "
            "$0.000001 (see docs/workloads.md)."
        )
    return notes


def _token_notes(e: Estimate) -> list[str]:
    """How the token counts were made, and what the token band means (or that it is unknown)."""
    notes = [
        f"Token counts: {e.token_method.description}. Claude's tokenizer is not public: counts are estimates."
    ]
    if e.token_band is not None and e.token_band.estimated_input_tokens:
        notes.append(
            f"Token band: the expected cost if every estimated count errs as far as "
            f"{fmt.percent(e.token_band.interval * 100)} of measured requests did, either way "
            "(docs/tokens.md); output and exact counts are taken as they are."
        )
    elif e.token_band is None:
        notes.append("Token band: unknown (the factor was given by the user and was never measured).")
    return notes


def _factor_text(method: TokenMethod) -> str:
    if method.factor is None:
        if method.factors is not None:
            return "by class" + (" (calibrated)" if method.calibrated else "")
        return "exact (count_tokens)" if method.method == "exact" else method.method
    return f"× {method.factor}" + (" (calibrated)" if method.calibrated else "")


def _lines_table(e: Estimate) -> Table:
    """Expected cost line by line; a real-time line and its batch twin share a position (same order).
    With more than one model, each model's lines, each named with its model (two models' input
    lines at different rates would read alike); one column, so a table split to fit keeps both."""
    batch = e.batch if e.batch is not None and len(e.batch.lines) == len(e.realtime.lines) else None
    parts: list[tuple[str, Priced]] = [("", e)]
    if len(e.by_model) > 1 and all(_twins(m) or batch is None for m in e.by_model):
        parts = [(f"{m.model} ", m) for m in e.by_model]
    columns = ["expected line", "quantity", "real-time rate", "real-time cost"]
    if batch is not None:
        columns += ["batch rate", "batch cost"]
    table = Table(columns=columns, title="Expected cost by line (rates in USD per million tokens)")
    for model, part in parts:
        for i, line in enumerate(part.realtime.lines):
            row: list[Cell | str] = [
                model + line.label,
                Cell.tokens(line.quantity),
                Cell.rate(line.rate),
                Cell.usd(line.amount),
            ]
            if batch is not None and part.batch is not None:
                row += [Cell.rate(part.batch.lines[i].rate), Cell.usd(part.batch.lines[i].amount)]
            table.rows.append(row)
    table.footer = ["total", "", "", Cell.usd(e.realtime.total)]
    if batch is not None:
        table.footer += ["", Cell.usd(batch.total)]
    return table


def _twins(part: Priced) -> bool:
    """Whether ``part`` has a batch line for each real-time line, in the same order."""
    return part.batch is not None and len(part.batch.lines) == len(part.realtime.lines)


def _csv_row(scope: str, name: str, requests: int, part: Priced, worst: WorstCase | None) -> list[Cell | str]:
    if worst is None:
        worst_cells: list[Cell | str] = ["", "", ""]
    else:
        worst_cells = [
            Cell(worst.output_tokens, "count"),
            Cell.usd(worst.realtime.total),
            Cell.usd(None if worst.batch is None else worst.batch.total),
        ]
    return [
        scope,
        name,
        Cell(requests, "count"),
        Cell(part.usage.prompt_tokens, "count"),
        Cell(part.usage.output_tokens, "count"),
        Cell.usd(part.realtime.total),
        Cell.usd(None if part.batch is None else part.batch.total),
        Cell.usd(None if part.savings is None else part.savings.amount),
        *worst_cells,
    ]


_CSV_COLUMNS = [
    "scope",
    "name",
    "requests",
    "input_tokens",
    "output_tokens",
    "realtime",
    "batch",
    "savings",
    "worst_output_tokens",
    "worst_realtime",
    "worst_batch",
]


def _csv_table(e: Estimate) -> Table:
    """One row per total, model, prefix, token band bound, cache band and extrapolated bound."""
    table = Table(columns=list(_CSV_COLUMNS))
    table.rows.append(_csv_row("total", "", e.requests, e, e.worst_case))
    for m in e.by_model:
        table.rows.append(_csv_row("model", m.model, m.requests, m, m.worst_case))
    for g in e.groups or ():
        table.rows.append(_csv_row("prefix", g.prefix, g.requests, g, g.worst_case))
    if e.token_band is not None:
        table.rows.extend(_band_csv_rows(e, e.token_band))
    if e.cache_bands is not None:
        for band in e.cache_bands.bands:
            table.rows.append(_csv_row("cache_band", band.name, e.requests, band, None))
    if e.sample is not None:
        table.rows.extend(_sample_csv_rows(e.sample))
    return table


def _band_csv_rows(e: Estimate, band: TokenBand) -> list[list[Cell | str]]:
    """The token band's low and high rows: the whole input at the band's bounds."""
    return [
        [
            "token_band",
            bound,
            Cell(e.requests, "count"),
            Cell(getattr(band, f"input_tokens_{bound}"), "count"),
            Cell(e.output_tokens, "count"),
            Cell.usd(getattr(band, f"realtime_{bound}")),
            Cell.usd(getattr(band, f"batch_{bound}")),
            "",
            "",
            "",
            "",
        ]
        for bound in ("low", "high")
    ]


def _extrapolated(x: Extrapolation | None, bound: str) -> Cell:
    return Cell.usd(None if x is None else getattr(x, bound))


def _sample_csv_rows(sample: SampleEstimate) -> list[list[Cell | str]]:
    """The extrapolation from a sample: the estimate and its 95% bounds."""
    return [
        [
            "extrapolated",
            bound,
            Cell(sample.population, "count"),
            "",
            "",
            _extrapolated(sample.realtime, bound),
            _extrapolated(sample.batch, bound),
            "",
            "",
            _extrapolated(sample.worst_realtime, bound),
            _extrapolated(sample.worst_batch, bound),
        ]
        for bound in ("estimate", "low", "high")
    ]
