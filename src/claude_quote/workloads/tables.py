"""Tables as requests: CSV, TSV, Parquet or JSONL, read in chunks through pandas.

Each row is one request. Recognised columns:

- a text column (``--text-column NAME``; by default ``text``): the prompt text, counted with tiktoken;
- or ``input_tokens``: the prompt's Claude token count, taken as given (no correction);
- optional ``output_tokens`` (expected output per request), ``max_tokens``, ``model``, ``custom_id``,
  and how the request runs, as the API names it: ``inference_geo`` (``global``/``us``) and ``speed``
  (``standard``/``fast``).

pandas (and pyarrow, for Parquet) are imported only when a table is read. Parquet needs the
``parquet`` extra: ``pip install 'claude-quote[parquet]'``.
"""

from __future__ import annotations

import importlib
import math
import numbers
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claude_quote.errors import UsageError, WorkloadError
from claude_quote.money import MAX_COUNT
from claude_quote.usage import parse_token_count

from .files import open_input

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "TABLE_SUFFIXES",
    "TableRow",
    "iter_frame_rows",
    "iter_rows_at",
    "iter_table_rows",
    "parquet_row_groups",
    "table_suffix",
]

TABLE_SUFFIXES = frozenset({".csv", ".tsv", ".parquet", ".pq", ".jsonl", ".ndjson"})
"""File suffixes read as tables (JSONL only when its lines are not Messages requests); CSV, TSV and
JSONL may also be gzip-compressed (``.csv.gz``)."""

_CHUNK_ROWS = 10_000
_OPTIONAL = ("output_tokens", "max_tokens", "model", "custom_id", "inference_geo", "speed")


@dataclass(frozen=True, slots=True)
class TableRow:
    """One row of a table."""

    row: int
    """1-based data row (the header is not a row)."""
    custom_id: str | None
    model: str | None
    text: str | None
    """Prompt text (when the table has a text column)."""
    input_tokens: int | None
    """Prompt tokens as given (when the table has an ``input_tokens`` column and no text column)."""
    output_tokens: int | None
    max_tokens: int | None
    size_bytes: int = 0
    fields: dict[str, str] | None = None
    """The values of the columns asked for by name (a prompt template's ``{column}``), as text."""
    inference_geo: str | None = None
    """As written (the pricing engine checks it)."""
    speed: str | None = None
    """As written (the pricing engine checks it)."""


OnSkip = Callable[[WorkloadError], None]


def _pyarrow_parquet() -> Any:
    try:
        # pyarrow ships no type information; imported by name so mypy treats it as Any.
        pq = importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise UsageError("reading Parquet needs pyarrow: pip install 'claude-quote[parquet]'") from None
    return pq


def table_suffix(path: Path) -> str:
    """The suffix that says how a table is read, a ``.gz`` after it aside: ``t.csv.gz`` → ``.csv``."""
    name = path.name.lower().removesuffix(".gz")
    return Path(name).suffix


def _chunks(
    path: Path, columns: list[str] | None, row_groups: Sequence[int] | None = None
) -> Iterator[pd.DataFrame]:
    import pandas as pd

    suffix = table_suffix(path)
    parquet = _pyarrow_parquet() if suffix in (".parquet", ".pq") else None
    try:
        if parquet is not None:
            with parquet.ParquetFile(path) as parquet_file:
                for batch in parquet_file.iter_batches(
                    batch_size=_CHUNK_ROWS, columns=columns, row_groups=row_groups
                ):
                    yield batch.to_pandas()
            return
        with open_input(path) as handle:
            if suffix in (".csv", ".tsv"):
                with pd.read_csv(
                    handle,
                    sep="\t" if suffix == ".tsv" else ",",
                    chunksize=_CHUNK_ROWS,
                    usecols=columns,
                    dtype=str,
                    keep_default_na=False,
                    na_values=[""],
                ) as csv_reader:
                    yield from csv_reader
            else:
                with pd.read_json(handle, lines=True, chunksize=_CHUNK_ROWS, dtype=False) as json_reader:
                    for chunk in json_reader:
                        yield chunk if columns is None else chunk[[c for c in columns if c in chunk.columns]]
    except WorkloadError:
        raise
    except MemoryError:
        raise
    except Exception as exc:  # pandas and pyarrow raise their own types (and TypeError, OverflowError, ...)
        raise WorkloadError(f"cannot read as a table: {_reason(exc)}", path=str(path)) from None


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    first = text.splitlines()[0]
    return first if len(first) <= 200 else first[:200] + "…"


