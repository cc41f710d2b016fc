"""How ``claude-quote models`` reports look."""

from __future__ import annotations

from typing import Any

from claude_quote.catalog import ModelDetail, ModelList, UncertainFacts
from claude_quote.pricing import ModelInfo, Rates

from .document import Cell, Document, Table
from .json import SCHEMA_VERSION

__all__ = [
    "detail_document",
    "detail_json",
    "list_document",
    "list_json",
    "uncertain_document",
    "uncertain_json",
]


def list_json(report: ModelList) -> dict[str, Any]:
    """Models with the rates in effect on the date."""
    return {"schema_version": SCHEMA_VERSION, "kind": "models", **report.model_dump(mode="python")}


def detail_json(report: ModelDetail) -> dict[str, Any]:
    """One model, all of its data, and the warnings its table shows (the facts flagged UNCERTAIN)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "model",
        **report.model_dump(mode="python"),
        "warnings": _detail_warnings(report),
    }


def _detail_warnings(report: ModelDetail) -> list[str]:
    warnings = [report.lifecycle] if report.lifecycle else []
    return warnings + [f"{field} is UNCERTAIN: {why}" for field, why in report.model.uncertain.items()]


def _rate_cells(rates: Rates | None) -> list[Cell | str]:
    if rates is None:
        return [Cell.rate(None)] * 5
    return [
        Cell.rate(rates.input_per_mtok),
        Cell.rate(rates.output_per_mtok),
        Cell.rate(rates.cache_write_5m_per_mtok),
        Cell.rate(rates.cache_write_1h_per_mtok),
        Cell.rate(rates.cache_read_per_mtok),
    ]


_RATE_COLUMNS = ["input", "output", "5m write", "1h write", "cache read"]


def list_document(report: ModelList) -> Document:
    """The table of models."""
    rows: list[list[Cell | str]] = []
    for m in report.models:
        flag = " *" if m.uncertain else ""
        extra = []
        if m.prices is not None and m.prices.tiers:
            extra.append(f"> {m.prices.tiers[0].above_prompt_tokens // 1000}K prompt tier")
        if not m.batch:
            extra.append("no batch")
        rows.append(
            [
                m.short_name + flag,
                m.id,
                m.status,
                *_rate_cells(m.prices),
                _context(m.context_window),
                ", ".join(extra),
            ]
        )
    table = Table(columns=["model", "API id", "status", *_RATE_COLUMNS, "context", "notes"], rows=rows)
    factor = report.batch_factor
    notes = [
        f"USD per million tokens on {report.at.isoformat()} (table {report.pricing_version}, "
        f"checked {report.pricing_checked.isoformat()}). "
        f"Batch: every rate × {factor}.",
        "* some facts are marked UNCERTAIN in the data: `claude-quote models MODEL` shows which.",
    ]
    return Document(title="Claude models and prices", tables=[table], notes=notes, csv=_list_csv(report))


def _list_csv(report: ModelList) -> Table:
    """The models as data: plain ids and names, exact rates, integer sizes, flags as true/false."""
    rows: list[list[Cell | str]] = []
    for m in report.models:
        tier = m.prices.tiers[0].above_prompt_tokens if m.prices is not None and m.prices.tiers else None
        rows.append(
            [
                m.short_name,
                m.id,
                m.status,
                *_rate_cells(m.prices),
                Cell.tokens(m.context_window),
                Cell.tokens(tier),
                "true" if m.batch else "false",
                "true" if m.uncertain else "false",
            ]
        )
    columns = [
        "model",
        "api_id",
        "status",
        "input_per_mtok",
        "output_per_mtok",
        "cache_write_5m_per_mtok",
        "cache_write_1h_per_mtok",
        "cache_read_per_mtok",
        "context_window",
        "tier_above_prompt_tokens",
        "batch",
        "uncertain",
    ]
    return Table(columns=columns, rows=rows)


def _context(tokens: int | None) -> Cell | str:
    if tokens is None:
        return "-"
    return f"{tokens // 1_000_000}M" if tokens % 1_000_000 == 0 else f"{tokens // 1000}K"


def detail_document(report: ModelDetail) -> Document:
    """One model: facts, price history, fast mode, sources, and what is uncertain."""
    m = report.model
    tables = [_history_table(m)]
    if m.fast_mode:
        tables.append(_fast_mode_table(m))
    notes = [
        f"[{key}] {src.title}" + (f" <{src.url}>" if src.url else "") for key, src in report.sources.items()
    ]
    return Document(
        title=f"{m.name}",
        facts=_detail_facts(report),
        tables=tables,
        notes=notes,
        warnings=_detail_warnings(report),
        csv=_history_csv(m),
    )


def _detail_facts(report: ModelDetail) -> list[tuple[str, str]]:
    """The model's names, its lifecycle, its limits and abilities, when it and the table were checked."""
    m = report.model
    status = f"{report.status} on {report.at.isoformat()}" + (f" ({m.status_note})" if m.status_note else "")
    return [
        ("API id", m.id),
        ("also accepted", ", ".join(n for n in m.names if n != m.id)),
        ("status", status),
        ("released", m.released.isoformat()),
        *_lifecycle_facts(m),
        (
            "context window",
            "unknown" if m.context_window is None else f"{m.context_window:,} tokens",
        ),
        ("max output", "unknown" if m.max_output is None else f"{m.max_output:,} tokens"),
        ("tokenizer", m.tokenizer),
        ("batch", "yes" if m.batch else "no"),
        ("US data residency", "yes" if m.us_data_residency else "no"),
        ("checked", m.checked.isoformat()),
        ("price table", f"{report.pricing_version}, checked {report.pricing_checked.isoformat()}"),
    ]


