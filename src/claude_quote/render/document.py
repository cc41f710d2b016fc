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

__all__ = ["Cell", "Document", "Table", "cell_text"]

CellKind = Literal["text", "usd", "rate", "tokens", "percent", "count"]


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


def cell_text(cell: Cell | str, *, exact: bool = False) -> str:
    """Text for a cell: rounded for people, or exact (CSV)."""
    if isinstance(cell, str):
        return cell
    value = cell.value
    if value is None:
        return "" if exact else "-"
    if exact or cell.kind in ("text", "count") or isinstance(value, str):
        if isinstance(value, Decimal):
            return decimal_str(value)
        return str(value)
    if cell.kind == "usd":
        return fmt.usd(Decimal(value))
    if cell.kind == "rate":
        return fmt.rate(Decimal(value))
    if cell.kind == "tokens":
        return fmt.tokens(int(value))
    return fmt.percent(Decimal(value))


@dataclass
class Table:
    """Rows of cells under column headings; numeric columns are right-aligned."""

    columns: list[str]
    rows: list[list[Cell | str]] = field(default_factory=list)
    title: str | None = None
    footer: list[Cell | str] | None = None
    """A totals row, set apart from the others."""

    def numeric(self, index: int) -> bool:
        """Whether column ``index`` holds numbers (for alignment)."""
        for row in [*self.rows, *([self.footer] if self.footer else [])]:
            cell = row[index]
            if isinstance(cell, Cell) and cell.value is not None:
                return cell.kind not in ("text",)
        return False


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