def _header(path: Path) -> list[str]:
    suffix = table_suffix(path)
    if suffix in (".parquet", ".pq"):
        pq = _pyarrow_parquet()
        try:
            with pq.ParquetFile(path) as parquet_file:
                return list(parquet_file.schema_arrow.names)
        except Exception as exc:
            raise WorkloadError(f"cannot read as Parquet: {_reason(exc)}", path=str(path)) from None
    for chunk in _chunks(path, None):
        return [str(c) for c in chunk.columns]
    return []


def _missing(value: Any) -> bool:
    if value is None:
        return True
    return isinstance(value, float) and math.isnan(value)


def _count(value: Any, column: str, row: int, path: Path) -> int | None:
    if _missing(value):
        return None
    number: int
    if isinstance(value, bool):
        number = -1
    elif isinstance(value, numbers.Integral):
        number = int(value)
    elif isinstance(value, numbers.Real):
        as_float = float(value)
        if not as_float.is_integer():
            raise WorkloadError(f"row {row}: {column} {_short(value)} is not a whole number", path=str(path))
        number = int(as_float)
    elif isinstance(value, str):
        if not value.strip():
            return None
        try:
            number = parse_token_count(value, what=column)
        except UsageError as exc:
            raise WorkloadError(f"row {row}: {exc}", path=str(path)) from None
    else:
        number = -1
    if number < 0:
        raise WorkloadError(
            f"row {row}: {column} {_short(value)} is not a count of 0 or more", path=str(path)
        )
    if number > MAX_COUNT:
        raise WorkloadError(f"row {row}: {column} {_short(value)} is more than {MAX_COUNT:,}", path=str(path))
    return number


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:60] + "…"


def _string(value: Any) -> str | None:
    if _missing(value):
        return None
    return str(value)


def table_columns(path: str | Path) -> list[str]:
    """The column names of a table (its header)."""
    return _header(Path(path))


def iter_table_rows(
    path: str | Path,
    *,
    text_column: str | None = None,
    skip_invalid: bool = False,
    on_skip: OnSkip | None = None,
    fields: tuple[str, ...] = (),
    row_groups: Sequence[int] | None = None,
) -> Iterator[TableRow]:
    """Stream the rows of a table as requests; ``fields`` names other columns each row carries (as text,
    empty when missing) in :attr:`TableRow.fields`. Of a Parquet file, only ``row_groups`` (consecutive)
    when given, the rows numbered as in the whole file.

    Raises:
        WorkloadError: the file is not a readable table, has neither a text column nor
            ``input_tokens``, or a row holds a bad value (``row N``) unless ``skip_invalid``.
    """
    file = Path(path)
    header = _header(file)
    main, counts_given = _main_column(header, text_column, file)
    wanted = [main, *(c for c in _OPTIONAL if c in header)]
    wanted += [c for c in fields if c in header and c not in wanted]
    row = 0
    if row_groups:
        sizes = parquet_row_groups(file)
        row = sum(rows for rows, _ in sizes[: row_groups[0]])
        if list(row_groups) != list(range(row_groups[0], row_groups[0] + len(row_groups))):
            raise ValueError(f"row groups must be consecutive, got {list(row_groups)}")
    for chunk in _chunks(file, wanted, row_groups):
        columns = {name: chunk[name].tolist() for name in wanted if name in chunk.columns}
        size = len(chunk)
        for i in range(size):
            row += 1
            try:
                found = _row(columns, i, row, main, counts_given, file)
                if fields:
                    found = replace(
                        found, fields={c: _string(columns[c][i]) or "" for c in fields if c in columns}
                    )
                yield found
            except WorkloadError as exc:
                if not skip_invalid:
                    raise
                if on_skip is not None:
                    on_skip(exc)


def _main_column(header: list[str], text_column: str | None, file: Path) -> tuple[str, bool]:
    """The column that holds each row's prompt, and whether it holds counts (``input_tokens``)."""
    if text_column is not None:
        if text_column not in header:
            raise WorkloadError(f"no column {text_column!r}; the columns are {header}", path=str(file))
        main = text_column
    elif "input_tokens" in header:
        main = "input_tokens"
    elif "text" in header:
        main = "text"
    else:
        raise WorkloadError(
            f"no text column: pass --text-column NAME, or give an input_tokens column (columns: {header})",
            path=str(file),
        )
    return main, main == "input_tokens" and text_column is None


