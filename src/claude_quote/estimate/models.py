"""What an estimate returns: the frozen result models (:class:`Estimate` and its parts) and
:class:`RequestEstimate`, one request's figures; and the names of the cache bands and groupings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from claude_quote.engine import Cost, Modifiers, Savings
from claude_quote.sampling import SampleEstimate
from claude_quote.tokens.correction import TokenMethod
from claude_quote.usage import Usage

GroupBy = Literal["model", "prefix"]
BandName = Literal["no_cache", "miss", "expected", "best"]
BANDS: tuple[BandName, ...] = ("no_cache", "miss", "expected", "best")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Priced(_Frozen):
    """Usage and what it costs in real time and in batch."""

    usage: Usage
    """Token usage (expected unless said otherwise), summed over the requests."""
    realtime: Cost
    batch: Cost | None
    """None when a model involved is not available in the Message Batches API."""
    savings: Savings | None


class WorstCase(Priced):
    """Every request writes its full ``max_tokens`` and no cache read hits."""

    @property
    def output_tokens(self) -> int:
        """The sum of every request's ``max_tokens``."""
        return self.usage.output_tokens


class CacheBand(Priced):
    """One caching scenario (same expected output in every band)."""

    name: BandName
    description: str


class CacheBands(_Frozen):
    """Costs under the caching scenarios, for workloads that use ``cache_control``."""

    hit_rate: Decimal
    """Share of the best case's cache reads that the ``expected`` band assumes hit."""
    bands: tuple[CacheBand, ...]

    def band(self, name: BandName) -> CacheBand:
        """The band called ``name``."""
        return next(b for b in self.bands if b.name == name)


class RunsAs(_Frozen):
    """The requests of one model that run one way (data residency, speed), and their expected usage:
    what a projection of the estimate needs to price them as they run."""

    geo: Literal["global", "us"]
    speed: Literal["standard", "fast"]
    requests: int
    usage: Usage


class TokenBand(_Frozen):
    """The expected range of the estimate from the error of the token counts alone.

    The counting model's measured per-request error (``token_method.error_low`` / ``error_high``,
    e.g. the 5th and 95th percentiles) applied to the prompt tokens it estimated: the actual count is
    ``estimated ÷ (1 + error)``. Exact and given counts, images and the tool-use system prompt are
    taken as they are; output is not part of the band. Each bound is priced like the estimate, in the
    same price tier.
    """

    interval: Decimal
    """Share of requests whose error fell within the band when it was measured (0.9)."""
    estimated_input_tokens: int
    """Input tokens the counting model estimated (the band applies to these)."""
    input_tokens_low: int
    """Input tokens (expected band of the cache) if every count is as low as the band allows."""
    input_tokens_high: int
    realtime_low: Decimal
    """Expected real-time cost at ``input_tokens_low``."""
    realtime_high: Decimal
    batch_low: Decimal | None
    """Expected batch cost at ``input_tokens_low``; None when a model is not batchable."""
    batch_high: Decimal | None
    description: str


class ModelEstimate(Priced):
    """The requests of one model."""

    model: str
    """Canonical model id."""
    model_name: str
    requests: int
    worst_case: WorstCase
    token_method: TokenMethod
    output_method: str
    """How the expected output of these requests was set."""
    runs_as: tuple[RunsAs, ...] = ()
    """Its requests by how they run (one entry when they all run alike)."""


class GroupEstimate(Priced):
    """The requests whose custom_id has one prefix (``group_by="prefix"``)."""

    prefix: str
    requests: int
    models: tuple[str, ...]
    worst_case: WorstCase


class SkippedLine(_Frozen):
    """An invalid line or row left out (``skip_invalid``), and why."""

    file: str | None
    """The file it is in (None when the reason names no file)."""
    line: int | None
    """Its 1-based line number, when it has one (a table's row is named in ``reason``)."""
    reason: str
    """What is wrong with it, quoting the value."""


class Estimate(Priced):
    """What a workload will cost: expected and worst case, real time and batch, per model."""

    files: tuple[str, ...]
    """The files read."""
    requests: int
    skipped: int
    """Invalid lines or rows skipped (with ``skip_invalid``)."""
    skipped_lines: tuple[SkippedLine, ...] = ()
    """The first :data:`~claude_quote.workloads.results.MAX_SKIPPED_SHOWN` of them, in input order."""
    worst_case: WorstCase
    by_model: tuple[ModelEstimate, ...]
    groups: tuple[GroupEstimate, ...] | None
    cache_bands: CacheBands | None
    """None when no request uses ``cache_control``."""
    token_method: TokenMethod
    output_method: str
    warnings: tuple[str, ...]
    pricing_version: str
    pricing_sha256: str
    pricing_checked: date
    """When the price table was last checked against its sources (its ``checked`` date)."""
    at: date
    sample: SampleEstimate | None = None
    """With ``sample``: the whole input's extrapolated cost (everything else is the sample's own)."""
    token_band: TokenBand | None = None
    """The range the error of the token counts allows; None when it is not known (``--token-factor``)."""

    @property
    def input_tokens(self) -> int:
        """Prompt tokens (uncached input + cache writes + cache reads), expected."""
        return self.usage.prompt_tokens

    @property
    def output_tokens(self) -> int:
        """Output tokens, expected."""
        return self.usage.output_tokens


@dataclass(frozen=True, slots=True)
class RequestEstimate:
    """One request's estimate: what ``reconcile --request-file`` compares and ``calibrate`` learns from."""

    custom_id: str
    model: str
    """Canonical id of the model it is priced on."""
    modifiers: Modifiers
    """How it runs: data residency and speed (mode realtime)."""
    usage: Usage
    """Expected usage (the ``expected`` cache band): requests sum to the estimate's expected usage."""
    raw_text_tokens: int
    """Uncorrected tiktoken cl100k_base count of the request's text (0 when its count was given)."""
    fixed_tokens: int
    """Tokens that are not text and not corrected: tool-use system prompt, images, PDF pages."""
    max_tokens: int
    line: int | None
    """Line of the request in its file."""
    class_tokens: tuple[float, ...] | None = None
    """The text's tiktoken tokens per content class (tool definitions × their factor), in the order of
    :data:`claude_quote.tokens.classes.CLASSES`; None when the count was given."""
    framing_tokens: float = 0.0
    """The framing the uncalibrated counting model adds (per request, message and system prompt)."""
