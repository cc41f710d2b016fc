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

The package, by responsibility: ``planner`` (:func:`plan`, the planner's state and reading),
``checks`` (the checks of a request as it is read), ``token_checks`` (context window and tiers, from
token counts), ``parts`` (planning the split), ``writing`` (:func:`write_parts`), ``digests``,
``limits`` (batch limits, :func:`parse_size`) and ``models`` (the result types).

>>> parse_size("256MB"), parse_size("1 MiB"), parse_size("250_000"), parse_size("2kb")
(256000000, 1048576, 250000, 2000)
"""

from __future__ import annotations

from .limits import DEFAULT_MARGIN, MAX_BYTES, MAX_BYTES_CEILING, MAX_REQUESTS, parse_size
from .models import Part, Plan, Problem, ProblemCode, Severity, Split
from .planner import plan
from .writing import _Writer as _Writer
from .writing import check_split_dir, write_parts

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
