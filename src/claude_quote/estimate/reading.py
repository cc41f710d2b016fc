"""Reading the input: every request of every file as a request shape (its texts to count, fixed
tokens, cache breakpoints), checked as it is read. Message Batches JSONL and request JSON, tables and
text files (through the prompt template); malformed lines are skipped or raised as the run says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from claude_quote.engine import Modifiers
from claude_quote.errors import ClaudeQuoteError, NotTextError, UnknownModelError, UsageError, WorkloadError
from claude_quote.tokens.request import ModelFacts, RequestShape, shape_request, shape_text
from claude_quote.workloads.requests import BatchRequest, is_json_document, iter_requests, jsonl_kind
from claude_quote.workloads.text import check_names, fill_template, not_text, placeholders, read_text_file

from .run import EstimateRun

if TYPE_CHECKING:
    from claude_quote.workloads.tables import TableRow


def shapes(run: EstimateRun, files: Sequence[Path], advance: Callable[[int], None]) -> Iterator[RequestShape]:
    for path in files:
        size = path.stat().st_size
        done = 0
        for shape in _file_shapes(run, path):
            done += shape.size_bytes
            advance(shape.size_bytes)
            yield shape
        advance(max(0, size - done))


def _file_shapes(run: EstimateRun, path: Path) -> Iterator[RequestShape]:
    kind = classify(path)
    if kind == "requests":
        yield from request_shapes(run, path)
    elif kind == "table":
        yield from _table_shapes(run, path)
    elif kind == "text":
        shape = text_or_skip(run, path)
        if shape is not None:
            yield shape


def text_or_skip(run: EstimateRun, path: Path) -> RequestShape | None:
    """A text file as a request shape; None when it is not text but was found in a directory (or
    ``skip_invalid``): then it is noted in ``run.not_text``."""
    try:
        return text_shape(run, path)
    except NotTextError as exc:
        if path not in run.found and not run.skip_invalid:
            raise
        run.not_text.append(f"{path} ({str(exc).removeprefix(f'{path}: ').split(';')[0].split(':')[0]})")
        return None


def drop_non_text(run: EstimateRun, files: Sequence[Path]) -> list[Path]:
    """``files`` without those found in a directory (or by a glob) whose first bytes are not text in the
    run's encoding (noted in ``run.not_text``); named files are kept (reading one will say why it fails)."""
    kept = []
    for path in files:
        problem = not_text(path, run.encoding) if path in run.found and classify(path) == "text" else None
        if problem is None:
            kept.append(path)
        else:
            run.not_text.append(f"{path} ({problem})")
    return kept


def request_shapes(run: EstimateRun, path: Path) -> Iterator[RequestShape]:
    where = str(path)
    for request in iter_requests(path, skip_invalid=run.skip_invalid, on_skip=run.skip):
        shape = request_shape(run, path, request, where)
        if shape is not None:
            yield shape


def request_shape(
    run: EstimateRun, path: Path, request: BatchRequest, where: str | None = None
) -> RequestShape | None:
    """One request of a request file as a shape, checked (None: skipped, with ``skip_invalid``);
    ``where`` is ``str(path)``, when the caller has it (a method call less for each request)."""
    if run.unique_ids is not None and not _first_use(run, path, request):
        return None
    try:
        shape = shape_request(
            request.params,
            custom_id=request.custom_id,
            facts_for=run.facts_for,
            model=run.model,
            where=str(path) if where is None else where,
            line=request.line,
            size_bytes=request.size_bytes,
        )
    except UnknownModelError as exc:
        exc.args = (f"{path}:{request.line}: {exc.args[0]}",)
        raise
    except WorkloadError as exc:
        if not run.skip_invalid:
            raise
        run.skip(exc)
        return None
    if run.exact:
        shape.params = request.params
    return shape


def _first_use(run: EstimateRun, path: Path, request: BatchRequest) -> bool:
    assert run.unique_ids is not None
    first = run.unique_ids.get(request.custom_id)
    if first is None:
        run.unique_ids[request.custom_id] = request.line
        return True
    error = WorkloadError(
        f"custom_id {request.custom_id!r} already appeared on line {first}; ids are unique in a batch",
        path=str(path),
        line=request.line,
    )
    if not run.skip_invalid:
        raise error
    run.skip(error)
    return False


def _need_model_and_max(run: EstimateRun, what: str) -> tuple[ModelFacts, int]:
    if run.model is None:
        raise UsageError(f"{what} need --model: the model to price them on")
    if run.max_tokens is None:
        raise UsageError(f"{what} need --max-tokens N: each request's output limit, for the worst case")
    return run.facts_for(run.model), run.max_tokens


