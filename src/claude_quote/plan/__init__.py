"""Before you submit a Message Batch: check every request, and split the file into batches the API takes.

:func:`plan` reads a Message Batches file once (JSONL, ``*.jsonl.gz``, standard input, or a ``.json``
batch-create body) and reports every problem with its line: lines that are no batch request,
custom_id format and uniqueness, the model (known, an API id, not retired, batchable), ``max_tokens``
(present, within the model's maximum output, or the 300K-output beta's), the context window and
price tiers (from the estimator's offline token counts), and what a batch refuses (fast mode,
streaming). It also plans the split: greedy, in file order, a new part when the next line would go
over the request or byte limit of one batch. With ``split=DIR`` it writes the parts as it reads, each
to a temp file read back once written, and puts them in place with ``manifest.json`` last;
:func:`write_parts` does the same from a second read of the file.

A problem that makes the API reject a request (or the whole batch) is an ``error``; one that only
costs more, or rests on a fact marked UNCERTAIN in the price data, is a ``warning``. ``docs/plan.md``
lists the codes.

Sizes are measured on the body of the batch-create request, ``{"requests":[<line>,<line>,...]}``, with
every line as it is in the file: 14 bytes more than the part's JSONL (each line and its newline).

The package, by responsibility: ``planner`` (:func:`plan`, the planner's state and reading),
``checks`` (the checks of a request as it is read), ``token_checks`` (context window and tiers, from
token counts), ``parts`` (planning the split), ``sink`` (hashing the source and writing the parts on
a worker thread), ``writing`` (the split directory, part files, :func:`write_parts`), ``limits``
(batch limits, the 300K-output beta, :func:`parse_size`) and ``models`` (the result types).

>>> parse_size("256MB"), parse_size("1 MiB"), parse_size("250_000"), parse_size("2kb")
(256000000, 1048576, 250000, 2000)
"""

from __future__ import annotations

from .limits import (
    DEFAULT_MARGIN,
    MAX_BYTES,
    MAX_BYTES_CEILING,
    MAX_REQUESTS,
    OUTPUT_300K_BETA,
    OUTPUT_300K_MAX_TOKENS,
    OUTPUT_300K_MODELS,
    parse_size,
)
from .models import Part, Plan, Problem, ProblemCode, Severity, Split
from .planner import plan
from .writing import check_split_dir, write_parts

__all__ = [
    "DEFAULT_MARGIN",
    "MAX_BYTES",
    "MAX_BYTES_CEILING",
    "MAX_REQUESTS",
    "OUTPUT_300K_BETA",
    "OUTPUT_300K_MAX_TOKENS",
    "OUTPUT_300K_MODELS",
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
