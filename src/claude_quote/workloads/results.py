"""Reading Message Batches results JSONL: one validated :class:`BatchResult` per line, streamed.

Each line of a results file (``client.messages.batches.results(batch_id)``, or the file behind the
batch's ``results_url``) is one request's outcome::

    {"custom_id": "a", "result": {"type": "succeeded", "message": {"model": "...", "usage": {...}}}}
    {"custom_id": "b", "result": {"type": "errored", "error": {"type": "error", "error": {...}}}}
    {"custom_id": "c", "result": {"type": "canceled"}}
    {"custom_id": "d", "result": {"type": "expired"}}

Only ``succeeded`` requests are billed. Their model comes from ``result.message.model`` and their
usage from ``result.message.usage`` (:meth:`claude_quote.usage.Usage.from_api`): uncached input,
the ``cache_creation`` 5-minute / 1-hour split (or ``cache_creation_input_tokens`` as 5-minute writes
when an older response has no split, flagged on the line), cache reads, output and web searches; and
the way the request ran, as the API wrote it (``inference_geo``, ``speed``, ``service_tier``).

This module only reads: the model name and the modifiers are passed on as written, and pricing them
(:mod:`claude_quote.reconcile`) is where an unknown model or modifier becomes an error.

A line that is not valid JSON, has no ``custom_id``, an unknown result type, a usage without the API's
token counts (``{}``, or another API's ``prompt_tokens``) or a token count that is not a whole number
of 0 or more is a :class:`~claude_quote.errors.WorkloadError` naming the file and line; with
``skip_invalid`` it is skipped and recorded instead.

>>> import json, tempfile, pathlib
>>> line = {"custom_id": "q1", "result": {"type": "succeeded", "message": {
...     "model": "claude-sonnet-4-6", "usage": {"input_tokens": 1200, "output_tokens": 300}}}}
>>> path = pathlib.Path(tempfile.mkdtemp()) / "results.jsonl"
>>> _ = path.write_text(json.dumps(line) + "\\n" + json.dumps({"custom_id": "q2", "result": {"type": "expired"}}))
>>> [(r.custom_id, r.type, r.model, r.usage and r.usage.input_tokens) for r in ResultsReader(path)]
[('q1', 'succeeded', 'claude-sonnet-4-6', 1200), ('q2', 'expired', None, None)]
"""

from __future__ import annotations

import stat
import tempfile
import weakref
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, NoReturn, cast, get_args

from pydantic import BaseModel, ConfigDict

from claude_quote.errors import WorkloadError
from claude_quote.money import MAX_COUNT
from claude_quote.parsing import loads_json, loads_json_fast, shown
from claude_quote.usage import Usage

from .files import STDIN, iter_lines, open_input
from .unique import Duplicate, DuplicateIds

__all__ = [
    "MAX_SKIPPED_SHOWN",
    "RESULT_TYPES",
    "BatchResult",
    "GroupSums",
    "InvalidLine",
    "ResultSums",
    "ResultType",
    "ResultsReader",
    "TierOf",
    "TiersFor",
    "check_token_count",
    "no_result_lines",
]

ResultType = Literal["succeeded", "errored", "canceled", "expired"]
RESULT_TYPES: tuple[str, ...] = get_args(ResultType)
"""Every result type the Message Batches API writes. Only ``succeeded`` is billed."""

MAX_SKIPPED_SHOWN = 20
"""How many skipped lines a reader remembers in detail (all are counted)."""

_USAGE_COUNTS = ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
_SPLIT_COUNTS = ("ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens")
_TOOL_COUNTS = ("web_search_requests", "web_fetch_requests", "code_execution_requests")
_FOREIGN = ("prompt_tokens", "completion_tokens", "total_tokens")
"""Usage keys of other APIs (OpenAI's): a file of those is not a Claude results file."""


