"""Reading exports of the Usage & Cost Admin API: usage report rows and cost report rows.

Both endpoints answer with pages of time buckets::

    {"data": [{"starting_at": "2026-11-01T00:00:00Z", "ending_at": "2026-11-02T00:00:00Z",
               "results": [{...row...}, ...]}, ...],
     "has_more": false, "next_page": null}

- ``GET /v1/organizations/usage_report/messages`` rows: ``uncached_input_tokens``,
  ``cache_creation{ephemeral_5m_input_tokens, ephemeral_1h_input_tokens}``, ``cache_read_input_tokens``,
  ``output_tokens``, ``server_tool_use{web_search_requests}`` and the dimensions grouped by (``model``,
  ``service_tier``, ``context_window``, ``inference_geo``, ``speed``, ``workspace_id``, ...; null when
  not grouped).
- ``GET /v1/organizations/cost_report`` rows: ``amount`` (a decimal string in **cents**), ``currency``,
  ``cost_type``, ``token_type``, ``service_tier``, ``model``, ``context_window``, ``inference_geo``,
  ``description``, ``workspace_id``.

A file may hold one page, a JSON list of pages (or of buckets), or JSONL with one page per line, so
paginated downloads can be saved as they come. Errors name the file, the line (JSONL, or where the
JSON parser stopped) and the row (``data[2].results[0]``).

>>> import json, tempfile, pathlib
>>> page = {"data": [{"starting_at": "2026-11-01T00:00:00Z", "ending_at": "2026-11-02T00:00:00Z",
...     "results": [{"model": "claude-sonnet-4-6", "service_tier": "batch", "uncached_input_tokens": 1000,
...                  "output_tokens": 50, "cache_read_input_tokens": 0}]}], "has_more": False}
>>> path = pathlib.Path(tempfile.mkdtemp()) / "usage.json"
>>> _ = path.write_text(json.dumps(page))
>>> [(r.day.isoformat(), r.model, r.service_tier, r.usage.input_tokens) for r in read_usage_report(path).rows]
[('2026-11-01', 'claude-sonnet-4-6', 'batch', 1000)]
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from claude_quote.errors import WorkloadError
from claude_quote.money import EXACT, MAX_PLACES, to_decimal
from claude_quote.parsing import loads_json, shown
from claude_quote.usage import Usage

from .files import read_document
from .results import MAX_SKIPPED_SHOWN, InvalidLine, check_token_count

__all__ = [
    "CostReport",
    "CostRow",
    "UsageReport",
    "UsageRow",
    "read_cost_report",
    "read_usage_report",
]

_DIMENSIONS = (
    "model",
    "service_tier",
    "context_window",
    "inference_geo",
    "speed",
    "workspace_id",
    "api_key_id",
)


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One row of a usage report: a bucket's usage for one combination of the grouped dimensions."""

    where: str
    """``data[i].results[j]`` (and the page for lists of pages)."""
    line: int | None
    """Line in the file (JSONL), else None."""
    starting_at: datetime
    ending_at: datetime | None
    usage: Usage
    model: str | None = None
    service_tier: str | None = None
    context_window: str | None = None
    inference_geo: str | None = None
    speed: str | None = None
    workspace_id: str | None = None
    api_key_id: str | None = None

    @property
    def day(self) -> date:
        """The bucket's start date (UTC): whose prices apply."""
        return self.starting_at.astimezone(UTC).date()


@dataclass(frozen=True, slots=True)
class CostRow:
    """One row of a cost report."""

    where: str
    line: int | None
    starting_at: datetime
    ending_at: datetime | None
    cents: Decimal
    """``amount`` exactly as reported: US cents."""
    currency: str
    cost_type: str | None = None
    token_type: str | None = None
    service_tier: str | None = None
    model: str | None = None
    context_window: str | None = None
    inference_geo: str | None = None
    description: str | None = None
    workspace_id: str | None = None

    @property
    def dollars(self) -> Decimal:
        """``cents ÷ 100``, exact."""
        with decimal.localcontext(EXACT):
            return self.cents / 100


@dataclass
class UsageReport:
    """The rows of a usage report export."""

    path: str
    rows: list[UsageRow] = field(default_factory=list)
    buckets: int = 0
    skipped: int = 0
    skipped_lines: list[InvalidLine] = field(default_factory=list)


@dataclass
class CostReport:
    """The rows of a cost report export."""

    path: str
    rows: list[CostRow] = field(default_factory=list)
    buckets: int = 0
    skipped: int = 0
    skipped_lines: list[InvalidLine] = field(default_factory=list)


class _Invalid(Exception):
    pass


@dataclass
class _Bucket:
    where: str
    line: int | None
    data: Mapping[str, Any]


