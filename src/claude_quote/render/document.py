"""A small, format-neutral description of a report: facts, tables, notes and warnings.

Each report type (a quote, an estimate, ...) is turned into a :class:`Document` once; the table,
markdown and CSV renderers turn any document into text. Cells keep exact values and a kind, so the
CSV renderer can write exact decimals while the others round for reading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from claude_quote.money import decimal_str

from . import format as fmt

__all__ = ["Cell", "Chart", "Document", "Resolved", "Series", "Table", "cell_text", "resolve"]

CellKind = Literal["text", "usd", "rate", "tokens", "percent", "change", "count"]


@dataclass(frozen=True)
class Cell:
    """One value and how to show it."""

    value: Decimal | int | str | None
    kind: CellKind = "text"

    @classmethod
    def usd(cls, value: Decimal | None) -> Cell:
        return cls(value, "usd")

    @classmethod
    def rate(cls, value: Decimal | None) -> Cell:
        return cls(value, "rate")

    @classmethod
    def tokens(cls, value: int | None) -> Cell:
        return cls(value, "tokens")

    @classmethod
    def percent(cls, value: Decimal | None) -> Cell:
        return cls(value, "percent")

    @classmethod
    def change(cls, value: Decimal | None) -> Cell:
        """A change in percent, shown with its sign (+20%, -3.5%)."""
        return cls(value, "change")


def cell_text(cell: Cell | str, *, exact: bool = False, places: int | None = None) -> str:
    """Text for a cell: rounded for people (amounts and percentages to ``places`` decimals, by
    default what the value needs), or exact (CSV)."""
    if isinstance(cell, str):
        return cell
    value = cell.value
    if value is None:
        return "" if exact else "-"
    if exact or cell.kind == "text" or isinstance(value, str):
        if isinstance(value, Decimal):
            return decimal_str(value)
        return str(value)
    if cell.kind == "count":
        return fmt.quantity(value) if isinstance(value, Decimal) else fmt.tokens(value)
    if cell.kind == "usd":
        return fmt.usd(Decimal(value), places)
    if cell.kind == "rate":
        return fmt.rate(Decimal(value))
    if cell.kind == "tokens":
        return fmt.tokens(int(value))
    if cell.kind == "change":
        return fmt.change_percent(Decimal(value), places)
    return fmt.percent(Decimal(value), places)


@dataclass
class Table:
    """Rows of cells under column headings; numeric columns are right-aligned."""

    columns: list[str]
    rows: list[list[Cell | str]] = field(default_factory=list)
    title: str | None = None
    footer: list[Cell | str] | None = None
    """A totals row, set apart from the others."""
    keys: int = 1
    """How many leading columns name a row: repeated when a narrow terminal splits the table."""

    def numeric(self, index: int) -> bool:
        """Whether column ``index`` holds numbers (for alignment)."""
        for row in [*self.rows, *([self.footer] if self.footer else [])]:
            cell = row[index]
            if isinstance(cell, Cell) and cell.value is not None:
                return cell.kind not in ("text",)
        return False


@dataclass(frozen=True)
class Series:
    """One data series of a chart: bars or a line, one value per x category."""

    kind: Literal["bar", "line"]
    label: str
    values: list[Decimal]


@dataclass(frozen=True)
class Chart:
    """A small bar/line chart (Mermaid ``xychart-beta`` in Markdown). Mermaid draws no legend, so the
    title says which series is which, and ``caption`` says it in words for readers without Mermaid."""

    title: str
    x: list[str]
    y_label: str
    series: list[Series]
    caption: str


@dataclass(frozen=True)
class Resolved:
    """A table's cells as text, each column rounded one way (``render.format``), and any note about it."""

    columns: list[str]
    numeric: list[bool]
    rows: list[list[str]]
    footer: list[str] | None
    notes: list[str]


def resolve(table: Table) -> Resolved:
    """The cells of ``table`` as text for people: every dollar column at one number of decimals, every
    percentage column too; and a note when rows as shown do not add up to the totals row as shown."""
    width = len(table.columns)
    all_rows = [*table.rows, *([table.footer] if table.footer else [])]
    places: list[int | None] = [None] * width
    off: list[tuple[str, str, str]] = []
    for i in range(width):
        kinds = {c.kind for row in all_rows if isinstance(c := row[i], Cell) and c.value is not None}
        if kinds == {"usd"}:
            values = [_amount(row[i]) for row in table.rows]
            total = None if table.footer is None else _amount(table.footer[i])
            column_places, added_up = fmt.usd_column(values, total)
            places[i] = column_places
            if not added_up and total is not None:
                shown = sum(
                    (fmt.round_half_up(v, column_places) for v in values if v is not None), Decimal(0)
                )
                off.append((table.columns[i], fmt.usd(shown, column_places), fmt.usd(total, column_places)))
        elif kinds in ({"percent"}, {"change"}):
            found = [_amount(row[i]) for row in all_rows]
            places[i] = fmt.percent_places(found)
    return Resolved(
        columns=list(table.columns),
        numeric=[table.numeric(i) for i in range(width)],
        rows=[[cell_text(c, places=places[i]) for i, c in enumerate(row)] for row in table.rows],
        footer=None
        if table.footer is None
        else [cell_text(c, places=places[i]) for i, c in enumerate(table.footer)],
        notes=[_rounding_note(table.title, off)] if off else [],
    )


def _amount(cell: Cell | str) -> Decimal | None:
    if isinstance(cell, Cell) and isinstance(cell.value, Decimal | int) and not isinstance(cell.value, bool):
        return Decimal(cell.value)
    return None


def _rounding_note(title: str | None, off: list[tuple[str, str, str]]) -> str:
    """``Rounded: in 'By month' the batch rows add up to $637.33 as shown; the total ... shows $637.34.``"""
    where = f" in {title.split(' (')[0]!r}" if title else ""
    names, shown, totals = (_and([item[i] for item in off]) for i in range(3))
    if len(off) == 1:
        return (
            f"Rounded{where}: the {names} rows add up to {shown} as shown; the total, their exact sum "
            f"rounded once, shows {totals}."
        )
    return (
        f"Rounded{where}: the {names} rows add up to {shown} as shown; the totals, their exact sums "
        f"rounded once, show {totals}."
    )


def _and(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


@dataclass
class Document:
    """A report ready to render."""

    title: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    csv: Table | None = None
    """The table CSV output writes (exact values); defaults to the first table."""
    charts: list[Chart] = field(default_factory=list)
    """Charts for Markdown output (Mermaid); the terminal table and CSV leave them out."""