class InvalidLine(BaseModel):
    """A line that was skipped (``--skip-invalid``), and why."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    line: int | None
    """1-based line number in the file; None in a whole-file JSON export (the reason says where)."""
    reason: str
    """What was wrong with it, quoting the value."""


@dataclass(slots=True)
class BatchResult:
    """One validated line of a results file (treat as read-only)."""

    line: int
    """1-based line number."""
    custom_id: str
    """The request's ``custom_id``."""
    type: ResultType
    """``succeeded``, ``errored``, ``canceled`` or ``expired``."""
    model: str | None = None
    """The model that answered, as ``result.message.model`` names it (succeeded only)."""
    usage: Usage | None = None
    """Billed usage (succeeded only)."""
    cache_split_missing: bool = False
    """Cache writes were reported without the 5m/1h split, so they were taken as 5-minute writes."""
    inference_geo: object = None
    """``usage.inference_geo`` as written (``global``, ``us``, ``not_available`` or absent)."""
    speed: object = None
    """``usage.speed`` as written (``standard``, ``fast`` or absent)."""
    service_tier: object = None
    """``usage.service_tier`` as written (``batch`` for batch results)."""
    error_type: str | None = None
    """For ``errored``: the API error type (``invalid_request_error``, ``overloaded_error``, ...)."""


def check_token_count(value: object, where: str, *, noun: str = "token counts") -> str | None:
    """Why ``value`` is not a valid token count (a JSON integer from 0 to :data:`~claude_quote.money.MAX_COUNT`),
    or None when it is fine.

    >>> check_token_count(12, "usage.input_tokens") is None
    True
    >>> check_token_count(-5, "usage.output_tokens")
    'usage.output_tokens is -5; token counts must be whole numbers of 0 or more'
    >>> check_token_count("12", "usage.input_tokens")
    'usage.input_tokens is "12"; token counts must be whole numbers of 0 or more'
    """
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value > MAX_COUNT:
        return f"{where} is {_digits(value)}; more than {MAX_COUNT:,} is not a real count"
    return f"{where} is {shown(value)}; {noun} must be whole numbers of 0 or more"


def no_result_lines(path: str, skipped: int) -> WorkloadError:
    """The error of a results file without a result line (never a silent $0): ``skipped`` invalid
    lines were skipped."""
    shown_skipped = f" ({skipped:,} invalid skipped)" if skipped else ""
    return WorkloadError(
        f"the results file holds no result lines{shown_skipped}; expected one "
        '{"custom_id": ..., "result": {...}} per line',
        path=path,
    )


def _digits(value: int) -> str:
    """A large integer as a message shows it: whole when short, else its first digits and length."""
    text = str(value)
    return text if len(text) <= 30 else f"{text[:12]}… ({len(text):,} digits)"


class _Invalid(Exception):
    """A line is invalid for the reason given (skippable)."""


class _Unusual(Exception):
    """The fast path met something unusual: the line is read again the careful way."""


_UNUSUAL = _Unusual()
_UNBILLED = ("errored", "canceled", "expired")

TierOf = Callable[[int], int]
"""A request's tier from its prompt tokens (the pricing engine's rule, handed to the reader)."""
TiersFor = Callable[[str, object, object, int, str], "TierOf | None"]
"""``tiers_for(model, inference_geo, speed, line, custom_id)``: how the succeeded requests of a model
that ran that way split into tiers (None: they do not). Called at the first line of each such
combination; it may raise a :class:`~claude_quote.errors.WorkloadError` for that line."""

_Key = tuple[object, object, object, object]
"""(model, inference_geo, speed, service_tier) as a line wrote them."""


@dataclass(slots=True)
class GroupSums:
    """Succeeded requests of one model that ran one way, in one tier: how many, and their buckets."""

    model: str
    """``result.message.model`` as written."""
    inference_geo: object
    """``usage.inference_geo`` as written."""
    speed: object
    """``usage.speed`` as written."""
    tier: int
    """The tier ``tiers_for`` put them in (0 without tiers)."""
    first_line: int
    """The first line that added to it."""
    requests: int
    buckets: tuple[int, int, int, int, int, int]
    """Summed, in the order of :data:`~claude_quote.usage.BUCKETS`."""


