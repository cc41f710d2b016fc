"""The entry point :func:`estimate`: check the options, read and count every file (or a random sample
of the requests) and sum the requests into an :class:`~claude_quote.estimate.Estimate`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

from claude_quote import _progress
from claude_quote.errors import UsageError
from claude_quote.pricing import PriceTable
from claude_quote.workloads.text import expand_paths

from .models import Estimate, GroupBy
from .options import _new_run
from .pipeline import _count_all
from .reading import shapes
from .result import result
from .sampling import _sampled


def estimate(
    paths: Sequence[str | Path],
    *,
    model: str | None = None,
    output_tokens: int | None = None,
    output_ratio: Decimal | None = None,
    template: str | None = None,
    max_tokens: int | None = None,
    text_column: str | None = None,
    calibration: Path | None = None,
    token_factor: Decimal | None = None,
    cache_hit_rate: Decimal | None = None,
    group_by: GroupBy | None = None,
    at: date | None = None,
    table: PriceTable | None = None,
    progress: bool = False,
    skip_invalid: bool = False,
    exact: bool = False,
    sample: int | None = None,
    seed: int | None = None,
) -> Estimate:
    """Estimate the real-time and batch cost of the requests in ``paths``.

    Args:
        paths: Message Batches JSONL, request JSON, CSV/TSV/Parquet/JSONL tables, text files,
            directories (read recursively) or glob patterns.
        model: price every request on this model (text files and tables need it, or a model column).
        output_tokens: expected output tokens per request (the thinking budget is added).
        output_ratio: expected output as a multiple of each request's prompt tokens.
        template: prompt template for text files and text columns; ``{text}`` is the text.
        max_tokens: output limit per request for text files and tables (the worst case).
        text_column: a table's text column (default ``text``, or an ``input_tokens`` column).
        calibration: a calibration file (see :mod:`claude_quote.calibration`).
        token_factor: Claude tokens per tiktoken token for every model, instead of the defaults.
        cache_hit_rate: share of possible cache reads that hit in the expected band (default 0.3).
        group_by: ``"prefix"`` adds a breakdown by custom_id prefix (by model is always there).
        at: the date whose prices apply (default: today, UTC).
        table: the price table (default: the bundled one).
        progress: show a progress bar on stderr when it is a terminal and ``CI`` is not set.
        skip_invalid: skip malformed lines or rows (counted and warned about) instead of failing.
        exact: count every request's prompt with Anthropic's count_tokens endpoint (needs the
            ``exact`` extra and ``ANTHROPIC_API_KEY``; see :mod:`claude_quote.tokens_exact`).
        sample: estimate a uniform random sample of this many requests and extrapolate to the whole
            input with a 95% confidence interval (see :mod:`claude_quote.sampling`).
        seed: the sample's random seed (default: a random one, reported so the run can be repeated).

    Raises:
        WorkloadError: a file is missing or malformed (the message names file and line).
        UnknownModelError: a request names an unknown model (with suggestions).
        UsageError: contradictory or invalid options.
        ConfigError: an invalid calibration file.
        TokenizerUnavailableError: no offline copy of the tiktoken encoding.
        ExactCountError: ``exact`` without the SDK or a key, or count_tokens kept failing.
    """
    if isinstance(paths, str | Path) or not paths:
        raise UsageError("give a list of one or more files, directories or glob patterns to estimate")
    if sample is not None and sample < 2:
        raise UsageError(f"--sample must be at least 2 requests (a variance needs two), got {sample!r}")
    if seed is not None and sample is None:
        raise UsageError("--seed needs --sample N")
    run = _new_run(
        table=table,
        at=at,
        model=model,
        output_tokens=output_tokens,
        output_ratio=output_ratio,
        template=template,
        max_tokens=max_tokens,
        text_column=text_column,
        calibration=calibration,
        token_factor=token_factor,
        cache_hit_rate=cache_hit_rate,
        group_by=group_by,
        skip_invalid=skip_invalid,
        exact=exact,
    )
    files = expand_paths(paths)
    total = sum(f.stat().st_size for f in files)
    if sample is None:
        with _progress.progress_bar(total, enabled=progress) as advance:
            _count_all(run, shapes(run, files, advance))
        return result(run, files)
    return _sampled(run, files, total, size=sample, seed=seed, progress=progress)
