"""Workloads: what runs, on which model, how often, and how it grows. Read from a spec file or an estimate.

A :class:`Workload` is the unit projections price: a model, the token usage of its requests, a volume
(requests per day, week or month) and a monthly growth rate. Workloads come from

- a **workload spec** (TOML, ``schema_version = 1``, one ``[[workloads]]`` table each) read by
  :func:`load_workload_spec` and validated by :class:`WorkloadSpec`; its JSON Schema is
  ``examples/workloads.schema.json`` (``python -m claude_quote.schemas`` regenerates it);
- the JSON of ``claude-quote estimate --format json``, read by :func:`workloads_from_estimate` (one
  workload per model, at the estimate's average request);
- Python: ``Workload(name=..., model=..., usage=Usage(...), requests=..., per=...)``.

This module is core: it imports neither typer, rich nor pandas.

>>> from claude_quote.usage import Usage
>>> w = Workload(name="chat", model="sonnet-4.6", usage=Usage(input_tokens=2_000, output_tokens=500),
...              requests=1_000, per="day", growth_percent=5)
>>> w.requests, w.per, w.growth_percent
(Decimal('1000'), 'day', Decimal('5'))
>>> parse_volume("2.5k"), parse_volume("1,000")
(Decimal('2500'), Decimal('1000'))
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
    field_validator,
)

from .errors import UsageError, WorkloadError, invalid_fields
from .money import MAX_COUNT, plain, to_decimal
from .usage import Usage, parse_token_count
from .validation import read_toml, validate

__all__ = [
    "PERIODS",
    "Per",
    "TokensPerRequest",
    "Workload",
    "WorkloadEntry",
    "WorkloadSpec",
    "load_workload_spec",
    "parse_volume",
    "workloads_from_estimate",
]

Per = Literal["day", "week", "month"]
Geo = Literal["global", "us"]
PERIODS: tuple[Per, ...] = ("day", "week", "month")
"""The units a volume can be given in."""
AVERAGE_MONTH_DAYS = Decimal("30.4375")
"""Days in an average month: 365.25 ÷ 12 (the Gregorian year is 365.2425 days; we use the Julian 365.25)."""

_VOLUME = re.compile(r"^(?P<number>[0-9][0-9_,]*(?:\.[0-9]+)?)\s*(?P<suffix>[kmb]?)$", re.IGNORECASE)
_SUFFIXES = {"": 1, "k": 1_000, "m": 1_000_000, "b": 1_000_000_000}


def parse_volume(text: str, *, what: str = "requests") -> Decimal:
    """A number of requests: ``1000``, ``2.5k``, ``1,000``, ``0.5`` (fractions allowed; never negative).

    >>> parse_volume("0.5"), parse_volume("3M")
    (Decimal('0.5'), Decimal('3000000'))
    >>> parse_volume("-5")
    Traceback (most recent call last):
    ...
    claude_quote.errors.UsageError: requests '-5' is negative; a volume must be 0 or more
    """
    raw = text.strip()
    if raw.startswith("-"):
        raise UsageError(f"{what} {text!r} is negative; a volume must be 0 or more")
    match = _VOLUME.match(raw)
    if not match:
        raise UsageError(f"{what} {text!r} is not a number of requests; write e.g. 1000, 2.5k or 1,000")
    number = match["number"].replace(",", "").replace("_", "")
    value = Decimal(number) * _SUFFIXES[match["suffix"].lower()]
    if value > MAX_COUNT:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise UsageError(f"{what} {shown!r} is more than {MAX_COUNT:,}; no real volume is that large")
    return plain(value)


def _decimal(what: str) -> BeforeValidator:
    def convert(value: object) -> Decimal:
        try:
            return to_decimal(value, what=what)
        except TypeError as exc:  # pydantic reports ValueError, not TypeError
            raise ValueError(str(exc)) from None

    return BeforeValidator(convert)


def _volume_in(value: object) -> object:
    if isinstance(value, str):
        try:
            return parse_volume(value)
        except UsageError as exc:
            raise ValueError(str(exc)) from None
    return value


def _tokens_in(value: object) -> object:
    if isinstance(value, str):
        try:
            return parse_token_count(value)
        except UsageError as exc:
            raise ValueError(str(exc)) from None
    return value


_DecimalOut = PlainSerializer(lambda d: format(d, "f"), return_type=str)

Requests = Annotated[
    Decimal,
    _decimal(
        "requests"
    ),  # before-validators run last-listed first: a "2.5k" string is parsed, then converted
    BeforeValidator(_volume_in),
    Field(ge=0),
    _DecimalOut,
    WithJsonSchema({"type": ["number", "string"], "minimum": 0}),
]
"""A volume: a non-negative decimal (TOML numbers are read as exact decimals) or a string like "2.5k"."""

Growth = Annotated[
    Decimal,
    _decimal("growth_percent"),
    Field(gt=-100),
    _DecimalOut,
    WithJsonSchema({"type": ["number", "string"], "exclusiveMinimum": -100}),
]
Share = Annotated[
    Decimal,
    _decimal("share"),
    Field(ge=0, le=1),
    _DecimalOut,
    WithJsonSchema({"type": ["number", "string"], "minimum": 0, "maximum": 1}),
]
Tokens = Annotated[
    int,
    BeforeValidator(_tokens_in),
    Field(ge=0, le=MAX_COUNT, strict=True),
    WithJsonSchema({"type": ["integer", "string"], "minimum": 0, "maximum": MAX_COUNT}),
]


class _Model(BaseModel):
    # Attribute docstrings document the fields; schemas.py copies them into the JSON Schema (reading them
    # here with use_attribute_docstrings=True parses the module's source at every start-up).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Workload(_Model):
    """Requests of one kind on one model: their usage, their volume and how the volume grows.

    ``usage`` is the total usage of ``sample_requests`` requests (one request by default), so the
    average request of an estimate is kept exactly; projections scale it by the month's requests.
    """

    if not TYPE_CHECKING:  # type checkers keep the typed keyword arguments of each field

        def __init__(self, /, **data: Any) -> None:
            """A bad field is a :class:`~claude_quote.errors.UsageError` (a ``ValueError``) naming it."""
            try:
                self.__pydantic_validator__.validate_python(data, self_instance=self)
            except ValidationError as exc:
                errors = exc.errors(include_url=False)
                field = str(errors[0]["loc"][0]) if errors and errors[0]["loc"] else None
                raise UsageError(f"invalid Workload: {invalid_fields(errors)}", field=field) from None

    name: str = Field(min_length=1)
    """A label for reports (``support-chat``)."""
    model: str = Field(min_length=1)
    """Any model name: API id, short name (``sonnet-4.6``) or family (``sonnet``: newest on the start date)."""
    usage: Usage
    """Token usage of ``sample_requests`` requests (of one request by default)."""
    sample_requests: int = Field(default=1, ge=1, strict=True)
    """How many requests ``usage`` covers; the average request is ``usage / sample_requests``."""
    requests: Requests
    """Requests per ``per`` in the first month."""
    per: Per = "month"
    """The unit of ``requests``: ``day``, ``week`` or ``month``."""
    growth_percent: Growth = Decimal(0)
    """Growth of the volume in % per month, compounding; above -100."""
    batch_share: Share | None = None
    """Share of the requests sent through the Batch API in the blended plan (0 to 1); the rest run in
    real time. None: all of them (1)."""
    cache_hit_rate: Share | None = None
    """Share (0 to 1) of the cacheable prompt read from the cache in batch; None keeps the tokens as given."""
    geo: Geo = "global"
    """``us``: US-only inference (``inference_geo: "us"``, ×1.1 on models that accept it)."""
    fast: bool = False
    """Fast mode (``speed: "fast"``): fast-mode rates, real time only (the Batch API does not run it)."""

    @property
    def cacheable_tokens(self) -> int:
        """The cacheable prompt of ``usage``: cache reads + 5-minute + 1-hour cache writes."""
        return self.usage.cache_read_tokens + self.usage.cache_write_tokens


class TokensPerRequest(_Model):
    """Tokens of ONE request, in the buckets of the API's ``usage`` object. Counts may be written 2k, 1.5M."""

    input: Tokens = 0
    """Uncached input tokens (``usage.input_tokens``)."""
    output: Tokens = 0
    """Output tokens, thinking included (``usage.output_tokens``)."""
    cache_read: Tokens = 0
    """Tokens read from the prompt cache (``usage.cache_read_input_tokens``)."""
    cache_write_5m: Tokens = 0
    """Tokens written to the 5-minute cache."""
    cache_write_1h: Tokens = 0
    """Tokens written to the 1-hour cache."""
    web_searches: Tokens = 0
    """Web searches per request (billed per thousand)."""

    def to_usage(self) -> Usage:
        """The same counts as a :class:`~claude_quote.usage.Usage`."""
        return Usage(
            input_tokens=self.input,
            output_tokens=self.output,
            cache_read_tokens=self.cache_read,
            cache_write_5m_tokens=self.cache_write_5m,
            cache_write_1h_tokens=self.cache_write_1h,
            web_search_requests=self.web_searches,
        )


