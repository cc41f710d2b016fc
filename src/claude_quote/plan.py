"""Before you submit a Message Batch: check every request, and split the file into batches the API takes.

:func:`plan` streams a Message Batches JSONL file (``*.jsonl.gz`` too) and reports every problem with
its line: custom_id format and uniqueness, the model (known, an API id, not retired, batchable),
``max_tokens`` (present, within the model's maximum output), the context window and price tiers (from
the estimator's offline token counts), and what a batch refuses (fast mode, streaming). It also plans
the split: greedy, in file order, a new part when the next line would go over the request or byte
limit of one batch. :func:`write_parts` writes that split, each part atomically, re-reads what it
wrote to prove no line was lost or duplicated, and writes ``manifest.json`` last.

A problem that makes the API reject a request (or the whole batch) is an ``error``; one that only
costs more, or rests on a fact marked UNCERTAIN in the price data, is a ``warning``. ``docs/plan.md``
lists the codes.

Sizes are measured on the body of the batch-create request, ``{"requests":[<line>,<line>,...]}``, with
every line as it is in the file: 14 bytes more than the part's JSONL (each line and its newline).

>>> parse_size("256MB"), parse_size("1 MiB"), parse_size("250_000"), parse_size("2kb")
(256000000, 1048576, 250000, 2000)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
from collections import Counter
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from .cost import today
from .errors import PriceNotAvailableError, UnknownModelError, UsageError, WorkloadError
from .estimate import counted
from .money import decimal_str
from .pricing import ModelInfo, PriceTable, load_pricing, resolve_model
from .tokens.correction import TokenMethod, corrected, method_for
from .tokens.request import MAX_BREAKPOINTS, ModelFacts, RequestShape, shape_request
from .workloads.requests import BatchRequest, iter_batch_requests, open_binary

__all__ = [
    "DEFAULT_MARGIN",
    "MAX_BYTES",
    "MAX_BYTES_CEILING",
    "MAX_REQUESTS",
    "Part",
    "Plan",
    "Problem",
    "ProblemCode",
    "Severity",
    "Split",
    "check_split_dir",
    "parse_size",
    "plan",
    "write_parts",
]

MAX_REQUESTS = 100_000
"""Most requests one Message Batch takes."""
MAX_BYTES = 256_000_000
"""Default byte limit per batch. Anthropic says "256 MB" without a unit: we take the smaller reading
(256 × 10⁶, 4.6% under 256 MiB), which also leaves room for a client that re-serialises the lines."""
MAX_BYTES_CEILING = 256 * 1024 * 1024
"""The most ``max_bytes`` may be: the larger reading of "256 MB" (256 MiB)."""
DEFAULT_MARGIN = Decimal("0.1")
"""Token counts are estimates: a request within this share under a limit is warned about."""

_BODY_OPEN = b'{"requests":['
_BODY_CLOSE = b"]}"
_BODY_EXTRA = len(_BODY_OPEN) + len(_BODY_CLOSE) - 1
"""Body bytes = part bytes + this: the lines' newlines become commas, except the last one."""
_CUSTOM_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
_MANIFEST = "manifest.json"

