"""Per-request estimates (:func:`estimate_requests`): every request of a request file estimated one
by one, with the figures :func:`~claude_quote.estimate.estimate` sums; what ``reconcile --request-file``
compares and ``calibrate`` learns from.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from claude_quote.errors import WorkloadError
from claude_quote.pricing import PriceTable
from claude_quote.tokens.correction import counting_model_for_tokenizer

from .models import RequestEstimate
from .options import EstimateOptions, new_run
from .pipeline import _count_all
from .reading import request_shapes
from .run import _Record, _Run


def estimate_requests(
    path: str | Path,
    options: EstimateOptions | None = None,
    *,
    at: date | None = None,
    table: PriceTable | None = None,
) -> dict[str, RequestEstimate]:
    """Every request of a request file (Message Batches JSONL or request JSON), estimated one by one.

    The per-request figures are those :func:`estimate` sums: over all requests, the usages add up to
    its expected usage. ``options`` are :func:`estimate`'s (``model``, ``template``, ``sample`` and the
    table options do not apply to request files).

    Raises:
        WorkloadError: the file is not a request file, a line is malformed, or a custom_id repeats
            (``file:line``), unless ``skip_invalid``.
        UnknownModelError: a request names an unknown model.
        UsageError, ConfigError, ExactCountError: as :func:`estimate`.
    """
    records, _ = estimate_each(path, options, at=at, table=table)
    return records


def estimate_each(
    path: str | Path,
    options: EstimateOptions | None = None,
    *,
    at: date | None,
    table: PriceTable | None,
) -> tuple[dict[str, RequestEstimate], _Run]:
    """:func:`estimate_requests`, and the run (its skipped lines and token methods)."""
    run = new_run(options or EstimateOptions(), table=table, at=at)
    file = Path(path)
    if not file.is_file():
        raise WorkloadError("no such file" if not file.exists() else "not a file", path=str(file))
    if not file.name.lower().endswith((".json", ".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")):
        raise WorkloadError(
            'not a request file: expected Message Batches JSONL ({"custom_id": ..., "params": {...}} per '
            "line) or a request JSON",
            path=str(file),
        )
    run.records = []
    run.unique_ids = {}
    _count_all(run, request_shapes(run, file))
    return {r.custom_id: _request_estimate(r, run) for r in run.records}, run


def _request_estimate(record: _Record, run: _Run) -> RequestEstimate:
    m = record.measured
    framing = 0.0
    if m.features is not None:
        facts = run.models[m.model]
        shape_framing = record.framing
        framing = counting_model_for_tokenizer(facts.model.tokenizer).framing(*shape_framing)
    return RequestEstimate(
        custom_id=record.custom_id,
        model=m.model,
        modifiers=m.modifiers,
        usage=m.usage("expected"),
        raw_text_tokens=m.raw_text,
        fixed_tokens=m.fixed,
        max_tokens=m.max_tokens,
        line=record.line,
        class_tokens=m.features,
        framing_tokens=framing,
    )