class WorkloadEntry(_Model):
    """One ``[[workloads]]`` table of a workload spec."""

    name: str = Field(min_length=1, max_length=100)
    """Unique label of the workload in reports."""
    model: str = Field(min_length=1)
    """Model name: API id (``claude-sonnet-4-6``), short name (``sonnet-4.6``) or family (``sonnet``, the
    newest Sonnet on the projection's start date)."""
    tokens: TokensPerRequest
    """Tokens of one request (``[workloads.tokens]``)."""
    requests: Requests
    """Requests per ``per`` in the first month: a number (``2000``, ``0.5``) or a string (``"2.5k"``)."""
    per: Per = "month"
    """The unit of ``requests``: ``day``, ``week`` or ``month``."""
    growth_percent: Growth = Decimal(0)
    """Growth of the volume in % per month, compounding (``5`` = ×1.05 each month); above -100."""
    batch_share: Share | None = None
    """Share of the requests that can go through the Batch API (0 to 1; e.g. 0.7); the rest is real-time,
    user-facing traffic. Omitted: 1 (everything batchable)."""
    cache_hit_rate: Share | None = None
    """Share (0 to 1) of the cacheable prompt (``cache_read`` + ``cache_write_5m`` + ``cache_write_1h``) that
    batch requests read from the cache; the rest is written to the 1-hour cache. Omitted: tokens as given."""
    geo: Geo = "global"
    """``us``: US-only inference (``inference_geo: "us"``, ×1.1 on Claude 4.6 and later)."""
    fast: bool = False
    """Fast mode (``speed: "fast"``): fast-mode rates, in real time only."""

    def to_workload(self) -> Workload:
        """The workload this entry describes."""
        return Workload(
            name=self.name,
            model=self.model,
            usage=self.tokens.to_usage(),
            requests=self.requests,
            per=self.per,
            growth_percent=self.growth_percent,
            batch_share=self.batch_share,
            cache_hit_rate=self.cache_hit_rate,
            geo=self.geo,
            fast=self.fast,
        )