def text_shape(run: EstimateRun, path: Path) -> RequestShape:
    facts, max_tokens = _need_model_and_max(run, "text files")
    check_names(run.template, (), path=path)
    document = read_text_file(path, encoding=run.encoding)
    return shape_text(
        fill_template(run.template, document.text, name=path.name),
        facts=facts,
        custom_id=path.stem,
        max_tokens=max_tokens,
        size_bytes=document.size_bytes,
        where=str(path),
    )


def _table_shapes(run: EstimateRun, path: Path) -> Iterator[RequestShape]:
    from claude_quote.workloads.tables import iter_table_rows

    for row in iter_table_rows(
        path,
        text_column=run.text_column,
        skip_invalid=run.skip_invalid,
        on_skip=run.skip,
        fields=template_fields(run, path),
    ):
        shape = row_shape(run, path, row)
        if shape is not None:
            yield shape


def row_shape(run: EstimateRun, path: Path, row: TableRow) -> RequestShape | None:
    """One row of a table as a request shape, checked (None: skipped, with ``skip_invalid``)."""
    # A flag given on the command line is every row's: --model over a model column, and
    # --max-tokens over a max_tokens column (docs/workloads.md).
    name = run.model or row.model
    max_tokens = run.max_tokens if run.max_tokens is not None else row.max_tokens
    problem = _row_problem(row, name, max_tokens)  # one call per row, as before the split
    if problem is not None:
        error = WorkloadError(problem, path=str(path))
        if not run.skip_invalid:
            raise error
        run.skip(error)
        return None
    assert name is not None
    assert max_tokens is not None
    try:
        facts = run.facts_for(name)
    except UnknownModelError as exc:
        exc.args = (f"{path}: row {row.row}: {exc.args[0]}",)
        raise
    custom_id = row.custom_id or f"row-{row.row}"
    if row.text is not None:
        text = fill_template(run.template, row.text, name=custom_id, fields=row.fields)
        shape = shape_text(
            text, facts=facts, custom_id=custom_id, max_tokens=max_tokens, size_bytes=row.size_bytes
        )
    else:
        assert row.input_tokens is not None
        shape = RequestShape(
            facts=facts,
            custom_id=custom_id,
            max_tokens=max_tokens,
            texts=[""],
            fixed=[row.input_tokens],
            given=True,
        )
    shape.given_output = row.output_tokens
    shape.inference_geo, shape.speed = row.inference_geo, row.speed
    return shape


def _row_problem(row: TableRow, name: str | None, max_tokens: int | None) -> str | None:
    """Why a row cannot be estimated (no model, no max_tokens, ``inference_geo`` / ``speed`` columns
    that cannot be priced), or None."""
    if name is None:
        return f"row {row.row}: no model: pass --model or add a model column"
    if max_tokens is None or max_tokens < 1:
        return (
            f"row {row.row}: no max_tokens: add a max_tokens column or pass --max-tokens N "
            "(the worst case needs it)"
        )
    if row.inference_geo is None and row.speed is None:
        return None
    try:
        Modifiers.from_api(inference_geo=row.inference_geo, speed=row.speed)
    except ClaudeQuoteError as exc:
        return f"row {row.row}: {exc}"
    return None


def template_fields(run: EstimateRun, path: Path) -> tuple[str, ...]:
    """The columns the template names besides ``{text}`` and ``{name}`` (checked against the table's)."""
    from claude_quote.workloads.tables import table_columns

    wanted = tuple(n for n in dict.fromkeys(placeholders(run.template)) if n not in ("text", "name"))
    if wanted:
        check_names(run.template, table_columns(path), path=path)
    return wanted


def items(
    run: EstimateRun, files: Sequence[Path], advance: Callable[[int], None]
) -> Iterator[RequestShape | Path]:
    """Every request of ``files`` in order, checked; text files as their paths (read only if sampled)."""
    for path in files:
        if classify(path) == "text":
            yield path
        else:
            yield from _file_shapes(run, path)
        advance(path.stat().st_size)


def materialize(run: EstimateRun, item: RequestShape | Path) -> RequestShape:
    """A sampled item as a request shape (reads a sampled text file)."""
    return text_shape(run, item) if isinstance(item, Path) else item


def classify(path: Path) -> Literal["requests", "table", "text", "empty"]:
    """How a file is read: JSON (``.json``, ``.json.gz``) and JSONL whose lines are requests as requests (JSONL
    none of whose first lines is JSON too, so the bad line is named), other JSONL, CSV, TSV and
    Parquet as tables (``.gz`` too), anything else as a text file."""
    from claude_quote.workloads.tables import TABLE_SUFFIXES, table_suffix

    if is_json_document(path.name):
        return "requests"
    suffix = table_suffix(path)
    if suffix in (".jsonl", ".ndjson"):
        kind = jsonl_kind(path)
        if kind in ("batch", "messages", "invalid"):
            return "requests"
        return "empty" if kind == "empty" else "table"
    if suffix in TABLE_SUFFIXES:
        return "table"
    return "text"