@dataclass(slots=True)
class ResultSums:
    """What a results file adds up to (:meth:`ResultsReader.sums`), no line kept."""

    counts: dict[str, int]
    """Lines by result type."""
    errors: dict[str, int]
    """Errored lines by API error type (``unknown`` when the line did not say)."""
    groups: list[GroupSums]
    """Succeeded requests by model, ``inference_geo``, ``speed`` and tier, in order of first line."""
    service_tiers: dict[str, int]
    """Succeeded lines whose ``usage.service_tier`` is there and is not ``batch``, by its value."""
    cache_split_missing: int
    """Succeeded lines whose cache writes had no 5m/1h split (taken as 5-minute writes)."""
    cache_split_missing_tokens: int
    """Their cache-write tokens."""


class _Tally:
    """The running sums of one pass. A sums list is ``[requests, six buckets..., first line]``."""

    def __init__(self, tiers_for: TiersFor) -> None:
        self.tiers_for = tiers_for
        self.counts: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        self.flat: dict[_Key, list[int]] = {}
        """Keys whose model has no tiers: their sums (the hot path adds to them inline)."""
        self.tiered: dict[_Key, tuple[TierOf, dict[int, list[int]]]] = {}
        self.missing = 0
        self.missing_tokens = 0

    def unbilled(self, kind: str, error_type: str | None) -> None:
        if kind == "errored":
            name = error_type or "unknown"
            self.errors[name] = self.errors.get(name, 0) + 1
        self.counts[kind] = self.counts.get(kind, 0) + 1

    def add_line(self, line: BatchResult) -> None:
        """One line read the careful way."""
        if line.usage is None:
            self.unbilled(line.type, line.error_type)
            return
        model, geo, speed = str(line.model), line.inference_geo, line.speed
        key = (model, geo, speed, _hashable(line.service_tier))
        try:
            hash(key)
        except TypeError:  # no card takes such an inference_geo or speed: tiers_for raises, as a rule
            self.tiers_for(model, geo, speed, line.line, line.custom_id)
            key = (model, _hashable(geo), _hashable(speed), key[3])
        self.add(key, line.usage.buckets(), line.line, line.custom_id)
        if line.cache_split_missing:
            self.missing += 1
            self.missing_tokens += line.usage.cache_write_5m_tokens

    def add(self, key: _Key, b: tuple[int, ...], line: int, custom_id: str) -> None:
        """One succeeded request; a key not seen before asks ``tiers_for`` (which may raise)."""
        sums = self.flat.get(key)
        if sums is None:
            found = self.tiered.get(key)
            if found is None:
                model, geo, speed, _ = key
                tier_of = self.tiers_for(str(model), geo, speed, line, custom_id)
                if tier_of is None:
                    sums = self.flat[key] = [0, 0, 0, 0, 0, 0, 0, line]
                else:
                    found = self.tiered[key] = (tier_of, {})
            if found is not None:
                tier = found[0](b[0] + b[1] + b[2] + b[3])
                sums = found[1].get(tier)
                if sums is None:
                    sums = found[1][tier] = [0, 0, 0, 0, 0, 0, 0, line]
        assert sums is not None
        sums[0] += 1
        for index in range(6):
            sums[index + 1] += b[index]

    def result(self) -> ResultSums:
        entries = [(key, 0, sums) for key, sums in self.flat.items()]
        for key, (_, tiers) in self.tiered.items():
            entries.extend((key, tier, sums) for tier, sums in tiers.items())
        entries.sort(key=lambda entry: entry[2][7])
        service: dict[str, int] = {}
        merged: dict[tuple[object, object, object, int], list[int]] = {}
        names: dict[tuple[object, object, object, int], tuple[str, object, object]] = {}
        for (model, geo, speed, service_tier), tier, sums in entries:
            if service_tier is not None and service_tier != "batch":
                service[str(service_tier)] = service.get(str(service_tier), 0) + sums[0]
            group_key = (model, geo, speed, tier)
            found = merged.get(group_key)
            if found is None:
                merged[group_key] = list(sums)
                names[group_key] = (str(model), geo, speed)
            else:
                for index in range(7):
                    found[index] += sums[index]
        groups = [
            GroupSums(*names[k], k[3], s[7], s[0], (s[1], s[2], s[3], s[4], s[5], s[6]))
            for k, s in merged.items()
        ]
        counts = dict(self.counts)
        succeeded = sum(g.requests for g in groups)
        if succeeded:
            counts["succeeded"] = succeeded
        return ResultSums(
            counts=counts,
            errors=dict(self.errors),
            groups=groups,
            service_tiers=service,
            cache_split_missing=self.missing,
            cache_split_missing_tokens=self.missing_tokens,
        )


