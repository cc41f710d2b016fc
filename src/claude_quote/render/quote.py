"""How a :class:`~claude_quote.cost.Quote` looks in every format."""

from __future__ import annotations

from typing import Any

from claude_quote.cost import Cost, CostLine, Quote

from . import format as fmt
from .document import Cell, Document, Table
from .json import SCHEMA_VERSION

__all__ = ["cost_json", "line_json", "quote_document", "quote_json"]


def line_json(line: CostLine) -> dict[str, Any]:
    """A line item as the JSON contract spells it."""
    if line.kind == "web_search":
        out: dict[str, Any] = {
            "kind": line.kind,
            "searches": line.quantity,
            "rate_per_thousand": line.rate,
            "amount": line.amount,
        }
    else:
        out = {
            "kind": line.kind,
            "tokens": line.quantity,
            "rate_per_mtok": line.rate,
            "amount": line.amount,
        }
    if line.tier:
        out["tier"] = line.tier
        out["above_prompt_tokens"] = line.above_prompt_tokens
    return out


def cost_json(cost: Cost | None) -> dict[str, Any] | None:
    """``{"total": ..., "lines": [...]}`` or None."""
    if cost is None:
        return None
    return {"total": cost.total, "lines": [line_json(line) for line in cost.lines]}


def quote_json(q: Quote) -> dict[str, Any]:
    """The JSON contract of ``price``."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "quote",
        "pricing_version": q.pricing_version,
        "pricing_sha256": q.pricing_sha256,
        "pricing_checked": q.pricing_checked,
        "model": q.model,
        "model_name": q.model_name,
        "at": q.at,
        "price_effective_from": q.price_effective_from,
        "requests": q.requests,
        "geo": q.geo,
        "fast": q.fast,
        "token_method": "given",
        "usage": q.usage,
        "realtime": cost_json(q.realtime),
        "batch": cost_json(q.batch),
        "savings": None if q.savings is None else {"amount": q.savings.amount, "percent": q.savings.percent},
        "warnings": list(q.warnings),
    }


def cost_rows(realtime: Cost, batch: Cost | None) -> tuple[list[list[Cell | str]], list[Cell | str]]:
    """Rows pairing each real-time line with its batch line, and the totals row."""
    batch_lines = {(ln.kind, ln.tier): ln for ln in (batch.lines if batch else ())}
    rows: list[list[Cell | str]] = []
    for line in realtime.lines:
        row: list[Cell | str] = [
            line.label,
            Cell.tokens(line.quantity),
            _rate(line),
            Cell.usd(line.amount),
        ]
        if batch is not None:
            twin = batch_lines.get((line.kind, line.tier))
            row += [_rate(twin) if twin else "", Cell.usd(twin.amount if twin else None)]
        rows.append(row)
    footer: list[Cell | str] = ["total", "", "", Cell.usd(realtime.total)]
    if batch is not None:
        footer += ["", Cell.usd(batch.total)]
    return rows, footer


def _rate(line: CostLine) -> Cell:
    return Cell.rate(line.rate)


def cost_columns(batch: bool) -> list[str]:
    """Column headings of a real-time (and batch) cost table."""
    cols = ["", "quantity", "real-time rate", "real-time cost"]
    return [*cols, "batch rate", "batch cost"] if batch else cols


def quote_document(q: Quote) -> Document:
    """The human-readable quote."""
    facts = [
        ("model", f"{q.model} ({q.model_name})"),
        (
            "prices",
            f"as of {q.at.isoformat()} (rates effective {q.price_effective_from.isoformat()}), "
            f"table {q.pricing_version}, checked {q.pricing_checked.isoformat()}",
        ),
    ]
    if q.requests is not None:
        facts.append(("requests", fmt.tokens(q.requests)))
    options = []
    if q.geo == "us":
        options.append("US data residency (inference_geo us)")
    if q.fast:
        options.append("fast mode")
    if options:
        facts.append(("options", ", ".join(options)))
    rows, footer = cost_rows(q.realtime, q.batch)
    table = Table(columns=cost_columns(q.batch is not None), rows=rows, footer=footer)
    notes = ["Rates are USD per million tokens (web search: per thousand searches)."]
    if q.savings is not None:
        notes.insert(0, f"Batch saves {fmt.usd(q.savings.amount)} ({fmt.percent(q.savings.percent)}).")
    csv_table = _csv_table(q)
    return Document(
        title=f"{q.model_name}: real-time vs batch",
        facts=facts,
        tables=[table],
        notes=notes,
        warnings=list(q.warnings),
        csv=csv_table,
    )


def _csv_table(q: Quote) -> Table:
    rows: list[list[Cell | str]] = []
    for cost in (q.realtime, q.batch):
        if cost is None:
            continue
        for line in cost.lines:
            unit = "searches" if line.kind == "web_search" else "tokens"
            per = "per_thousand" if line.kind == "web_search" else "per_mtok"
            rows.append(
                [
                    cost.mode,
                    line.kind,
                    Cell(line.above_prompt_tokens, "count"),
                    Cell(line.quantity, "count"),
                    unit,
                    Cell.rate(line.rate),
                    per,
                    Cell.usd(line.amount),
                ]
            )
        rows.append([cost.mode, "total", "", "", "", "", "", Cell.usd(cost.total)])
    # tier_above_prompt_tokens: the tier's threshold (each request's prompt was above it); empty: base rates
    columns = ["mode", "kind", "tier_above_prompt_tokens", "quantity", "unit", "rate", "rate_unit", "amount"]
    return Table(columns=columns, rows=rows)
