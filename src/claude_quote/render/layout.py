"""Plain-text tables that fit a terminal without cutting a value.

A table is laid out in the first of three ways that fits the width (docs/cli.md, "Narrow terminals"):

1. **Side by side**, every column at its natural width, or narrower: text folds at spaces (headings
   too; a cell into at most three lines), numbers never shrink and never fold.
2. **Split in two**: the leading key columns (the row's name) and as many other columns as fit, then
   the same key columns with the rest below; both parts keep the totals row.
3. **One record per block**, when two parts are not enough (or a long text does not fit beside the
   key columns in three lines): the key values on a line, then one ``column  value`` line per cell.

A single word wider than the whole terminal (a very long path or id) is the only thing ever folded
mid-word, and only in the one-record layout. Widths are terminal cells (wide characters count two).
"""

from __future__ import annotations

from collections.abc import Callable

from .document import Resolved

__all__ = ["GAP", "lay_out", "wrap", "wrap_prose"]

GAP = 3
"""Blank cells between two columns."""
MAX_FOLDS = 3
"""A text cell is folded into at most this many lines before a table is split instead."""
MAX_PARTS = 2
"""A table that would split into more parts than this is shown one record per block instead."""

Measure = Callable[[str], int]


def _symbol(word: str) -> bool:
    """A lone sign (``×``, ``>``, ``+``, ``≈``) that belongs to the word after it: ``× 1.05``."""
    return bool(word) and len(word) <= 2 and not any(c.isalnum() for c in word)


def _words(text: str) -> list[str]:
    """Words of a cell, a lone sign joined to the word after it; leading spaces (an indented row
    label) stay with the first word.

    >>> _words("  prompt > 100,000"), _words("× 1.1955 (calibrated)")
    (['  prompt', '> 100,000'], ['× 1.1955', '(calibrated)'])
    """
    stripped = text.lstrip(" ")
    indent = text[: len(text) - len(stripped)]
    words: list[str] = []
    for word in (w for w in stripped.split(" ") if w):
        if words and _symbol(words[-1]):
            words[-1] = f"{words[-1]} {word}"
        else:
            words.append(word)
    words = words or [""]
    words[0] = indent + words[0]
    return words


def _fold(word: str, width: int, measure: Measure) -> list[str]:
    """A word wider than ``width`` in pieces (the last resort)."""
    pieces, current = [], ""
    for char in word:
        if current and measure(current + char) > width:
            pieces.append(current)
            current = ""
        current += char
    return [*pieces, current]