class _Copying:
    """A stream read once, copied line by line into ``copy`` as it is read (for :meth:`readline`, the
    one way the readers read)."""

    def __init__(self, source: IO[bytes], copy: IO[bytes]) -> None:
        self.source, self.copy = source, copy

    def readline(self, size: int = -1) -> bytes:
        line = self.source.readline(size)
        self.copy.write(line)
        return line

    def close(self) -> None:
        self.copy.flush()
        self.source.close()

    def __enter__(self) -> _Copying:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _no_tiers(model: str, geo: object, speed: object, line: int, custom_id: str) -> TierOf | None:
    return None


def _hashable(value: object) -> object:
    try:
        hash(value)
    except TypeError:
        return str(value)
    return value


class ResultsReader:
    """Read a results JSONL file: :meth:`sums` adds it up without keeping a line; iterating yields
    one validated :class:`BatchResult` per line.

    Afterwards ``skipped`` counts the lines skipped with ``skip_invalid`` and ``skipped_lines`` holds
    the first :data:`MAX_SKIPPED_SHOWN` of them with their reasons.

    Repeated custom_ids are found exactly, in memory that does not grow with the file
    (:class:`~claude_quote.workloads.unique.DuplicateIds`): the ids of suspect lines are read back from
    the file, so a pipe is copied to a temporary file as it is read. Errors come in line order, as if
    each line were checked against the lines before it.

    Raises (while reading):
        WorkloadError: the file cannot be read, or a line is invalid (without ``skip_invalid``).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        skip_invalid: bool = False,
        start: int = 0,
        end: int | None = None,
        first_line: int = 1,
        ids: Callable[[], DuplicateIds] = DuplicateIds,
    ) -> None:
        self.path = Path(path)
        self.skip_invalid = skip_invalid
        self.start, self.end, self.first_line = start, end, first_line
        """Read only the lines from byte ``start`` (a line's first byte) to ``end`` (None: the end),
        numbered from ``first_line``: a piece of the file (:mod:`claude_quote.scale`)."""
        self.ids = ids
        """Makes the index of custom_ids of each pass (a piece's reader passes one that keeps its
        records, with a hash that is the same in every process, to compare ids across pieces)."""
        self.skipped = 0
        self.skipped_lines: list[InvalidLine] = []
        self._repeats: dict[int, Duplicate] | None = None
        self._spool: IO[bytes] | None = None

    # -- the file -------------------------------------------------------------------------------

    def _open(self) -> IO[bytes]:
        """The input, opened again each time it is read. Standard input, a pipe or a device can be
        read once: the first reading keeps a copy of the lines it reads in a temporary file (as it reads
        them: a line over the cap, or a stream without end, is refused as ever), which later readings
        read (the ids of suspect lines, read back)."""
        name = str(self.path)
        if self._spool is not None:
            return Path(self._spool.name).open("rb", buffering=1 << 20)
        try:
            regular = name != STDIN and stat.S_ISREG(self.path.stat().st_mode)
        except OSError:
            regular = True  # open_input says why it cannot be read
        try:
            handle = open_input(self.path)
        except WorkloadError as exc:
            raise WorkloadError(
                f"cannot read results file: {exc.args[0].removeprefix(name + ': ')}", path=name
            ) from None
        if regular:
            return handle
        self._spool = tempfile.NamedTemporaryFile(prefix="claude-quote-results-")  # noqa: SIM115
        weakref.finalize(self, self._spool.close)  # removed with the reader
        return cast(IO[bytes], _Copying(handle, self._spool))

    def _lines(self, handle: IO[bytes]) -> Iterator[tuple[int, bytes]]:
        """The lines of the file, or of the piece from ``start`` to ``end``, under the line cap."""
        if self.start:
            handle.seek(self.start)
        stop = None if self.end is None else self.end - self.start
        return iter_lines(handle, str(self.path), number=self.first_line - 1, stop=stop)

    def _ids_at(self, lines: Collection[int]) -> dict[int, str]:
        """The custom_ids of ``lines`` (lines read as valid), read again."""
        wanted = set(lines)
        out: dict[int, str] = {}
        with self._open() as handle:
            for number, raw in self._lines(handle):
                if number in wanted:
                    out[number] = loads_json(raw, line=number)["custom_id"]
                    if len(out) == len(wanted):
                        break
        return out

    def _empty(self, read: int) -> None:
        """Never a silent $0: a whole file without a result line is not a batch that cost nothing."""
        if not read and self.start == 0 and self.end is None:  # a piece may hold only blank lines
            raise no_result_lines(str(self.path), self.skipped)

    # -- iterating ------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[BatchResult]:
        if self._repeats is None:
            self._scan(_no_tiers, strict=False)  # the repeated ids first, so each line is judged at once
        yield from self._known(self._repeats or {})

    def _known(self, repeats: Mapping[int, Duplicate]) -> Iterator[BatchResult]:
        """Every line, careful, with the repeated ids known."""
        self._reset()
        name = str(self.path)
        read = 0
        with self._open() as handle:
            for number, raw in self._lines(handle):
                if raw.isspace():
                    continue
                try:
                    custom_id, kind, result = self._head(raw, number)
                    repeat = repeats.get(number)
                    if repeat is not None:
                        raise _Invalid(repeat.message)
                    parsed = self._body(custom_id, kind, result, number)
                except _Invalid as exc:
                    if not self.skip_invalid:
                        raise WorkloadError(str(exc), path=name, line=number) from None
                    self._skip(number, str(exc))
                    continue
                read += 1
                yield parsed
        self._empty(read)

    # -- adding up ------------------------------------------------------------------------------

    def sums(self, tiers_for: TiersFor) -> ResultSums:
        """Add the file up without keeping its lines: lines by result type and error type, and the
        succeeded requests' buckets by model, ``inference_geo``, ``speed`` and tier.

        ``tiers_for`` says how each model, run each way, splits requests into tiers; an error it
        raises is raised as it is, unless an earlier line is in error (errors come in line order).
        """
        return self._scan(tiers_for, strict=True)

    def _reset(self) -> None:
        self.skipped = 0
        self.skipped_lines = []

    def _skip(self, number: int, reason: str) -> None:
        self.skipped += 1
        if len(self.skipped_lines) < MAX_SKIPPED_SHOWN:
            self.skipped_lines.append(InvalidLine(line=number, reason=reason))

    def _scan(self, tiers_for: TiersFor, *, strict: bool) -> ResultSums:
        """One pass that records every custom_id, then the repeated ones, exactly.

        With ``strict`` (adding up), an invalid line is raised or skipped, and so is a repeated id: with
        ``skip_invalid`` the file is then added up again without the repeats. Without it (before
        iterating), nothing is raised or counted: only the repeats are kept.
        """
        ids = self.ids()
        try:
            tally = self._pass(_Tally(tiers_for), ids, strict=strict)
            repeats = ids.find(self._ids_at)
        finally:
            ids.close()
        self._repeats = repeats
        if not strict or not repeats:
            return tally.result()
        if not self.skip_invalid:
            first = next(iter(repeats.values()))
            raise WorkloadError(first.message, path=str(self.path), line=first.line)
        tally = _Tally(tiers_for)
        for line in self._known(repeats):
            tally.add_line(line)
        return tally.result()

    def _pass(self, tally: _Tally, ids: DuplicateIds, *, strict: bool) -> _Tally:
        """Every line: the usual shape on the fast path (the same checks, inline), anything else
        the careful way (:meth:`_careful`)."""
        self._reset()
        counts, errors, flat = tally.counts, tally.errors, tally.flat
        loads = loads_json_fast  # orjson, where its value is json's (else it raises: the careful way)
        hashes, lines, hash_of, capacity = ids.hashes, ids.lines, ids.hash, ids.memory_records
        read = 0
        with self._open() as handle:
            for number, raw in self._lines(handle):
                try:
                    data = loads(raw)
                    custom_id = data["custom_id"]
                    result = data["result"]
                    kind = result.get("type")
                    if type(custom_id) is not str or not custom_id:
                        raise _UNUSUAL
                    if kind == "succeeded":
                        message = result["message"]
                        model = message["model"]
                        usage = message["usage"]
                        i = usage["input_tokens"]
                        o = usage["output_tokens"]
                        w = usage.get("cache_creation_input_tokens", 0)
                        r = usage.get("cache_read_input_tokens", 0)
                        split = usage.get("cache_creation")
                        if type(split) is dict and split:
                            w5 = split.get("ephemeral_5m_input_tokens", 0)
                            w1 = split.get("ephemeral_1h_input_tokens", 0)
                            if type(w5) is not int or type(w1) is not int or w != w5 + w1:
                                raise _UNUSUAL
                            missing = 0
                        elif split is None:
                            w5, w1, missing = w, 0, w
                        else:
                            raise _UNUSUAL
                        if (
                            type(model) is not str
                            or not model
                            or type(i) is not int
                            or type(o) is not int
                            or type(w) is not int
                            or type(r) is not int
                            or not 0 <= (i | o | r | w | w5 | w1) <= MAX_COUNT
                        ):
                            raise _UNUSUAL
                        tools = usage.get("server_tool_use")
                        s = 0 if tools is None else _searches(tools)
                        key = (
                            model,
                            usage.get("inference_geo"),
                            usage.get("speed"),
                            usage.get("service_tier"),
                        )
                        sums = flat.get(key)
                    elif kind not in _UNBILLED:
                        raise _UNUSUAL
                except Exception:
                    if self._careful(tally, raw, number, ids, strict=strict):
                        read += 1
                    hashes, lines = ids.hashes, ids.lines
                    continue
                read += 1
                hashes.append(hash_of(custom_id))
                lines.append(number)
                if len(hashes) >= capacity:
                    ids.spill()
                    hashes, lines = ids.hashes, ids.lines
                if kind != "succeeded":
                    if kind == "errored":
                        error_type = _error_type(result) or "unknown"
                        errors[error_type] = errors.get(error_type, 0) + 1
                    counts[kind] = counts.get(kind, 0) + 1
                    continue
                if sums is None:
                    self._add(tally, key, (i, w5, w1, r, o, s), number, custom_id, ids, strict=strict)
                else:
                    sums[0] += 1
                    sums[1] += i
                    sums[2] += w5
                    sums[3] += w1
                    sums[4] += r
                    sums[5] += o
                    sums[6] += s
                if missing:
                    tally.missing += 1
                    tally.missing_tokens += missing
        if strict:
            self._empty(read)
        return tally

    def _careful(self, tally: _Tally, raw: bytes, number: int, ids: DuplicateIds, *, strict: bool) -> bool:
        """One line with every check and message; its id recorded as :class:`DuplicateIds` needs.
        Whether it was a valid result line."""
        if raw.isspace():
            return False
        try:
            custom_id, kind, result = self._head(raw, number)
        except _Invalid as exc:
            self._invalid(str(exc), number, ids, strict=strict, upto=number - 1)
            return False
        try:
            line = self._body(custom_id, kind, result, number)
        except _Invalid as exc:
            ids.add(custom_id, number, first=False)
            self._invalid(str(exc), number, ids, strict=strict, upto=number)
            return False
        ids.add(custom_id, number)
        if strict:
            self._priced(lambda: tally.add_line(line), number, ids)
        else:
            tally.add_line(line)
        return True

    def _add(
        self,
        tally: _Tally,
        key: _Key,
        b: tuple[int, ...],
        number: int,
        custom_id: str,
        ids: DuplicateIds,
        *,
        strict: bool,
    ) -> None:
        """A succeeded request whose key is new or has tiers (``tiers_for`` may raise)."""
        if strict:
            self._priced(lambda: tally.add(key, b, number, custom_id), number, ids)
        else:
            tally.add(key, b, number, custom_id)

    def _priced(self, add: Callable[[], None], number: int, ids: DuplicateIds) -> None:
        """Run ``add``; its error is the line's, unless the line repeats an id: then (with
        ``skip_invalid``) it is skipped as a repeat, and the file is added up again without it."""
        try:
            add()
        except WorkloadError as exc:
            if not self.skip_invalid:
                self._fail(exc, ids, upto=number)
            if number in ids.find(self._ids_at, upto=number):
                return
            raise

    def _invalid(self, reason: str, number: int, ids: DuplicateIds, *, strict: bool, upto: int) -> None:
        if not strict:
            return
        if not self.skip_invalid:
            self._fail(WorkloadError(reason, path=str(self.path), line=number), ids, upto=upto)
        self._skip(number, reason)

    def _fail(self, error: WorkloadError, ids: DuplicateIds, *, upto: int) -> NoReturn:
        """Raise ``error``, or the error of the first repeated id up to line ``upto``."""
        repeats = ids.find(self._ids_at, upto=upto)
        if repeats:
            first = next(iter(repeats.values()))
            raise WorkloadError(first.message, path=str(self.path), line=first.line) from None
        raise error

    # -- one line, careful -------------------------------------------------------------------------

    def _head(self, raw: bytes, number: int) -> tuple[str, str, dict[str, Any]]:
        """The checks before a line's custom_id is compared with the others'."""
        try:
            data = loads_json(raw, line=number)
        except WorkloadError as exc:
            raise _Invalid(str(exc)) from None
        if not isinstance(data, dict):
            raise _Invalid(f"expected a JSON object with custom_id and result, got {_kind(data)}")
        custom_id = data.get("custom_id")
        if custom_id is None:
            raise _Invalid("missing custom_id")
        if not isinstance(custom_id, str) or not custom_id:
            raise _Invalid(f"custom_id must be a non-empty string, got {shown(custom_id)}")
        result = data.get("result")
        if not isinstance(result, dict):
            raise _Invalid(f"custom_id {custom_id!r} has no result object")
        kind = result.get("type")
        if kind not in RESULT_TYPES:
            what = "no type" if kind is None else f"unknown result type {shown(kind)}"
            raise _Invalid(
                f"custom_id {custom_id!r}: {what}; expected succeeded, errored, canceled or expired"
            )
        return custom_id, kind, result

    def _body(self, custom_id: str, kind: str, result: dict[str, Any], number: int) -> BatchResult:
        """The checks after it."""
        if kind == "succeeded":
            return self._succeeded(custom_id, result, number)
        if kind == "errored":
            return BatchResult(number, custom_id, "errored", error_type=_error_type(result))
        return BatchResult(number, custom_id, cast(ResultType, kind))

    def _succeeded(self, custom_id: str, result: Mapping[str, Any], number: int) -> BatchResult:
        message = result.get("message")
        if not isinstance(message, dict):
            raise _Invalid(f"custom_id {custom_id!r}: a succeeded result needs result.message")
        model_name = message.get("model")
        if not isinstance(model_name, str) or not model_name:
            raise _Invalid(f"custom_id {custom_id!r}: result.message.model is {shown(model_name)}")
        usage = message.get("usage")
        if not isinstance(usage, dict):
            raise _Invalid(f"custom_id {custom_id!r}: result.message.usage is missing")
        _check_usage(usage)
        return BatchResult(
            number,
            custom_id,
            "succeeded",
            model=model_name,
            usage=Usage.from_api(usage),
            cache_split_missing=Usage.lacks_cache_split(usage),
            inference_geo=usage.get("inference_geo"),
            speed=usage.get("speed"),
            service_tier=usage.get("service_tier"),
        )


def _searches(tools: object) -> int:
    """``server_tool_use.web_search_requests`` when every count there is fine (else: careful)."""
    if type(tools) is not dict:
        raise _UNUSUAL
    for key in _TOOL_COUNTS:
        value = tools.get(key, 0)
        if type(value) is not int or not 0 <= value <= MAX_COUNT:
            raise _UNUSUAL
    searches: int = tools.get("web_search_requests", 0)
    return searches


def _count_ok(value: object) -> bool:
    return type(value) is int and 0 <= value <= MAX_COUNT


def _check_usage(usage: Mapping[str, Any]) -> None:
    if "input_tokens" not in usage and "output_tokens" not in usage:
        foreign = [key for key in _FOREIGN if key in usage]
        hint = f" (it has {', '.join(foreign)}: another API's usage?)" if foreign else ""
        raise _Invalid(
            f"usage has neither input_tokens nor output_tokens{hint}; a Claude result's usage "
            "reports both, so its cost cannot be known"
        )
    for key in _USAGE_COUNTS:
        value = usage.get(key)
        if value is not None and not _count_ok(value):
            raise _Invalid(check_token_count(value, f"usage.{key}"))
    split = usage.get("cache_creation")
    if split is not None:
        if not isinstance(split, dict):
            raise _Invalid(f"usage.cache_creation must be an object, got {_kind(split)}")
        parts = 0
        for key in _SPLIT_COUNTS:
            value = split.get(key)
            if value is None:
                continue
            if not _count_ok(value):
                raise _Invalid(check_token_count(value, f"usage.cache_creation.{key}"))
            parts += value
        total = usage.get("cache_creation_input_tokens")
        if split and total is not None and total != parts:
            raise _Invalid(
                f"usage.cache_creation splits {parts:,} cache-write tokens but "
                f"usage.cache_creation_input_tokens is {total:,}"
            )
    tools = usage.get("server_tool_use")
    if tools is not None:
        if not isinstance(tools, dict):
            raise _Invalid(f"usage.server_tool_use must be an object, got {_kind(tools)}")
        for key in _TOOL_COUNTS:
            value = tools.get(key)
            if value is not None and not _count_ok(value):
                raise _Invalid(check_token_count(value, f"usage.server_tool_use.{key}", noun="counts"))


def _error_type(result: Mapping[str, Any]) -> str | None:
    outer = result.get("error")
    if not isinstance(outer, dict):
        return None
    inner = outer.get("error")
    kind = inner.get("type") if isinstance(inner, dict) else outer.get("type")
    return kind if isinstance(kind, str) else None


def _kind(value: object) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")