def read_usage_report(path: str | Path, *, skip_invalid: bool = False) -> UsageReport:
    """Read a ``usage_report/messages`` export (a page, a list of pages or buckets, or JSONL of pages).

    Raises:
        WorkloadError: the file is unreadable or malformed, or a row is invalid (without ``skip_invalid``).
    """
    return _read(UsageReport(path=str(path)), _usage_row, skip_invalid)


def read_cost_report(path: str | Path, *, skip_invalid: bool = False) -> CostReport:
    """Read a ``cost_report`` export (a page, a list of pages or buckets, or JSONL of pages).

    Raises:
        WorkloadError: the file is unreadable or malformed, or a row is invalid (without ``skip_invalid``).
    """
    return _read(CostReport(path=str(path)), _cost_row, skip_invalid)


_Report = TypeVar("_Report", UsageReport, CostReport)


def _read(report: _Report, parse: Callable[..., Any], skip_invalid: bool) -> _Report:
    """Fill ``report`` with ``parse(where, line, row, start, end)`` of every row of every bucket.

    An export without a single row is an error (never a silent $0): an export of a period that had
    usage has rows, and one of a period without any has nothing to reconcile.
    """
    for bucket in _buckets(Path(report.path)):
        report.buckets += 1
        for where, row, start, end in _rows(bucket, report, skip_invalid):
            try:
                report.rows.append(parse(where, bucket.line, row, start, end))
            except _Invalid as exc:
                _skip(report, bucket.line, where, str(exc), skip_invalid)
    if not report.rows:
        skipped = f", {report.skipped:,} invalid skipped" if report.skipped else ""
        raise WorkloadError(
            f"the export holds no rows ({report.buckets:,} bucket(s){skipped}): nothing to price; "
            "export a period with usage",
            path=report.path,
        )
    return report


def _skip(
    report: UsageReport | CostReport, line: int | None, where: str, reason: str, skip_invalid: bool
) -> None:
    if not skip_invalid:
        raise WorkloadError(f"{where}: {reason}", path=report.path, line=line)
    report.skipped += 1
    if len(report.skipped_lines) < MAX_SKIPPED_SHOWN:
        report.skipped_lines.append(InvalidLine(line=line, reason=f"{where}: {reason}"))


def _load(path: Path) -> list[tuple[int | None, Any]]:
    """The JSON values in the file: one (whole-file JSON) or one per line (JSONL)."""
    name = str(path)
    try:
        raw = read_document(path)
    except WorkloadError as exc:
        raise WorkloadError(
            f"cannot read export: {exc.args[0].removeprefix(name + ': ')}", path=name
        ) from None
    if not raw.strip():
        raise WorkloadError(
            'the file is empty; expected a page of the Admin API ({"data": [...]})', path=name
        )
    try:
        return [(None, loads_json(raw, path=name))]
    except WorkloadError as whole:
        lines = [(n, t) for n, t in enumerate(raw.splitlines(), start=1) if t.strip()]
        if len(lines) < 2:
            raise
        values: list[tuple[int | None, Any]] = []
        for number, line in lines:
            try:
                values.append((number, loads_json(line, path=name, line=number)))
            except WorkloadError:
                if number == lines[0][0]:  # not JSONL either: report where the whole file broke
                    raise whole from None
                raise
        return values


def _buckets(path: Path) -> Iterator[_Bucket]:
    name = str(path)
    for line, value in _load(path):
        if isinstance(value, dict) and "data" in value:
            pages = [("", value)]
        elif isinstance(value, list):
            pages = []
            for i, item in enumerate(value):
                if isinstance(item, dict) and "data" in item:
                    pages.append((f"[{i}].", item))
                elif isinstance(item, dict) and "results" in item:
                    yield _Bucket(f"[{i}]", line, item)
                else:
                    raise WorkloadError(
                        f'[{i}] is neither a page ({{"data": [...]}}) nor a bucket ({{"results": [...]}})',
                        path=name,
                        line=line,
                    )
        elif isinstance(value, dict) and "results" in value:
            yield _Bucket("", line, value)
            continue
        else:
            raise WorkloadError(
                'expected a page of the Admin API ({"data": [...], "has_more": ...}), a list of pages, '
                "or JSONL with one page per line",
                path=name,
                line=line,
            )
        for prefix, page in pages:
            data = page.get("data")
            if not isinstance(data, list):
                raise WorkloadError(f"{prefix}data must be a list of buckets", path=name, line=line)
            for j, bucket in enumerate(data):
                if not isinstance(bucket, dict):
                    raise WorkloadError(f"{prefix}data[{j}] must be an object", path=name, line=line)
                yield _Bucket(f"{prefix}data[{j}]", line, bucket)