def _lifecycle_facts(m: ModelInfo) -> list[tuple[str, str]]:
    """Deprecation, retirement and replacement, those the model has."""
    facts: list[tuple[str, str]] = []
    if m.deprecated:
        facts.append(("deprecated", m.deprecated.isoformat()))
    if m.retired:
        facts.append(("retired", m.retired.isoformat()))
    if m.retires_not_before:
        facts.append(("retires no earlier than", m.retires_not_before.isoformat()))
    if m.replacement:
        facts.append(("replacement", m.replacement))
    return facts


def _note(note: str | None, uncertain: str | None) -> str:
    """A price entry's note, then why it is uncertain (if it is)."""
    return " ".join(x for x in (note, f"UNCERTAIN: {uncertain}" if uncertain else None) if x)


def _history_table(m: ModelInfo) -> Table:
    """Each dated price entry, its prompt tiers indented beneath it."""
    table = Table(columns=["from", *_RATE_COLUMNS, "note"], title="Price history (USD per million tokens)")
    for entry in m.prices:
        table.rows.append(
            [entry.effective_from.isoformat(), *_rate_cells(entry), _note(entry.note, entry.uncertain)]
        )
        for tier in entry.tiers:
            table.rows.append(
                [
                    f"  prompt > {tier.above_prompt_tokens:,}",
                    *_rate_cells(tier),
                    "whole request at these rates",
                ]
            )
    return table


def _history_csv(m: ModelInfo) -> Table:
    """The price history as data: one row per entry and per tier (its threshold in its own column)."""
    table = Table(
        columns=[
            "effective_from",
            "tier_above_prompt_tokens",
            "input_per_mtok",
            "output_per_mtok",
            "cache_write_5m_per_mtok",
            "cache_write_1h_per_mtok",
            "cache_read_per_mtok",
            "uncertain",
            "note",
        ]
    )
    for entry in m.prices:
        day, flag = entry.effective_from.isoformat(), "true" if entry.uncertain else "false"
        table.rows.append([day, Cell.tokens(None), *_rate_cells(entry), flag, entry.note or ""])
        for tier in entry.tiers:
            table.rows.append([day, Cell.tokens(tier.above_prompt_tokens), *_rate_cells(tier), flag, ""])
    return table


def _fast_mode_table(m: ModelInfo) -> Table:
    """Fast mode's dated rates, and what happens to its requests once it is withdrawn."""
    table = Table(columns=["from", *_RATE_COLUMNS, "note"], title="Fast mode (not available in batch)")
    for f in m.fast_mode:
        table.rows.append([f.effective_from.isoformat(), *_rate_cells(f), _note(f.note, f.uncertain)])
    if m.fast_mode_removed:
        after = (
            "fast mode withdrawn: requests run and bill at standard rates"
            if m.fast_mode_after_removal == "standard"
            else "fast mode withdrawn: requests are rejected"
        )
        table.rows.append([m.fast_mode_removed.isoformat(), *[""] * 5, after])
    return table


def uncertain_json(report: UncertainFacts) -> dict[str, Any]:
    """Every flagged fact."""
    return {"schema_version": SCHEMA_VERSION, "kind": "uncertain", **report.model_dump(mode="python")}


def uncertain_document(report: UncertainFacts) -> Document:
    """A table of flagged facts."""
    rows: list[list[Cell | str]] = [[f.subject, f.fact, f.why] for f in report.facts]
    return Document(
        title=(
            f"Facts marked UNCERTAIN in price table {report.pricing_version} "
            f"(checked {report.pricing_checked.isoformat()})"
        ),
        tables=[Table(columns=["model", "fact", "why"], rows=rows)],
    )