def _row(
    columns: dict[str, list[Any]], i: int, row: int, main: str, counts_given: bool, path: Path
) -> TableRow:
    def get(name: str) -> Any:
        values = columns.get(name)
        return None if values is None else values[i]

    text: str | None = None
    input_tokens: int | None = None
    if counts_given:
        input_tokens = _count(get(main), main, row, path)
        if input_tokens is None:
            raise WorkloadError(f"row {row}: input_tokens is empty", path=str(path))
    else:
        text = _string(get(main))
        if text is None:
            raise WorkloadError(f"row {row}: {main} is empty", path=str(path))
    return TableRow(
        row=row,
        custom_id=_string(get("custom_id")),
        model=_string(get("model")),
        text=text,
        input_tokens=input_tokens,
        output_tokens=_count(get("output_tokens"), "output_tokens", row, path),
        max_tokens=_count(get("max_tokens"), "max_tokens", row, path),
        size_bytes=len(text.encode()) if text is not None else 0,
        inference_geo=_string(get("inference_geo")),
        speed=_string(get("speed")),
    )


def parquet_row_groups(path: str | Path) -> list[tuple[int, int]]:
    """Each row group of a Parquet file: its rows and its uncompressed bytes, from the file's metadata
    (nothing else is read).

    Raises:
        WorkloadError: not a readable Parquet file.
    """
    pq = _pyarrow_parquet()
    try:
        with pq.ParquetFile(path) as parquet_file:
            meta = parquet_file.metadata
            return [
                (meta.row_group(i).num_rows, meta.row_group(i).total_byte_size)
                for i in range(meta.num_row_groups)
            ]
    except Exception as exc:
        raise WorkloadError(f"cannot read as Parquet: {exc}", path=str(path)) from None


def iter_frame_rows(
    frame: pd.DataFrame,
    *,
    where: str,
    text_column: str | None = None,
    first_row: int = 1,
    skip_invalid: bool = False,
    on_skip: OnSkip | None = None,
) -> Iterator[TableRow]:
    """The rows of a pandas DataFrame as requests, read as a table file's rows (the same columns and
    checks), numbered from ``first_row``; ``where`` names the frame in errors.

    Raises:
        WorkloadError: as :func:`iter_table_rows`.
    """
    header = [str(c) for c in frame.columns]
    main, counts_given = _main_column(header, text_column, Path(where))
    wanted = [main, *(c for c in _OPTIONAL if c in header)]
    columns = {name: frame[name].tolist() for name in wanted}
    row = first_row - 1
    for i in range(len(frame)):
        row += 1
        try:
            yield _row(columns, i, row, main, counts_given, Path(where))
        except WorkloadError as exc:
            if not skip_invalid:
                raise
            if on_skip is not None:
                on_skip(exc)


def iter_rows_at(
    path: str | Path,
    rows: Sequence[int],
    *,
    text_column: str | None = None,
    skip_invalid: bool = False,
    on_skip: OnSkip | None = None,
) -> Iterator[TableRow]:
    """Only the rows numbered ``rows`` (1-based, ascending) of a Parquet file, read from the row groups
    that hold them: a sample's rows, without streaming the rest.

    Raises:
        WorkloadError: as :func:`iter_table_rows`.
    """
    pq = _pyarrow_parquet()
    file = Path(path)
    header = _header(file)
    main, counts_given = _main_column(header, text_column, file)
    wanted = [main, *(c for c in _OPTIONAL if c in header)]
    groups = parquet_row_groups(file)
    first = 0
    pending = list(rows)
    with pq.ParquetFile(file) as parquet_file:
        for number, (count, _) in enumerate(groups):
            mine = [r for r in pending if first < r <= first + count]
            if mine:
                try:
                    table = parquet_file.read_row_group(number, columns=wanted)
                    chunk = table.take([r - first - 1 for r in mine]).to_pandas()
                except Exception as exc:
                    raise WorkloadError(f"cannot read as a table: {exc}", path=str(file)) from None
                columns = {name: chunk[name].tolist() for name in wanted if name in chunk.columns}
                for i, row in enumerate(mine):
                    try:
                        yield _row(columns, i, row, main, counts_given, file)
                    except WorkloadError as exc:
                        if not skip_invalid:
                            raise
                        if on_skip is not None:
                            on_skip(exc)
            first += count