def _rows(
    bucket: _Bucket, report: UsageReport | CostReport, skip_invalid: bool
) -> Iterator[tuple[str, Mapping[str, Any], datetime, datetime | None]]:
    try:
        start = _timestamp(bucket.data.get("starting_at"), "starting_at", required=True)
        end = _timestamp(bucket.data.get("ending_at"), "ending_at", required=False)
        results = bucket.data.get("results")
        if not isinstance(results, list):
            raise _Invalid(f"results must be a list of rows, got {shown(results)}")
    except _Invalid as exc:
        _skip(report, bucket.line, bucket.where, str(exc), skip_invalid)
        return
    assert start is not None
    for k, row in enumerate(results):
        where = f"{bucket.where}.results[{k}]" if bucket.where else f"results[{k}]"
        if not isinstance(row, dict):
            _skip(report, bucket.line, where, "a row must be an object", skip_invalid)
            continue
        yield where, row, start, end


def _timestamp(value: object, key: str, *, required: bool) -> datetime | None:
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise _Invalid(f"{key} must be an RFC 3339 timestamp, got {shown(value)}")
    try:
        stamp = datetime.fromisoformat(value)
    except ValueError:
        raise _Invalid(f"{key} {value!r} is not an RFC 3339 timestamp") from None
    stamp = stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)
    try:
        stamp.astimezone(UTC)
    except OverflowError:
        raise _Invalid(
            f"{key} {value!r} is out of range: in UTC it falls outside the years 1 to 9999"
        ) from None
    return stamp


def _text(row: Mapping[str, Any], key: str) -> str | None:
    value = row.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _Invalid(f"{key} must be a string or null, got {shown(value)}")


def _count(mapping: Mapping[str, Any], key: str, where: str) -> int:
    value = mapping.get(key)
    if value is None:
        return 0
    why = check_token_count(value, where)
    if why:
        raise _Invalid(why)
    assert isinstance(value, int)
    return value


def _object(row: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = row.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Invalid(f"{key} must be an object, got {shown(value)}")
    return value


_USAGE_KEYS = frozenset(
    {
        "uncached_input_tokens",
        "cache_creation",
        "cache_read_input_tokens",
        "output_tokens",
        "server_tool_use",
        *_DIMENSIONS,
    }
)


def _usage_row(
    where: str, line: int | None, row: Mapping[str, Any], start: datetime, end: datetime | None
) -> UsageRow:
    foreign = sorted(k for k in row if k not in _USAGE_KEYS and str(k).endswith("tokens"))
    if foreign:
        raise _Invalid(
            f"{', '.join(repr(k) for k in foreign)} is not a key of the usage report; its token counts are "
            "uncached_input_tokens, cache_creation, cache_read_input_tokens and output_tokens "
            "(is this another API's export?)"
        )
    split = _object(row, "cache_creation")
    tools = _object(row, "server_tool_use")
    usage = Usage(
        input_tokens=_count(row, "uncached_input_tokens", "uncached_input_tokens"),
        cache_write_5m_tokens=_count(
            split, "ephemeral_5m_input_tokens", "cache_creation.ephemeral_5m_input_tokens"
        ),
        cache_write_1h_tokens=_count(
            split, "ephemeral_1h_input_tokens", "cache_creation.ephemeral_1h_input_tokens"
        ),
        cache_read_tokens=_count(row, "cache_read_input_tokens", "cache_read_input_tokens"),
        output_tokens=_count(row, "output_tokens", "output_tokens"),
        web_search_requests=_count(tools, "web_search_requests", "server_tool_use.web_search_requests"),
    )
    dims = {key: _text(row, key) for key in _DIMENSIONS}
    return UsageRow(where=where, line=line, starting_at=start, ending_at=end, usage=usage, **dims)


def _cost_row(
    where: str, line: int | None, row: Mapping[str, Any], start: datetime, end: datetime | None
) -> CostRow:
    raw = row.get("amount")
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise _Invalid(
            f"amount must be a decimal string (US cents), got {shown(raw)}"
            + (" (a float cannot carry an exact amount)" if isinstance(raw, float) else "")
        )
    try:
        cents = to_decimal(raw, what="amount", places=MAX_PLACES)
    except ValueError as exc:
        raise _Invalid(str(exc)) from None
    currency = row.get("currency", "USD")
    if currency != "USD":
        raise _Invalid(f"currency is {shown(currency)}; claude-quote prices in USD only")
    texts = {
        key: _text(row, key)
        for key in (
            "cost_type",
            "token_type",
            "service_tier",
            "model",
            "context_window",
            "inference_geo",
            "description",
            "workspace_id",
        )
    }
    return CostRow(
        where=where, line=line, starting_at=start, ending_at=end, cents=cents, currency="USD", **texts
    )