def wrap(text: str, width: int, measure: Measure = len) -> list[str]:
    """``text`` folded at spaces into lines of at most ``width`` cells (never at hyphens).

    >>> wrap("real time (equivalent)", 12)
    ['real time', '(equivalent)']
    >>> wrap("claude-haiku-4-5-20251001", 10)
    ['claude-hai', 'ku-4-5-202', '51001']
    """
    lines: list[str] = []
    current = ""
    for word in _words(text):
        candidate = f"{current} {word}" if current else word
        if measure(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        lead = len(word) - len(word.lstrip(" "))
        sign, _, rest = word[lead:].partition(" ")
        sign = word[:lead] + sign
        if measure(word) > width and rest and measure(sign) <= width and measure(rest) <= width:
            lines.append(sign)  # a sign joined to its word, too wide together: each on its own line
            current = rest
        elif measure(word) > width:
            *full, current = _fold(word, max(width, 1), measure)
            lines += full
        else:
            current = word
    return [*lines, current]


def wrap_prose(text: str, width: int, indent: int = 0, measure: Measure = len) -> list[str]:
    """A sentence folded at spaces to ``width`` cells, the first line as written (its spacing kept),
    the others indented by ``indent``. A word longer than a line stays whole on a line of its own.

    >>> wrap_prose("  prices  as of 2026-11-25, table 2026.11.25", 28, indent=10)
    ['  prices  as of 2026-11-25,', '          table 2026.11.25']
    """
    if indent > width - 10:
        indent = min(4, indent)
    lines: list[str] = []
    prefix = ""
    while measure(prefix + text) > width:
        lead = len(text) - len(text.lstrip(" "))
        cut = None
        for i in range(lead, len(text)):
            if text[i] != " " or not text[:i].strip() or _symbol(text[:i].rsplit(" ", 1)[-1]):
                continue
            if measure(prefix + text[:i].rstrip()) <= width:
                cut = i
            else:
                break
        if cut is None:
            cut = text.find(" ", lead)
            if cut < 0:
                break
        lines.append(prefix + text[:cut].rstrip())
        text = text[cut:].lstrip(" ")
        prefix = " " * indent
    return [*lines, prefix + text]


def _natural(grid: Resolved, column: int, measure: Measure) -> int:
    cells = [row[column] for row in _all_rows(grid)]
    return max([measure(grid.columns[column]), *(measure(c) for c in cells)])


def _hard(grid: Resolved, column: int, measure: Measure) -> int:
    """The narrowest a column can be without cutting a value: its widest number or word."""
    header = max(measure(w) for w in _words(grid.columns[column]))
    cells = [row[column] for row in _all_rows(grid)]
    if grid.numeric[column]:
        widest = max((measure(c) for c in cells), default=0)
    else:
        widest = max((measure(w) for c in cells for w in _words(c)), default=0)
    return max(header, widest)


def _snug(grid: Resolved, column: int, hard: int, natural: int, measure: Measure) -> int:
    """The narrowest width at which every cell of a text column folds into at most :data:`MAX_FOLDS`
    lines (at least its longest word, at most its natural width)."""
    cells = sorted({row[column] for row in _all_rows(grid)}, key=measure, reverse=True)[:50]
    if not cells:
        return hard
    width = max(hard, -(-measure(cells[0]) // MAX_FOLDS))
    while width < natural and any(len(wrap(c, width, measure)) > MAX_FOLDS for c in cells):
        width += 1
    return min(width, natural)


def _all_rows(grid: Resolved) -> list[list[str]]:
    return [*grid.rows, *([grid.footer] if grid.footer else [])]


def _total(widths: list[int]) -> int:
    return sum(widths) + GAP * (len(widths) - 1)


def _fit(grid: Resolved, widths: list[int], floor: list[int], width: int, measure: Measure) -> list[int]:
    """Narrow ``widths`` until the table fits ``width``: first numeric headings (folding at a space,
    widest first), then text columns (widest first), never below ``floor``."""
    widths = list(widths)
    while _total(widths) > width:
        numeric = [i for i, w in enumerate(widths) if grid.numeric[i] and w > floor[i]]
        if not numeric:
            break
        i = max(numeric, key=lambda c: widths[c])
        folded = max(measure(line) for line in wrap(grid.columns[i], widths[i] - 1, measure))
        widths[i] = max(floor[i], folded)
    while _total(widths) > width:
        text = [i for i, w in enumerate(widths) if not grid.numeric[i] and w > floor[i]]
        if not text:
            break
        widths[max(text, key=lambda c: widths[c])] -= 1
    return widths


def _select(grid: Resolved, columns: list[int], title: str | None) -> tuple[Resolved, str | None]:
    return (
        Resolved(
            columns=[grid.columns[i] for i in columns],
            numeric=[grid.numeric[i] for i in columns],
            rows=[[row[i] for i in columns] for row in grid.rows],
            footer=None if grid.footer is None else [grid.footer[i] for i in columns],
            notes=[],
        ),
        title,
    )


def lay_out(
    grid: Resolved, title: str | None, width: int, keys: int = 1, measure: Measure = len
) -> list[str]:
    """Lines of ``grid`` (with its ``title``) in at most ``width`` cells wherever anything can fit."""
    count = len(grid.columns)
    keys = min(keys, count - 1)  # at least one column is not a key: it is what a split moves below
    natural = [_natural(grid, i, measure) for i in range(count)]
    hard = [_hard(grid, i, measure) for i in range(count)]
    snug = [
        h if grid.numeric[i] else _snug(grid, i, h, n, measure)
        for i, (n, h) in enumerate(zip(natural, hard, strict=True))
    ]
    if _total(snug) <= width:
        return _side_by_side(grid, title, _fit(grid, natural, snug, width, measure), width, measure)
    key_part = list(range(keys))
    parts = _pack(snug, key_part, count, width)
    if parts is None or len(parts) > MAX_PARTS:
        return _records(grid, title, keys, width, measure)
    # As few parts as snug widths allow; with unfolded numeric headings when that takes no more parts.
    roomy = _pack(
        [n if grid.numeric[i] else s for i, (n, s) in enumerate(zip(natural, snug, strict=True))],
        key_part,
        count,
        width,
    )
    if roomy is not None and len(roomy) == len(parts):
        parts = roomy
    lines: list[str] = []
    for n, part in enumerate(parts):
        columns = [*key_part, *part]
        label = title if n == 0 else (f"{title.split(' (')[0]}, continued" if title else "(continued)")
        sub, sub_title = _select(grid, columns, label)
        widths = _fit(sub, [natural[c] for c in columns], [snug[c] for c in columns], width, measure)
        if lines:
            lines.append("")
        lines += _side_by_side(sub, sub_title, widths, width, measure)
    return lines


def _pack(widths: list[int], keys: list[int], count: int, width: int) -> list[list[int]] | None:
    """Columns after the keys in groups that fit beside the keys, in order; None if one cannot."""
    parts: list[list[int]] = []
    for i in range(len(keys), count):
        if parts and _total([widths[c] for c in [*keys, *parts[-1], i]]) <= width:
            parts[-1].append(i)
        elif _total([widths[c] for c in [*keys, i]]) <= width:
            parts.append([i])
        else:
            return None
    return parts


def _pad(text: str, width: int, right: bool, measure: Measure) -> str:
    space = " " * max(0, width - measure(text))
    return space + text if right else text + space


def _row_lines(cells: list[str], widths: list[int], numeric: list[bool], measure: Measure) -> list[str]:
    folded = [
        wrap(c, w, measure) if not numeric[i] else [c]
        for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    ]
    height = max(len(f) for f in folded)
    lines = []
    for n in range(height):
        parts = [
            _pad(f[n] if n < len(f) else "", widths[i], numeric[i], measure) for i, f in enumerate(folded)
        ]
        lines.append((" " * GAP).join(parts).rstrip())
    return lines


def _side_by_side(
    grid: Resolved, title: str | None, widths: list[int], width: int, measure: Measure
) -> list[str]:
    lines = wrap(title, width, measure) if title else []
    headers = [wrap(h, w, measure) for h, w in zip(grid.columns, widths, strict=True)]
    height = max(len(h) for h in headers)
    for n in range(height):
        parts = [
            _pad(h[n] if n < len(h) else "", widths[i], grid.numeric[i], measure)
            for i, h in enumerate(headers)
        ]
        lines.append((" " * GAP).join(parts).rstrip())
    lines.append("─" * _total(widths))
    for row in grid.rows:
        lines += _row_lines(row, widths, grid.numeric, measure)
    if grid.footer is not None:
        lines.append("")
        lines += _row_lines(grid.footer, widths, grid.numeric, measure)
    return lines


def _records(grid: Resolved, title: str | None, keys: int, width: int, measure: Measure) -> list[str]:
    """One block per row: the key values, then ``column  value`` lines (numbers right-aligned)."""
    lines = wrap(title, width, measure) if title else []
    labels = [" ".join(_words(c)) for c in grid.columns]
    label_width = min(max((measure(label) for label in labels[keys:]), default=0), max(width // 2, 1))
    indent = 2 + label_width + 2
    rows = [*grid.rows, *([grid.footer] if grid.footer is not None else [])]
    numbers = max(
        (measure(row[i]) for row in rows for i in range(keys, len(row)) if grid.numeric[i]), default=0
    )
    numbers = min(numbers, max(width - indent, 1))
    for n, row in enumerate(rows):
        if n:
            lines.append("")
        head = "  ".join(c for c in row[:keys] if c) or " ".join(labels[:keys])
        if head:
            lines += wrap(head, width, measure)
        for i in range(keys, len(row)):
            if not row[i]:
                continue
            label = labels[i]
            widest = max(measure(w) for w in _words(row[i]))
            if measure(label) > label_width or indent >= width - 4 or widest > width - indent:
                lines += ["  " + line for line in wrap(label, max(width - 2, 1), measure)]
                lines += ["    " + line for line in wrap(row[i], max(width - 4, 1), measure)]
                continue
            cell = _pad(row[i], numbers, True, measure) if grid.numeric[i] else row[i]
            value = wrap(cell, width - indent, measure) if measure(cell) > width - indent else [cell]
            lines.append(("  " + _pad(label, label_width, False, measure) + "  " + value[0]).rstrip())
            lines += [" " * indent + more for more in value[1:]]
    return lines
