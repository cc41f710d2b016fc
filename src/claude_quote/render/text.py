"""Documents to text: aligned tables for terminals, Markdown for pull requests, CSV for spreadsheets."""

from __future__ import annotations

import csv
import io
import re
import shutil
import sys
from collections.abc import Iterator

from . import format as fmt
from .document import Chart, Document, Table, cell_text, resolve
from .layout import lay_out, wrap_prose

__all__ = ["PIPE_WIDTH", "mermaid", "terminal_width", "to_csv", "to_markdown", "to_table"]

PIPE_WIDTH = 240
"""Width of tables written to a pipe, a file or a log (prose is not folded there)."""


def terminal_width() -> int | None:
    """Columns of the terminal stdout is, or None when it is a pipe, a file or a log."""
    if not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size((100, 24)).columns


def to_table(doc: Document, *, width: int | None = None, warnings: bool = True) -> str:
    """Plain text with aligned tables, for reading in a terminal or a log.

    ``width`` defaults to the terminal's; in a pipe, a log or a file, tables get 240 columns and prose is
    not folded (one line per sentence, for grep). No number, id or row label is ever cut: a table that
    does not fit is split or shown one record per block (:mod:`claude_quote.render.layout`).
    ``warnings=False`` leaves the warning lines out (``--quiet``).
    """
    from rich.cells import cell_len

    if width is None:
        width = terminal_width()
    fold = width is not None
    width = max(width or PIPE_WIDTH, 20)

    def prose(text: str, indent: int = 0) -> list[str]:
        return wrap_prose(text, width, indent, cell_len) if fold else [text]

    lines = prose(doc.title)
    label_width = max((len(k) for k, _ in doc.facts), default=0)
    for key, value in doc.facts:
        lines += prose(f"  {key.ljust(label_width)}  {value}", indent=label_width + 4)
    notes: list[str] = []
    for table in doc.tables:
        grid = resolve(table)
        notes += grid.notes
        lines.append("")
        lines += lay_out(grid, table.title, width, table.keys, cell_len)
    notes += doc.notes
    shown = doc.warnings if warnings else []
    if notes or shown:
        lines.append("")
    for note in notes:
        lines += prose(note, indent=2)
    for warning in shown:
        lines += warning_lines(warning, width if fold else None)
    return _strip_trailing("\n".join(lines))


def warning_lines(warning: str, width: int | None) -> list[str]:
    """``warning: ...`` as a table shows it: folded to ``width`` columns (its text at 2; a list in it,
    such as the skipped lines: items at 2, their folds at 4), or as it is when ``width`` is None (a
    pipe, a log: one line, for grep)."""
    from rich.cells import cell_len

    first, *items = f"warning: {warning}".split("\n")
    if width is None:
        return [first, *items]
    width = max(width, 20)
    lines = wrap_prose(first, width, 2, cell_len)
    for item in items:
        lines += wrap_prose(item, width, 4, cell_len)
    return lines


def to_markdown(doc: Document) -> str:
    """GitHub-flavoured Markdown: a heading, facts, pipe tables, charts (Mermaid), notes and warnings."""
    lines = [f"### {doc.title}", ""]
    for key, value in doc.facts:
        lines.append(f"- **{key}**: {_md_escape(value)}")
    if doc.facts:
        lines.append("")
    notes: list[str] = []
    for table in doc.tables:
        grid = resolve(table)
        notes += grid.notes
        if table.title:
            lines += [f"**{_md_escape(table.title)}**", ""]
        lines.append("| " + " | ".join(_md_escape(c) for c in grid.columns) + " |")
        lines.append("|" + "|".join("---:" if n else "---" for n in grid.numeric) + "|")
        for row in grid.rows:
            lines.append("| " + " | ".join(_md_escape(c) for c in row) + " |")
        if grid.footer:
            lines.append("| " + " | ".join(f"**{_md_escape(c)}**" if c else "" for c in grid.footer) + " |")
        lines.append("")
    for chart in doc.charts:
        lines += [*mermaid(chart), ""]
    for note in [*notes, *doc.notes]:
        lines += [_md_escape(note), ""]
    for warning in doc.warnings:  # a warning over several lines: a list inside its quote
        first, *more = _md_escape(warning).split("\n")
        lines += [f"> **Warning:** {first}", *(f"> - {item.strip()}" for item in more), ""]
    return "\n".join(lines).rstrip() + "\n"


def mermaid(chart: Chart) -> list[str]:
    """A chart as a Mermaid ``xychart-beta`` block (GitHub draws it in comments and step summaries),
    after its caption in italics for readers who see the source."""
    values = [v for s in chart.series for v in s.values]
    low, high = fmt.axis_range(values)
    lines = [
        f"*{_md_escape(chart.caption)}*",
        "",
        "```mermaid",
        "xychart-beta",
        f"    title {_quoted(chart.title)}",
        "    x-axis [" + ", ".join(_quoted(x) for x in chart.x) + "]",
        f"    y-axis {_quoted(chart.y_label)} {low} --> {high}",
    ]
    for series in chart.series:
        lines.append(f"    {series.kind} [" + ", ".join(fmt.plain(v) for v in series.values) + "]")
    lines.append("```")
    return lines


def _quoted(text: str) -> str:
    """A Mermaid string: double quotes cannot be escaped there, so they become single quotes."""
    return '"' + text.replace('"', "'").replace("\n", " ") + '"'


def csv_header(label: str) -> str:
    """A column label as a CSV header: snake_case words (``batch (actual)`` → ``batch_actual``).

    >>> [csv_header(c) for c in ["API id", "5m cache writes", "error %", "est. prompt", "real time (equivalent)"]]
    ['api_id', '5m_cache_writes', 'error_percent', 'est_prompt', 'real_time_equivalent']
    """
    words = re.sub(r"[^0-9a-z]+", "_", label.lower().replace("%", " percent ")).strip("_")
    return words or "value"


def to_csv(doc: Document) -> str:
    """The document's main table as CSV, with exact (unrounded) numbers and snake_case headers."""
    return "".join(iter_csv(doc))


def iter_csv(doc: Document) -> Iterator[str]:
    """:func:`to_csv` in pieces of many rows (a CSV of a million rows is never whole in memory)."""
    table: Table | None = doc.csv or (doc.tables[0] if doc.tables else None)
    if table is None:
        return
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(csv_header(c) for c in table.columns)
    for count, row in enumerate(table.rows, start=1):
        writer.writerow(cell_text(c, exact=True) for c in row)
        if count % 4096 == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    if table.footer:
        writer.writerow(cell_text(c, exact=True) for c in table.footer)
    yield out.getvalue()


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def _strip_trailing(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n") + "\n"