class WorkloadSpec(_Model):
    """A workload spec file: named workloads, each with a model, tokens per request and a volume."""

    schema_version: Literal[1]
    """Version of this file format: 1."""
    workloads: tuple[WorkloadEntry, ...] = Field(json_schema_extra={"minItems": 1})
    """The workloads, one ``[[workloads]]`` table each (at least one); names must be unique."""

    @field_validator("workloads")
    @classmethod
    def _unique_names(cls, entries: tuple[WorkloadEntry, ...]) -> tuple[WorkloadEntry, ...]:
        # Checked here rather than with min_length, which would also report an empty tuple whenever
        # an entry is invalid.
        if not entries:
            raise ValueError("at least one [[workloads]] table is required")
        seen: set[str] = set()
        for entry in entries:
            if entry.name in seen:
                raise ValueError(f"workload name {entry.name!r} is used twice; names must be unique")
            seen.add(entry.name)
        return entries

    def to_workloads(self) -> list[Workload]:
        """Every entry as a :class:`Workload`, in file order."""
        return [entry.to_workload() for entry in self.workloads]


def load_workload_spec(path: str | Path) -> WorkloadSpec:
    """Read and validate a workload spec (TOML).

    Raises:
        ConfigError: the file is missing, not TOML, or breaks the schema; the message names the file
            and the key (``workloads[2] (batch-summaries).growth_percent``).
    """
    file = Path(path)
    return validate(WorkloadSpec, read_toml(file, what="workload spec"), origin=str(file))


