"""How a :class:`~claude_quote.plan.Plan` looks: problems first (file:line, code, message), then the split."""

from __future__ import annotations

from typing import Any

from claude_quote.money import decimal_str
from claude_quote.plan import Plan

from .document import Cell, Document, Table
from .json import SCHEMA_VERSION

__all__ = ["plan_document", "plan_json"]


_ENDS = {
    "end_of_file": "end of file",
    "max_requests": "request limit",
    "max_bytes": "byte limit",
    "custom_id_duplicate": "custom_id repeats",
    "line_too_large": "line too large",
}


def _n(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count:,} {singular if count == 1 else (plural or singular + 's')}"


def plan_json(p: Plan) -> dict[str, Any]:
    """The JSON contract of ``plan``: every problem, every part, counts by code and severity."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "plan",
        "pricing_version": p.pricing_version,
        "pricing_sha256": p.pricing_sha256,
        "pricing_checked": p.pricing_checked,
        "at": p.at,
        "file": p.file,
        "requests": p.requests,
        "bytes": p.bytes,
        "skipped": p.skipped,
        "custom_ids": p.custom_ids,
        "source_sha256": p.source_sha256,
        "lines_sha256": p.lines_sha256,
        "limits": {"max_requests": p.max_requests, "max_bytes": p.max_bytes, "bytes_of": "request_body"},
        "betas": list(p.betas),
        "token_method": p.token_method,
        "margin": p.margin,
        "problems": [problem.model_dump(mode="python") for problem in p.problems],
        "parts": [part.model_dump(mode="python") for part in p.parts],
        "summary": {
            "errors": p.errors,
            "warnings": p.warning_count,
            "by_code": [
                {"code": code, "severity": severity, "count": count} for code, severity, count in p.summary()
            ],
        },
        "split": None if p.split is None else p.split.model_dump(mode="python"),
        "warnings": list(p.warnings),
    }


def _title(p: Plan) -> str:
    batches = _n(len(p.parts), "batch", "batches")
    return f"Plan: {_n(p.requests, 'request')} in {batches}; {_n(p.errors, 'error')}, {_n(p.warning_count, 'warning')}"


def plan_document(p: Plan) -> Document:
    """Facts, the problems (one row each), the split plan, and what the exit code will be."""
    tables = [_problems_table(p)] if p.problems else []
    tables.append(_parts_table(p))
    return Document(
        title=_title(p),
        facts=_facts(p),
        tables=tables,
        notes=_notes(p),
        warnings=list(p.warnings),
        csv=_problems_csv(p),
    )


def _facts(p: Plan) -> list[tuple[str, str]]:
    """The file and what was read from it, the models' date, how tokens were counted, the limits."""
    read = f"{_n(p.requests, 'request')}, {p.bytes:,} bytes"
    if p.skipped:
        read += f"; {_n(p.skipped, 'invalid line')}, written to no part"
    facts = [
        ("file", p.file),
        ("read", read),
        (
            "models as of",
            f"{p.at.isoformat()}, table {p.pricing_version}, checked {p.pricing_checked.isoformat()}",
        ),
        ("token counts", p.token_method),
        ("batch limits", f"{p.max_requests:,} requests, {p.max_bytes:,} bytes of request body"),
    ]
    if p.betas:
        facts.append(("betas", ", ".join(p.betas)))
    return facts


def _problems_table(p: Plan) -> Table:
    table = Table(columns=["where", "severity", "code", "custom_id", "problem"], title="Problems")
    for problem in p.problems:
        table.rows.append(
            [
                f"{p.file}:{problem.line}",
                problem.severity,
                problem.code,
                problem.custom_id or "",
                problem.message,
            ]
        )
    return table


def _parts_table(p: Plan) -> Table:
    """One row per part: its lines, size, why it ends there, its models."""
    title = "Split plan" if p.split is None else f"Parts written to {p.split.directory}"
    table = Table(
        columns=["part", "file", "lines", "requests", "bytes", "ends because", "models"], title=title
    )
    for part in p.parts:
        table.rows.append(
            [
                Cell(part.index, "count"),
                part.file,
                f"{part.first_line:,}-{part.last_line:,}"
                if part.first_line != part.last_line
                else f"{part.first_line:,}",
                Cell.tokens(part.requests),
                Cell.tokens(part.bytes),
                _ENDS[part.ended_by],
                ", ".join(part.models) + (" (over the byte limit)" if part.over_limit else ""),
            ]
        )
    return table


def _notes(p: Plan) -> list[str]:
    """The errors' consequence, what the token checks mean, what was written and verified."""
    notes: list[str] = []
    if p.errors:
        notes.append(
            f"{_n(p.errors, 'error')}: the API would reject these requests (or the batch); "
            "fix them before you submit (exit code 2)."
        )
    percent = decimal_str(p.margin * 100)
    notes.append(
        f"Token counts are estimates: a request is an error only when its estimate is over the context "
        f"window, and a warning within {percent}% of it or of a price tier."
    )
    if p.split is not None:
        s = p.split
        notes.append(
            f"Wrote {_n(len(s.files), 'part')} and manifest.json to {s.directory}, and read them back: "
            f"{_n(s.requests, 'line')} and {_n(s.custom_ids, 'custom_id')}, every request line of the source "
            f"once and in order (sha256 {s.lines_sha256})."
        )
    return notes


def _problems_csv(p: Plan) -> Table:
    table = Table(columns=["file", "line", "custom_id", "severity", "code", "message"])
    for problem in p.problems:
        table.rows.append(
            [
                p.file,
                Cell(problem.line, "count"),
                problem.custom_id or "",
                problem.severity,
                problem.code,
                problem.message,
            ]
        )
    return table
