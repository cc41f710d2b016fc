"""Invariants of the terminal table layout, over generated tables and widths: nothing is cut."""

from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from claude_quote.render.document import Cell, Document, Table
from claude_quote.render.format import round_half_up
from claude_quote.render.layout import wrap, wrap_prose
from claude_quote.render.text import to_table

SETTINGS = settings(max_examples=150, deadline=None)

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-_.0123456789", min_size=1, max_size=14)
texts = st.lists(words, min_size=1, max_size=12).map(" ".join)
amounts = st.decimals(min_value=Decimal("-99999"), max_value=Decimal("99999"), places=6)
tokens = st.integers(min_value=0, max_value=10**10)


@st.composite
def tables(draw: st.DrawFn) -> Table:
    kinds = draw(st.lists(st.sampled_from(["text", "usd", "tokens"]), min_size=1, max_size=12))
    columns = [draw(texts) for _ in kinds]
    rows = []
    for _ in range(draw(st.integers(min_value=0, max_value=6)) + 1):
        row: list[Cell | str] = [draw(words)]  # the row's name
        for kind in kinds[1:]:
            if kind == "text":
                row.append(draw(texts))
            elif kind == "usd":
                row.append(Cell.usd(draw(amounts)))
            else:
                row.append(Cell.tokens(draw(tokens)))
        rows.append(row)
    footer = rows.pop() if draw(st.booleans()) else None  # a totals row
    keys = draw(st.integers(min_value=1, max_value=2))
    return Table(columns=columns, rows=rows, title=draw(st.none() | texts), footer=footer, keys=keys)


@SETTINGS
@given(table=tables(), width=st.integers(min_value=20, max_value=240))
def test_no_value_is_cut_and_no_line_is_wider_than_the_terminal(table: Table, width: int) -> None:
    text = to_table(Document(title="t", tables=[table]), width=width)
    every_row = [*table.rows, *([table.footer] if table.footer else [])]
    longest_word = max(
        [cell_len(w) for row in every_row for c in row if isinstance(c, str) for w in c.split()] or [0]
    )
    if longest_word <= width - 4:  # a word wider than the terminal is the only thing ever folded
        assert all(cell_len(line) <= width for line in text.splitlines()), text
        flat = " ".join(text.split())
        for row in every_row:
            for cell in row:
                if isinstance(cell, str):
                    assert all(re.search(rf"(?<![\w.-]){re.escape(w)}(?![\w.-])", flat) for w in cell.split())
    shown = [Decimal(m.replace(",", "")) for m in re.findall(r"\$([\d,]+\.\d+)", text)]
    for row in every_row:
        for cell in row:
            if isinstance(cell, Cell) and cell.kind == "tokens":
                assert f"{cell.value:,}" in text
            elif isinstance(cell, Cell) and isinstance(cell.value, Decimal):
                value = abs(cell.value)
                places = [-int(s.as_tuple().exponent) for s in shown]
                assert any(round_half_up(value, p) == s for s, p in zip(shown, places, strict=True)), (
                    value,
                    text,
                )


@SETTINGS
@given(
    text=texts, width=st.integers(min_value=10, max_value=120), indent=st.integers(min_value=0, max_value=8)
)
def test_prose_folds_at_spaces_and_keeps_every_word(text: str, width: int, indent: int) -> None:
    lines = wrap_prose(text, width, indent)
    assert " ".join(" ".join(lines).split()) == " ".join(text.split())
    assert all(len(line) <= width or " " not in line.strip() for line in lines)


@SETTINGS
@given(text=texts, width=st.integers(min_value=1, max_value=60))
def test_cells_fold_at_spaces_and_only_fold_a_word_longer_than_the_column(text: str, width: int) -> None:
    lines = wrap(text, width)
    assert all(len(line) <= width for line in lines)
    if max(len(w) for w in text.split()) <= width:
        assert " ".join(lines).split() == text.split()