_USAGE_KEYS = (
    "input_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "cache_read_tokens",
    "output_tokens",
    "web_search_requests",
)


def workloads_from_estimate(
    data: Mapping[str, Any] | str | Path,
    *,
    requests: Decimal | int | None = None,
    per: Per = "month",
    growth_percent: Decimal | int = 0,
    origin: str | None = None,
) -> list[Workload]:
    """One workload per model of an ``estimate`` report (``claude-quote estimate --format json``).

    Each model's requests keep the estimate's average size (``usage / requests``, exact) and its share
    of the estimate's requests: with ``requests`` (default: the estimate's own count) per ``per``, a
    model with 30 of the estimate's 100 requests gets 30% of that volume.

    Args:
        data: the parsed JSON, or the path of the file.
        requests: total requests per ``per`` over all models (default: the estimate's ``requests``, or
            the whole input's ``sample.population`` for an estimate made with ``--sample``).
        per: ``day``, ``week`` or ``month``.
        growth_percent: monthly growth in %, compounding.
        origin: the file name to quote in errors (default: the path, or ``estimate``).

    Raises:
        WorkloadError: not an estimate report, or a field is missing or invalid (the message names it).
    """
    if isinstance(data, str | Path):
        origin = origin or str(data)
        data = _read_json(Path(data), origin)
    origin = origin or "estimate"
    models, counts = _estimate_models(data, origin)
    assert isinstance(data, Mapping)
    total = sum(counts)
    sample = data.get("sample")
    if requests is None and isinstance(sample, dict) and type(sample.get("population")) is int:
        requests = sample["population"]  # a sampled estimate (--sample): the whole input's volume
    volume = to_decimal(requests if requests is not None else total, what="requests")
    growth = to_decimal(growth_percent, what="growth_percent")
    workloads = []
    for i, (entry, count) in enumerate(zip(models, counts, strict=True)):
        for name, usage, geo, fast, share in _model_parts(entry, count, f"by_model[{i}]", origin):
            workloads.append(
                Workload(
                    name=name,
                    model=entry["model"],
                    usage=usage,
                    sample_requests=share,
                    requests=_share(volume, share, total),
                    per=per,
                    growth_percent=growth,
                    geo=geo,
                    fast=fast,
                )
            )
    return workloads


def _read_json(path: Path, origin: str) -> Any:
    """The parsed report (:func:`~claude_quote.workloads.files.read_json_document`: bounded, and every
    JSON hazard a located error)."""
    from claude_quote.workloads.files import read_json_document

    try:
        return read_json_document(path, what="estimate report")
    except WorkloadError as exc:
        if exc.line is not None or "not valid JSON" in str(exc) or "not UTF-8" in str(exc):
            raise
        reason = str(exc).removeprefix(f"{exc.path}: ")
        raise WorkloadError(f"cannot read estimate: {reason}", path=origin) from None