Severity = Literal["error", "warning"]
PartEnd = Literal["end_of_file", "max_requests", "max_bytes", "custom_id_duplicate", "line_too_large"]
ProblemCode = Literal[
    "invalid_line",
    "invalid_params",
    "custom_id_format",
    "custom_id_duplicate",
    "unknown_model",
    "model_not_api_id",
    "retired_model",
    "model_not_batchable",
    "max_tokens_missing",
    "max_tokens_invalid",
    "max_tokens_zero",
    "max_tokens_over_limit",
    "over_context_window",
    "near_context_window",
    "tier_crossed",
    "near_tier",
    "fast_mode_in_batch",
    "streaming_in_batch",
    "too_many_cache_breakpoints",
    "line_too_large",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Problem(_Frozen):
    """One problem of one request."""

    line: int
    """1-based line of the file."""
    custom_id: str | None
    """The request's custom_id (None for a line that could not be read)."""
    severity: Severity
    """``error``: the API rejects the request or the batch. ``warning``: costs more, or may be rejected."""
    code: ProblemCode
    """Stable identifier of the check."""
    message: str
    """What is wrong, quoting the value, and what to do."""


class Part(_Frozen):
    """One batch of the split: consecutive lines of the file."""

    index: int
    """1-based."""
    file: str
    """The part's file name under ``--split DIR`` (``part-0001.jsonl``)."""
    first_line: int
    last_line: int
    requests: int
    bytes: int
    """Bytes of the part's JSONL: each line as in the source, with its newline."""
    body_bytes: int
    """Bytes of the batch-create body ``{"requests":[...]}`` holding these lines: the limit applies to it."""
    models: tuple[str, ...]
    """Models its requests name (canonical ids; unknown names as written)."""
    over_limit: bool = False
    """A single line over the byte limit, alone in its part (the API rejects this part)."""
    ended_by: PartEnd = "end_of_file"
    """Why the part ends: the file ends, the next line would go over ``max_requests`` or ``max_bytes``,
    repeats a custom_id of this part, or is too large for any batch (and for an over-limit part: itself)."""


class Split(_Frozen):
    """What :func:`write_parts` wrote and verified."""

    directory: str
    files: tuple[str, ...]
    """Part files, in order."""
    manifest: str
    """Path of ``manifest.json``."""
    requests: int
    """Lines read back from the parts (equal to the plan's requests, each once)."""
    custom_ids: int
    """custom_ids read back from the parts."""
    lines_sha256: str
    """sha256 of the parts concatenated in order (equal to the source's request lines)."""


class Plan(_Frozen):
    """Every problem of a batch file, and how it splits into batches."""

    file: str
    at: date
    requests: int
    """Requests read (skipped invalid lines not included)."""
    skipped: int
    """Invalid lines skipped with ``skip_invalid`` (listed as ``invalid_line``, written to no part)."""
    bytes: int
    """Bytes read (uncompressed for ``*.gz``)."""
    source_sha256: str
    """sha256 of those bytes."""
    lines_sha256: str
    """sha256 of the request lines, each ending with a newline: what the parts concatenate to."""
    custom_ids: int
    """Distinct custom_ids."""
    max_requests: int
    max_bytes: int
    margin: Decimal
    token_method: str
    """How prompt tokens were counted for the context-window and tier checks."""
    problems: tuple[Problem, ...]
    """Sorted by line."""
    parts: tuple[Part, ...]
    pricing_version: str
    pricing_sha256: str
    warnings: tuple[str, ...] = ()
    """About the run itself (e.g. a skipped tokenizer file), not about a request."""
    split: Split | None = None
    """Set by :func:`write_parts`."""
    lines_digest: str = ""
    """Order-free digest of the request lines (the multiset check of :func:`write_parts`)."""
    custom_ids_digest: str = ""
    """Order-free digest of every request's custom_id."""

    @property
    def errors(self) -> int:
        """Problems of severity ``error``."""
        return sum(1 for p in self.problems if p.severity == "error")

    @property
    def warning_count(self) -> int:
        """Problems of severity ``warning``."""
        return sum(1 for p in self.problems if p.severity == "warning")

    def summary(self) -> list[tuple[str, Severity, int]]:
        """(code, severity, count), errors first, then by code."""
        counts = Counter((p.code, p.severity) for p in self.problems)
        return sorted(
            ((code, severity, n) for (code, severity), n in counts.items()),
            key=lambda item: (item[1] != "error", item[0]),
        )


# --------------------------------------------------------------------------------------------------
# Sizes


_SIZE = re.compile(r"\s*([0-9][0-9_,]*)\s*([kmg]i?b|b)?\s*", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}


def parse_size(text: str) -> int:
    """Bytes from ``256MB`` (10⁶), ``200MiB`` (2²⁰), ``1,000,000`` or ``250_000``."""
    found = _SIZE.fullmatch(text)
    if found is None:
        raise UsageError(f"{text!r} is not a size; write bytes (250000) or 256MB, 200MiB, 500kB")
    number = int(found[1].replace("_", "").replace(",", ""))
    return number * _UNITS[(found[2] or "b").lower()]


# --------------------------------------------------------------------------------------------------
# Digests


def _digest_add(total: int, data: bytes) -> int:
    return (total + int.from_bytes(hashlib.blake2b(data, digest_size=16).digest())) % (1 << 128)


def _hex(total: int) -> str:
    return f"{total:032x}"


def _content(raw: bytes) -> bytes:
    return raw[:-1] if raw.endswith(b"\n") else raw


def _id_bytes(custom_id: str) -> bytes:
    return custom_id.encode("utf-8", "surrogatepass")


def _short(value: Any, limit: int = 70) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


# --------------------------------------------------------------------------------------------------
# Planning


@dataclass
class _Draft:
    first: int
    last: int
    requests: int = 0
    bytes: int = 0
    ids: set[str] = field(default_factory=set)
    models: set[str] = field(default_factory=set)
    over_limit: bool = False
    ended_by: PartEnd = "end_of_file"


@dataclass(frozen=True)
class _Model:
    info: ModelInfo
    facts: ModelFacts
    method: TokenMethod


@dataclass(frozen=True)
class _Resolved:
    model: _Model | None
    problems: tuple[tuple[Severity, ProblemCode, str], ...]


class _Planner:
    def __init__(
        self,
        path: Path,
        *,
        table: PriceTable,
        at: date,
        max_requests: int,
        max_bytes: int,
        token_factor: Decimal | None,
        margin: Decimal,
        skip_invalid: bool,
    ) -> None:
        self.path, self.where = path, str(path)
        self.table, self.at = table, at
        self.max_requests, self.max_bytes = max_requests, max_bytes
        self.token_factor, self.margin = token_factor, margin
        self.skip_invalid = skip_invalid
        self.encoding_notes: tuple[str, ...] = ()  # set by estimate.counted
        self.problems: list[Problem] = []
        self.first_line: dict[str, int] = {}
        self.resolved: dict[str, _Resolved] = {}
        self.by_id: dict[str, _Model] = {}
        self.api_names = {n: m for m in table.models for n in (m.id, *m.snapshots, *m.aliases)}
        self.pending: dict[int, int | None] = {}
        self.drafts: list[_Draft] = []
        self.current: _Draft | None = None
        self.source = hashlib.sha256()
        self.lines = hashlib.sha256()
        self.lines_digest = 0
        self.ids_digest = 0
        self.bytes = 0
        self.requests = 0
        self.skipped = 0

    # -- problems ------------------------------------------------------------------------------

    def add(
        self, line: int, custom_id: str | None, severity: Severity, code: ProblemCode, message: str
    ) -> None:
        self.problems.append(
            Problem(line=line, custom_id=custom_id, severity=severity, code=code, message=message)
        )

    def skip(self, error: WorkloadError) -> None:
        self.skipped += 1
        message = str(error)
        prefix = f"{error.path}:{error.line}: "
        message = message.removeprefix(prefix)
        self.add(
            error.line or 0,
            None,
            "warning",
            "invalid_line",
            f"skipped (--skip-invalid) and written to no part: {message}",
        )

    @staticmethod
    def _uncertain(info: ModelInfo, fact: str) -> str | None:
        reason = info.uncertain.get(fact)
        return None if reason is None else f" ({fact} is UNCERTAIN in the price data: {reason})"

    # -- reading -------------------------------------------------------------------------------

    def _raw_lines(self) -> Generator[tuple[int, bytes], None, None]:
        with open_binary(self.path) as handle:
            for number, raw in enumerate(handle, start=1):
                self.source.update(raw)
                self.bytes += len(raw)
                yield number, raw

    def shapes(self) -> Iterator[RequestShape]:
        """Check each request (reading its raw line alongside) and yield those worth counting."""
        raw_lines = self._raw_lines()
        with contextlib.closing(raw_lines):
            requests = iter_batch_requests(self.path, skip_invalid=self.skip_invalid, on_skip=self.skip)
            for request in requests:
                number, raw = next(raw_lines, (0, b""))
                while number != request.line:  # blank or skipped lines
                    if number == 0:
                        raise WorkloadError("changed while it was being read: plan it again", path=self.where)
                    number, raw = next(raw_lines, (0, b""))
                shape = self.check(request, _content(raw))
                if shape is not None:
                    yield shape
            for _ in raw_lines:
                pass

    # -- one request ---------------------------------------------------------------------------

    def check(self, request: BatchRequest, content: bytes) -> RequestShape | None:
        line, custom_id, params = request.line, request.custom_id, request.params
        self.requests += 1
        self.lines.update(content)
        self.lines.update(b"\n")
        self.lines_digest = _digest_add(self.lines_digest, content)

        if not _CUSTOM_ID.fullmatch(custom_id):
            self.add(line, custom_id, "error", "custom_id_format", _custom_id_message(custom_id))
        self.ids_digest = _digest_add(self.ids_digest, _id_bytes(custom_id))
        first = self.first_line.get(custom_id)
        if first is None:
            self.first_line[custom_id] = line
        else:
            self.add(
                line,
                custom_id,
                "error",
                "custom_id_duplicate",
                f"custom_id {_short(custom_id)} repeats line {first}: custom_ids must be unique in a batch "
                "(results are matched by custom_id); rename one",
            )

        model = self.model(line, custom_id, params.get("model"))
        self.place(line, custom_id, len(content) + 1, model, params.get("model"))

        if params.get("stream") is True:
            self.add(
                line,
                custom_id,
                "error",
                "streaming_in_batch",
                'params.stream is true: a batch does not stream; remove "stream" (results arrive when the batch ends)',
            )
        betas = params.get("betas")
        fast_beta = isinstance(betas, list) and any(str(b).startswith("fast-mode") for b in betas)
        if params.get("speed") == "fast" or fast_beta:
            shown = '"speed": "fast"' if params.get("speed") == "fast" else f"betas {_short(betas)}"
            self.add(
                line,
                custom_id,
                "error",
                "fast_mode_in_batch",
                f"{shown}: fast mode is not available in the Message Batches API; remove it (the batch "
                "runs at standard speed, at half price) or send this request in real time",
            )

        window_max = self.max_tokens(line, custom_id, params, model)
        if model is None:
            return None
        shaped = params if window_max is not None else {**params, "max_tokens": 1}
        try:
            shape = shape_request(
                shaped,
                custom_id=custom_id,
                facts_for=lambda _name: model.facts,
                where=self.where,
                line=line,
                size_bytes=request.size_bytes,
            )
        except WorkloadError as exc:
            reason = str(exc).removeprefix(f"{self.where}:{line}: ").removeprefix(f"{custom_id}: ")
            self.add(line, custom_id, "error", "invalid_params", f"{reason}; the API rejects it")
            return None
        if shape.notes.get("too_many_breakpoints"):
            self.add(
                line,
                custom_id,
                "error",
                "too_many_cache_breakpoints",
                f"{len(shape.breaks)} cache_control breakpoints: the API allows at most {MAX_BREAKPOINTS}; "
                "remove some",
            )
        if not self.could_flag(model, shape, window_max):
            return None
        self.pending[line] = window_max
        return shape

    def model(self, line: int, custom_id: str, name: Any) -> _Model | None:
        if not isinstance(name, str) or not name:
            self.add(
                line,
                custom_id,
                "error",
                "invalid_params",
                f"params.model must be a model id, got {'nothing' if name is None else _short(name)}",
            )
            return None
        resolved = self.resolved.get(name)
        if resolved is None:
            resolved = self.resolved[name] = self.resolve(name)
        for severity, code, message in resolved.problems:
            self.add(line, custom_id, severity, code, message)
        return resolved.model

    def resolve(self, name: str) -> _Resolved:
        """The model a request names, and the problems every request naming it has."""
        problems: list[tuple[Severity, ProblemCode, str]] = []
        info = self.api_names.get(name)
        if info is None:
            try:
                info = resolve_model(self.table, name, self.at)
            except UnknownModelError as exc:
                return _Resolved(None, (("error", "unknown_model", str(exc)),))
            except PriceNotAvailableError as exc:
                return _Resolved(None, (("error", "unknown_model", f"model {name!r}: {exc}"),))
            problems.append(
                (
                    "error",
                    "model_not_api_id",
                    f"model {name!r} is claude-quote's name for {info.id}, not an API model id; "
                    f'write "model": "{info.id}"',
                )
            )
        if info.released > self.at:
            message = (
                f"model {name!r} was released on {info.released.isoformat()}, after {self.at.isoformat()}: "
                "the API did not serve it yet"
            )
            return _Resolved(None, (("error", "unknown_model", message),))
        if info.is_retired(self.at):
            assert info.retired is not None
            doubt = self._uncertain(info, "retired")
            instead = ""
            with contextlib.suppress(PriceNotAvailableError):
                newest = resolve_model(self.table, info.family, self.at)
                if newest.id != info.id:
                    instead = f"; use {newest.id} instead"
            problems.append(
                (
                    "warning" if doubt else "error",
                    "retired_model",
                    f"{info.id} was retired on {info.retired.isoformat()}: the API no longer serves it"
                    f"{instead}{doubt or ''}",
                )
            )
        if not info.batch or self.at < self.table.batch.effective_from:
            doubt = self._uncertain(info, "batch")
            problems.append(
                (
                    "warning" if doubt else "error",
                    "model_not_batchable",
                    f"{info.id} is not available in the Message Batches API; send it in real time or pick "
                    f"another model{doubt or ''}",
                )
            )
        model = self.by_id.get(info.id)
        if model is None:
            method = method_for(info, token_factor=self.token_factor)
            model = self.by_id[info.id] = _Model(info, ModelFacts.of(info, self.table), method)
        return _Resolved(model, tuple(problems))

    def max_tokens(
        self, line: int, custom_id: str, params: dict[str, Any], model: _Model | None
    ) -> int | None:
        value = params.get("max_tokens")
        if value is None:
            self.add(
                line,
                custom_id,
                "error",
                "max_tokens_missing",
                "params.max_tokens is missing: the Messages API requires it (the most output tokens to write)",
            )
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.add(
                line,
                custom_id,
                "error",
                "max_tokens_invalid",
                f"params.max_tokens must be a whole number of at least 1, got {_short(value)}",
            )
            return None
        if value == 0:
            self.add(
                line,
                custom_id,
                "warning",
                "max_tokens_zero",
                "params.max_tokens is 0: reported as not supported inside a batch (UNCERTAIN); "
                "give at least 1",
            )
            return None
        if model is not None:
            info = model.info
            if info.max_output is not None and value > info.max_output:
                doubt = self._uncertain(info, "max_output")
                self.add(
                    line,
                    custom_id,
                    "warning" if doubt else "error",
                    "max_tokens_over_limit",
                    f"max_tokens {value:,} is over {info.id}'s maximum output of {info.max_output:,}: "
                    f"the API rejects it; lower max_tokens{doubt or ''}",
                )
        return value

    # -- splitting -----------------------------------------------------------------------------

    def place(self, line: int, custom_id: str, size: int, model: _Model | None, name: Any) -> None:
        label = model.info.id if model is not None else (name if isinstance(name, str) and name else None)
        if size + _BODY_EXTRA > self.max_bytes:
            self.add(
                line,
                custom_id,
                "error",
                "line_too_large",
                f"the line is {size:,} bytes ({size + _BODY_EXTRA:,} as a batch body), over the "
                f"{self.max_bytes:,}-byte limit of one batch: no batch can hold it; make the request "
                "smaller (e.g. send big documents by file id)",
            )
            self.close("line_too_large")
            self.drafts.append(
                _Draft(
                    line,
                    line,
                    1,
                    size,
                    models={label} if label else set(),
                    over_limit=True,
                    ended_by="line_too_large",
                )
            )
            return
        draft = self.current
        end: PartEnd | None = None
        if draft is not None:
            if draft.requests + 1 > self.max_requests:
                end = "max_requests"
            elif draft.bytes + size + _BODY_EXTRA > self.max_bytes:
                end = "max_bytes"
            elif custom_id in draft.ids:
                end = "custom_id_duplicate"
        if draft is None or end is not None:
            self.close(end or "end_of_file")
            draft = self.current = _Draft(line, line)
        draft.last = line
        draft.requests += 1
        draft.bytes += size
        draft.ids.add(custom_id)
        if label:
            draft.models.add(label)

    def close(self, why: PartEnd) -> None:
        if self.current is not None:
            self.current.ids = set()
            self.current.ended_by = why
            self.drafts.append(self.current)
            self.current = None

    # -- counted checks ------------------------------------------------------------------------

    def could_flag(self, model: _Model, shape: RequestShape, max_tokens: int | None) -> bool:
        """Whether the prompt could reach a warning threshold: tiktoken never makes more tokens than
        UTF-8 bytes, at most 4 per character, so requests far below every limit are not tokenized."""
        assert model.method.factor is not None
        bound = corrected(4 * sum(len(t) for t in shape.texts), model.method.factor) + sum(shape.fixed)
        keep = Decimal(1) - self.margin
        info = model.info
        window = info.context_window_at(self.at)
        if window is not None and bound + (max_tokens or 0) > window * keep:
            return True
        entry = info.price_at(self.at)
        return entry is not None and any(bound > t.above_prompt_tokens * keep for t in entry.tiers)

    def after_count(self, shape: RequestShape, raw: list[int]) -> None:
        assert shape.line is not None
        model = self.by_id[shape.facts.model.id]
        info, factor = model.info, model.method.factor
        assert factor is not None
        prompt = corrected(sum(raw), factor) + sum(shape.fixed)
        max_tokens = self.pending.pop(shape.line)
        line, custom_id = shape.line, shape.custom_id
        keep = Decimal(1) - self.margin
        percent = decimal_str(self.margin * 100)
        estimate = f"an estimate: tiktoken × {factor}"
        window = info.context_window_at(self.at)
        if window is not None:
            total = prompt + (max_tokens or 0)
            what = (
                f"estimated prompt {prompt:,} + max_tokens {max_tokens:,} = {total:,} tokens"
                if max_tokens
                else f"estimated prompt {prompt:,} tokens"
            )
            doubt = self._uncertain(info, "context_window")
            if total > window:
                self.add(
                    line,
                    custom_id,
                    "warning" if doubt else "error",
                    "over_context_window",
                    f"{what}, over {info.id}'s {window:,}-token context window: the API rejects it; "
                    f"shorten the prompt or lower max_tokens ({estimate}){doubt or ''}",
                )
            elif total > window * keep:
                self.add(
                    line,
                    custom_id,
                    "warning",
                    "near_context_window",
                    f"{what}, within {percent}% of {info.id}'s {window:,}-token context window: the API "
                    f"may reject it ({estimate})",
                )
        entry = info.price_at(self.at)
        tiers = entry.tiers if entry is not None else ()
        crossed = [t for t in tiers if prompt > t.above_prompt_tokens]
        if crossed and entry is not None:
            tier = crossed[-1]
            self.add(
                line,
                custom_id,
                "warning",
                "tier_crossed",
                f"estimated prompt {prompt:,} tokens, over {info.id}'s {tier.above_prompt_tokens:,}-token "
                f"tier ({estimate}): the whole request, output included, is billed at the tier's rates "
                f"(input ${decimal_str(tier.input_per_mtok)} vs ${decimal_str(entry.input_per_mtok)}, output "
                f"${decimal_str(tier.output_per_mtok)} vs ${decimal_str(entry.output_per_mtok)} per MTok); "
                "shorten the prompt to stay under it",
            )
            return
        near = [t for t in tiers if prompt > t.above_prompt_tokens * keep]
        if near:
            tier = near[0]
            self.add(
                line,
                custom_id,
                "warning",
                "near_tier",
                f"estimated prompt {prompt:,} tokens, within {percent}% of {info.id}'s "
                f"{tier.above_prompt_tokens:,}-token tier: over it, the whole request is billed at the "
                f"tier's higher rates ({estimate})",
            )

    # -- the result ----------------------------------------------------------------------------

    def token_method(self) -> str:
        descriptions = sorted({model.method.description for model in self.by_id.values()})
        return "; ".join(descriptions) or "nothing counted (no known model)"

    def result(self) -> Plan:
        self.close("end_of_file")
        if self.requests == 0:
            extra = f" ({self.skipped:,} invalid lines skipped)" if self.skipped else ""
            raise WorkloadError(f"no requests found in {self.where}{extra}")
        width = max(4, len(str(len(self.drafts))))
        parts = tuple(
            Part(
                index=i,
                file=f"part-{i:0{width}d}.jsonl",
                first_line=d.first,
                last_line=d.last,
                requests=d.requests,
                bytes=d.bytes,
                body_bytes=d.bytes + _BODY_EXTRA,
                models=tuple(sorted(d.models)),
                over_limit=d.over_limit,
                ended_by=d.ended_by,
            )
            for i, d in enumerate(self.drafts, start=1)
        )
        return Plan(
            file=self.where,
            at=self.at,
            requests=self.requests,
            skipped=self.skipped,
            bytes=self.bytes,
            source_sha256=self.source.hexdigest(),
            lines_sha256=self.lines.hexdigest(),
            custom_ids=len(self.first_line),
            max_requests=self.max_requests,
            max_bytes=self.max_bytes,
            margin=self.margin,
            token_method=self.token_method(),
            problems=tuple(sorted(self.problems, key=lambda p: p.line)),
            parts=parts,
            pricing_version=self.table.version,
            pricing_sha256=self.table.sha256,
            warnings=self.encoding_notes,
            lines_digest=_hex(self.lines_digest),
            custom_ids_digest=_hex(self.ids_digest),
        )


def _custom_id_message(custom_id: str) -> str:
    allowed = "1 to 64 letters, digits, _ or -"
    if not custom_id:
        return f"custom_id is empty: the API needs {allowed}"
    bad = sorted({c for c in custom_id if not _CUSTOM_ID.fullmatch(c)})
    if bad:
        shown = ", ".join(repr(c) for c in bad[:5]) + (", …" if len(bad) > 5 else "")
        return f"custom_id {_short(custom_id)} has characters the API rejects ({shown}): use {allowed}"
    return f"custom_id {_short(custom_id)} is {len(custom_id):,} characters: the API allows {allowed}; shorten it"


def plan(
    path: str | Path,
    *,
    at: date | None = None,
    table: PriceTable | None = None,
    max_requests: int = MAX_REQUESTS,
    max_bytes: int = MAX_BYTES,
    token_factor: Decimal | None = None,
    margin: Decimal = DEFAULT_MARGIN,
    skip_invalid: bool = False,
) -> Plan:
    """Check every request of a Message Batches JSONL file and plan its split into batches.

    Args:
        path: the batch file (``*.jsonl``, ``*.jsonl.gz``), one ``{"custom_id", "params"}`` per line.
        at: the date whose models and prices apply (default: today, UTC).
        table: the price table (default: the bundled one).
        max_requests: most requests per part (1 to 100,000).
        max_bytes: most bytes per part, measured on the batch-create body (1 to 256 MiB; default
            256,000,000).
        token_factor: Claude tokens per tiktoken token for every model, instead of the defaults.
        margin: share under the context window or a tier within which an estimate is warned about.
        skip_invalid: skip lines that are not batch requests (listed as ``invalid_line`` warnings and
            written to no part) instead of failing.

    Raises:
        WorkloadError: the file is missing, empty, or a line is not a batch request (``file:line``).
        UsageError: a limit out of range.
        TokenizerUnavailableError: no offline copy of the tiktoken encoding.
    """
    if isinstance(max_requests, bool) or not 1 <= max_requests <= MAX_REQUESTS:
        raise UsageError(
            f"max_requests must be between 1 and {MAX_REQUESTS:,} (the API's limit per batch), got {max_requests!r}"
        )
    if isinstance(max_bytes, bool) or not 1 <= max_bytes <= MAX_BYTES_CEILING:
        raise UsageError(
            f"max_bytes must be between 1 and {MAX_BYTES_CEILING:,} (256 MiB, the API's limit per batch), "
            f"got {max_bytes!r}"
        )
    if not margin.is_finite() or not Decimal(0) <= margin < 1:
        raise UsageError(f"margin must be at least 0 and under 1, got {margin!r}")
    if token_factor is not None and (not token_factor.is_finite() or token_factor <= 0):
        raise UsageError(f"token_factor must be a decimal number above 0, got {token_factor!r}")
    planner = _Planner(
        Path(path),
        table=table or load_pricing(),
        at=at or today(),
        max_requests=max_requests,
        max_bytes=max_bytes,
        token_factor=token_factor,
        margin=margin,
        skip_invalid=skip_invalid,
    )
    for chunk, counts, _ in counted(planner, planner.shapes()):
        position = 0
        for shape in chunk:
            width = len(shape.texts)
            planner.after_count(shape, [0] * width if counts is None else counts[position : position + width])
            position += width
    return planner.result()


# --------------------------------------------------------------------------------------------------
# Writing the parts


def _existing(directory: Path) -> list[Path]:
    return sorted([*directory.glob("part-*.jsonl"), *directory.glob(_MANIFEST)])


def check_split_dir(directory: str | Path, *, overwrite: bool = False) -> None:
    """Fail early when ``directory`` cannot take the parts (a file, or parts already there)."""
    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is not a directory: --split needs a directory for the parts")
    if folder.is_dir() and not overwrite:
        found = _existing(folder)
        if found:
            names = ", ".join(p.name for p in found[:3]) + (", …" if len(found) > 3 else "")
            raise UsageError(
                f"{folder} already holds {names}: pass --overwrite to replace them, or choose an empty directory"
            )


class _Writer:
    """One part file: a temp file in the directory, renamed into place when complete."""

    def __init__(self, directory: Path, name: str) -> None:
        self.final = directory / name
        while True:  # like tempfile, but with the permissions a plain open() gives (0o666 less umask)
            self.temp = directory / f".{name}.{secrets.token_hex(6)}.tmp"
            try:
                fd = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            except FileExistsError:  # pragma: no cover - 48 random bits
                continue
            break
        self.handle = os.fdopen(fd, "wb")

    def write(self, data: bytes) -> None:
        self.handle.write(data)

    def finish(self) -> Path:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        self.temp.replace(self.final)
        return self.final

    def abort(self) -> None:
        self.handle.close()
        self.temp.unlink(missing_ok=True)


def _atomic_write(path: Path, data: bytes) -> None:
    writer = _Writer(path.parent, path.name)
    try:
        writer.write(data)
        writer.finish()
    except BaseException:
        writer.abort()
        raise


def _write(plan: Plan, folder: Path, written: list[Path]) -> tuple[int, str, str]:
    """Copy the source's request lines into the parts; the source's line digest and sha256."""
    skipped = {p.line for p in plan.problems if p.code == "invalid_line"}
    parts = iter(plan.parts)
    part: Part | None = None
    writer: _Writer | None = None
    left = 0
    source = hashlib.sha256()
    digest = 0
    lines = 0
    try:
        with open_binary(Path(plan.file)) as handle:
            for number, raw in enumerate(handle, start=1):
                source.update(raw)
                if not raw.strip() or number in skipped:
                    continue
                if left == 0:
                    if writer is not None:
                        written.append(writer.finish())
                    part = next(parts, None)
                    if part is None:
                        raise WorkloadError(f"line {number} belongs to no part", path=plan.file)
                    writer, left = _Writer(folder, part.file), part.requests
                assert part is not None
                assert writer is not None
                if not part.first_line <= number <= part.last_line:
                    raise WorkloadError(f"line {number} is outside part {part.file}", path=plan.file)
                content = _content(raw)
                writer.write(content)
                writer.write(b"\n")
                digest = _digest_add(digest, content)
                lines += 1
                left -= 1
        if writer is not None:
            written.append(writer.finish())
            writer = None
    finally:
        if writer is not None:
            writer.abort()
    return lines, _hex(digest), source.hexdigest()


def _read_back(folder: Path, plan: Plan) -> tuple[list[dict[str, Any]], int, str, str, int, str]:
    """Re-read the parts: per part facts; lines, their digest and sha256; custom_ids and their digest."""
    whole = hashlib.sha256()
    lines = ids = 0
    lines_digest = ids_digest = 0
    entries: list[dict[str, Any]] = []
    for part in plan.parts:
        path = folder / part.file
        sha = hashlib.sha256()
        count = size = 0
        with path.open("rb") as handle:
            for raw in handle:
                sha.update(raw)
                whole.update(raw)
                size += len(raw)
                count += 1
                lines_digest = _digest_add(lines_digest, _content(raw))
        seen: set[str] = set()
        for request in iter_batch_requests(path):
            seen.add(request.custom_id)
            ids += 1
            ids_digest = _digest_add(ids_digest, _id_bytes(request.custom_id))
        if count != part.requests or size != part.bytes or len(seen) != part.requests:
            raise WorkloadError(
                f"{part.file} holds {count:,} lines, {size:,} bytes and {len(seen):,} custom_ids; "
                f"the plan has {part.requests:,} requests and {part.bytes:,} bytes",
                path=str(folder),
            )
        lines += count
        entries.append(
            {
                "file": part.file,
                "first_line": part.first_line,
                "last_line": part.last_line,
                "requests": part.requests,
                "custom_ids": len(seen),
                "bytes": part.bytes,
                "body_bytes": part.body_bytes,
                "sha256": sha.hexdigest(),
                "models": list(part.models),
            }
        )
    return entries, lines, _hex(lines_digest), whole.hexdigest(), ids, _hex(ids_digest)


def write_parts(plan: Plan, directory: str | Path, *, overwrite: bool = False, force: bool = False) -> Plan:
    """Write the parts of ``plan`` into ``directory``, prove them complete, then write ``manifest.json``.

    Each part is a byte-for-byte copy of its source lines (each ending with a newline), written to a
    temp file in ``directory`` and renamed into place. After writing, the parts are read back: the
    lines must be the source's request lines, each once and in order (count, an order-free digest and
    the sha256 of the concatenation), and the custom_ids must be the source's, each once. Only then is
    the manifest written (also atomically). On any failure the parts written so far are removed, so a
    directory without ``manifest.json`` never holds parts from this run.

    Raises:
        WorkloadError: the plan has errors (unless ``force``), the source changed since it was
            planned, or the parts do not read back as planned.
        UsageError: ``directory`` already holds parts or a manifest (unless ``overwrite``), or is a file.
    """
    if plan.errors and not force:
        raise WorkloadError(
            f"{plan.errors:,} error{'s' if plan.errors != 1 else ''}: no parts written; fix them, or pass "
            "--force to write the parts anyway",
            path=plan.file,
        )
    folder = Path(directory)
    check_split_dir(folder, overwrite=overwrite)
    folder.mkdir(parents=True, exist_ok=True)
    for old in _existing(folder):  # only with overwrite: check_split_dir refused otherwise
        old.unlink()
    written: list[Path] = []
    try:
        lines, digest, source_sha = _write(plan, folder, written)
        if source_sha != plan.source_sha256:
            raise WorkloadError(
                "changed since it was planned (sha256 differs): plan it again", path=plan.file
            )
        if lines != plan.requests or digest != plan.lines_digest:
            raise WorkloadError(
                f"copied {lines:,} lines, but the plan read {plan.requests:,} requests", path=plan.file
            )
        entries, back, back_digest, back_sha, ids, ids_digest = _read_back(folder, plan)
        if (back, back_digest, back_sha) != (plan.requests, plan.lines_digest, plan.lines_sha256):
            raise WorkloadError(
                f"the parts read back as {back:,} lines, not the source's {plan.requests:,} request lines "
                "each once in order",
                path=str(folder),
            )
        if (ids, ids_digest) != (plan.requests, plan.custom_ids_digest):
            raise WorkloadError(
                f"the parts hold {ids:,} custom_ids, not the source's {plan.requests:,}, each once",
                path=str(folder),
            )
        manifest = _manifest(plan, entries, ids)
        _atomic_write(
            folder / _MANIFEST, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
        )
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # make the renames durable where the platform allows it
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    split = Split(
        directory=str(folder),
        files=tuple(str(p) for p in written),
        manifest=str(folder / _MANIFEST),
        requests=back,
        custom_ids=ids,
        lines_sha256=back_sha,
    )
    return plan.model_copy(update={"split": split})


def _manifest(plan: Plan, entries: list[dict[str, Any]], ids: int) -> dict[str, Any]:
    from ._version import __version__

    return {
        "schema_version": 1,
        "kind": "plan-manifest",
        "generator": f"claude-quote {__version__}",
        "source": {
            "file": plan.file,
            "sha256": plan.source_sha256,
            "bytes": plan.bytes,
            "requests": plan.requests,
            "custom_ids": plan.custom_ids,
            "lines_sha256": plan.lines_sha256,
            "skipped_lines": sorted(p.line for p in plan.problems if p.code == "invalid_line"),
        },
        "limits": {
            "max_requests": plan.max_requests,
            "max_bytes": plan.max_bytes,
            "bytes_of": 'the batch-create body {"requests":[<line>,...]}: part bytes + 14',
        },
        "problems": {"errors": plan.errors, "warnings": plan.warning_count, "forced": plan.errors > 0},
        "parts": entries,
        "total": {"parts": len(entries), "requests": plan.requests, "custom_ids": ids},
    }
