"""Documents to text: a rich table for terminals, Markdown for pull requests, CSV for spreadsheets."""

from __future__ import annotations

import csv
import io
import shutil
import sys

from .document import Document, Table, cell_text

__all__ = ["to_csv", "to_markdown", "to_table"]


def to_table(doc: Document, *, width: int | None = None) -> str:
    """Plain text with aligned tables (rich, no colour), for reading in a terminal or a log."""
    from rich import box
    from rich.console import Console
    from rich.table import Table as RichTable

    if width is None:
        # On a terminal, fit it; in a pipe, a log or a file, never cut a value short.
        width = shutil.get_terminal_size((100, 24)).columns if sys.stdout.isatty() else 240
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, highlight=False, soft_wrap=True)
    console.print(doc.title, markup=False)
    label_width = max((len(k) for k, _ in doc.facts), default=0)
    for key, value in doc.facts:
        console.print(f"  {key.ljust(label_width)}  {value}", markup=False)
    for table in doc.tables:
        console.print()
        rich = RichTable(
            box=box.SIMPLE_HEAD,
            title=table.title,
            title_justify="left",
            show_edge=False,
            pad_edge=False,
        )
        for i, column in enumerate(table.columns):
            numeric = table.numeric(i)
            rich.add_column(column, justify="right" if numeric else "left", no_wrap=numeric, overflow="fold")
        for row in table.rows:
            rich.add_row(*(cell_text(c) for c in row))
        if table.footer:
            rich.add_section()
            rich.add_row(*(cell_text(c) for c in table.footer))
        console.print(rich)
    if doc.notes or doc.warnings:
        console.print()
    for note in doc.notes:
        console.print(note, markup=False)
    for warning in doc.warnings:
        console.print(f"warning: {warning}", markup=False)
    return _strip_trailing(out.getvalue())


def to_markdown(doc: Document) -> str:
    """GitHub-flavoured Markdown: a heading, facts, pipe tables, notes and quoted warnings."""
    lines = [f"### {doc.title}", ""]
    for key, value in doc.facts:
        lines.append(f"- **{key}**: {_md_escape(value)}")
    if doc.facts:
        lines.append("")
    for table in doc.tables:
        if table.title:
            lines += [f"**{_md_escape(table.title)}**", ""]
        lines.append("| " + " | ".join(_md_escape(c) for c in table.columns) + " |")
        lines.append(
            "|" + "|".join("---:" if table.numeric(i) else "---" for i in range(len(table.columns))) + "|"
        )
        for row in table.rows:
            lines.append("| " + " | ".join(_md_escape(cell_text(c)) for c in row) + " |")
        if table.footer:
            cells = [cell_text(c) for c in table.footer]
            lines.append("| " + " | ".join(f"**{_md_escape(c)}**" if c else "" for c in cells) + " |")
        lines.append("")
    for note in doc.notes:
        lines += [_md_escape(note), ""]
    for warning in doc.warnings:
        lines += [f"> **Warning:** {_md_escape(warning)}", ""]
    return "\n".join(lines).rstrip() + "\n"


def to_csv(doc: Document) -> str:
    """The document's main table as CSV, with exact (unrounded) numbers."""
    table: Table | None = doc.csv or (doc.tables[0] if doc.tables else None)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if table is None:
        return ""
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(cell_text(c, exact=True) for c in row)
    if table.footer:
        writer.writerow(cell_text(c, exact=True) for c in table.footer)
    return out.getvalue()


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def _strip_trailing(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines()).strip("\n") + "\n"