def _estimate_models(data: object, origin: str) -> tuple[list[Mapping[str, Any]], list[int]]:
    """The ``by_model`` entries of an estimate report and their request counts, checked."""
    if not isinstance(data, Mapping):
        raise WorkloadError(
            "expected a JSON object written by `claude-quote estimate --format json`", path=origin
        )
    if data.get("kind") != "estimate":
        raise WorkloadError(
            f"kind is {data.get('kind')!r}, expected 'estimate' (the JSON of `claude-quote estimate --format json`)",
            path=origin,
        )
    if data.get("schema_version") != 1:
        raise WorkloadError(
            f"schema_version is {data.get('schema_version')!r}; this version of claude-quote reads 1",
            path=origin,
        )
    models = data.get("by_model")
    if not isinstance(models, list) or not models:
        raise WorkloadError("by_model: expected a non-empty list of models", path=origin)
    counts = [
        _count(entry, f"by_model[{i}]", origin, "requests", minimum=1) for i, entry in enumerate(models)
    ]
    total = sum(counts)
    declared = data.get("requests", total)
    if isinstance(declared, bool) or not isinstance(declared, int) or declared < 1:
        raise WorkloadError(f"requests: expected a whole number of at least 1, got {declared!r}", path=origin)
    if declared != total:
        raise WorkloadError(
            f"requests is {declared:,} but by_model requests add up to {total:,}", path=origin
        )
    for i, entry in enumerate(models):
        model = entry.get("model")
        if not isinstance(model, str) or not model:
            raise WorkloadError(f"by_model[{i}].model: expected a model id, got {model!r}", path=origin)
    return models, counts


_RUNS = {("global", "standard"): "", ("us", "standard"): "US-only", ("global", "fast"): "fast mode"}


def _model_parts(
    entry: Mapping[str, Any], count: int, where: str, origin: str
) -> list[tuple[str, Usage, Geo, bool, int]]:
    """One model's requests as (name, usage, geo, fast, requests): one part per way they run
    (``runs_as``; estimates before 2026.12 have none: all global, standard speed)."""
    model = entry["model"]
    runs = entry.get("runs_as") or [
        {"geo": "global", "speed": "standard", "requests": count, "usage": entry.get("usage")}
    ]
    if not isinstance(runs, list):
        raise WorkloadError(f"{where}.runs_as: expected a list", path=origin)
    parts = []
    for j, run in enumerate(runs):
        here = f"{where}.runs_as[{j}]" if entry.get("runs_as") else where
        geo, speed = (run.get("geo"), run.get("speed")) if isinstance(run, Mapping) else (None, None)
        if geo not in ("global", "us") or speed not in ("standard", "fast"):
            raise WorkloadError(f"{here}: expected geo global|us and speed standard|fast", path=origin)
        usage_raw = run.get("usage")
        if not isinstance(usage_raw, Mapping):
            raise WorkloadError(f"{here}.usage: expected an object of token counts", path=origin)
        usage = Usage(**{key: _count(usage_raw, f"{here}.usage", origin, key) for key in _USAGE_KEYS})
        label = _RUNS.get((geo, speed), "US-only, fast mode")
        name = model if len(runs) == 1 else f"{model} ({label or 'standard'})"
        parts.append((name, usage, geo, speed == "fast", _count(run, here, origin, "requests", minimum=1)))
    if sum(p[4] for p in parts) != count:
        raise WorkloadError(
            f"{where}.runs_as: requests add up to {sum(p[4] for p in parts):,}, not {count:,}", path=origin
        )
    return parts


def _count(entry: object, where: str, origin: str, key: str, *, minimum: int = 0) -> int:
    if not isinstance(entry, Mapping):
        raise WorkloadError(f"{where}: expected an object", path=origin)
    value = entry.get(key, 0 if minimum == 0 else None)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_COUNT:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "…"
        bound = (
            f"up to {MAX_COUNT:,}"
            if isinstance(value, int) and value > MAX_COUNT
            else f"of at least {minimum}"
        )
        raise WorkloadError(f"{where}.{key}: expected a whole number {bound}, got {shown}", path=origin)
    return value


def _share(volume: Decimal, count: int, total: int) -> Decimal:
    """``volume × count ÷ total`` to 60 significant digits (requests are rounded to whole ones per month)."""
    with decimal.localcontext(prec=60):
        return (volume * count / total).normalize()
