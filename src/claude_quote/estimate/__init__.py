"""Estimate what a workload will cost, from the files you are about to send: real time vs batch.

:func:`estimate` reads Message Batches JSONL, Messages request JSON, text files (through a prompt
template) or tables, counts their tokens offline (tiktoken ``cl100k_base`` × a per-tokenizer Claude
correction, see :mod:`claude_quote.tokens`), and prices every request with the cost engine.

How the numbers are made (``docs/workloads.md`` has the long form):

- **Input** is counted per request, as Claude bills it (:mod:`claude_quote.tokens.request`).
- **Output** is unknown before a run. The expected output per request is, in order: the given
  ``output_tokens`` (+ the thinking budget), ``output_ratio`` × the prompt (+ the thinking budget),
  a table's ``output_tokens`` column, the calibration file's ``output_p50`` (custom_id prefix, then
  model), and otherwise the request's ``max_tokens``: then expected = worst case, and the report warns.
  Expected output never exceeds ``max_tokens``. The **worst case** always uses every request's
  ``max_tokens`` with no cache hits.
- **Caching**: requests with ``cache_control`` get four bands. ``no_cache``: as if caching were off;
  ``miss``: every request writes its cacheable prefix and none reads (requests in one batch run in
  parallel); ``best``: a request reads the longest prefix an earlier request wrote (same model,
  same content up to a breakpoint); ``expected``: ``cache_hit_rate`` of the best case's reads hit,
  the rest are written again (default 30%, the low end of Anthropic's "typically 30% to 98%" for
  batches). A prefix shorter than the model's minimum cacheable length is not cached.
- **Tiers** are chosen per request; requests are grouped by (model, tier) and each group is priced
  with one exact :func:`~claude_quote.cost.cost` call.

The package, by responsibility: ``estimator`` (:func:`estimate`), ``options`` (the options checked,
a new run), ``run`` (the run's state; measuring one request), ``bands`` (bucket and cache-band
arithmetic), ``reading`` (files to request shapes), ``pipeline`` (counting tokens in parallel:
:func:`counted`), ``result`` (buckets summed into an :class:`Estimate`), ``models`` (the result types),
``notes`` (warning texts), ``sampling`` (``sample=``) and ``per_request`` (:func:`estimate_requests`).
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from .bands import scaled_prefixes as scaled_prefixes
    from .estimator import estimate
    from .models import (
        BandName,
        CacheBand,
        CacheBands,
        Estimate,
        GroupBy,
        GroupEstimate,
        ModelEstimate,
        Priced,
        RequestEstimate,
        SkippedLine,
        TokenBand,
        WorstCase,
    )
    from .notes import MAX_TOKENS_OUTPUT as MAX_TOKENS_OUTPUT
    from .options import DEFAULT_CACHE_HIT_RATE, EstimateOptions
    from .per_request import estimate_each, estimate_into, estimate_requests, repeated_ids
    from .pipeline import counted, text_counts, texts_of

_WHERE: dict[str, str] = {
    "scaled_prefixes": "bands",
    "estimate": "estimator",
    **dict.fromkeys(
        (
            "BandName",
            "CacheBand",
            "CacheBands",
            "Estimate",
            "GroupBy",
            "GroupEstimate",
            "ModelEstimate",
            "Priced",
            "RequestEstimate",
            "SkippedLine",
            "TokenBand",
            "WorstCase",
        ),
        "models",
    ),
    "MAX_TOKENS_OUTPUT": "notes",
    "DEFAULT_CACHE_HIT_RATE": "options",
    "EstimateOptions": "options",
    **dict.fromkeys(("estimate_each", "estimate_into", "estimate_requests", "repeated_ids"), "per_request"),
    **dict.fromkeys(("counted", "text_counts", "texts_of"), "pipeline"),
}
"""Where each name lives. Names are imported on first use (PEP 562): ``plan`` counts tokens with
:func:`counted` without importing the estimator, and ``estimate`` imports no sampling or per-request
code it does not run."""

__all__ = [
    "DEFAULT_CACHE_HIT_RATE",
    "BandName",
    "CacheBand",
    "CacheBands",
    "Estimate",
    "EstimateOptions",
    "GroupBy",
    "GroupEstimate",
    "ModelEstimate",
    "Priced",
    "RequestEstimate",
    "SkippedLine",
    "TokenBand",
    "WorstCase",
    "counted",
    "estimate",
    "estimate_each",
    "estimate_into",
    "estimate_requests",
    "repeated_ids",
    "text_counts",
    "texts_of",
]


def __getattr__(name: str) -> _typing.Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
