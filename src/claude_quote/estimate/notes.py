"""The words of an estimate: its warnings (no output estimate, retired or UNCERTAIN prices, the notes
counted per model while measuring, skipped lines, samples) and the descriptions of the cache bands.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from claude_quote.engine import card_notes
from claude_quote.pricing import ModelInfo
from claude_quote.sampling import SampleEstimate
from claude_quote.tokens.correction import disputed_counts
from claude_quote.tokens.media import PDF_TEXT_TOKENS_PER_PAGE
from claude_quote.tokens.request import MAX_BREAKPOINTS, ModelFacts

from .models import BandName, ModelEstimate

if TYPE_CHECKING:
    from .run import EstimateRun

MAX_TOKENS_OUTPUT = "max_tokens of each request (no output estimate given, so expected = worst case)"


def band_text(hit_rate: Decimal, band: BandName) -> str:
    """What the cache band ``band`` assumes (``expected``: with ``hit_rate`` of the best case's reads)."""
    percent = (hit_rate * 100).normalize()
    return {
        "no_cache": "cache_control ignored: every prompt token billed as uncached input",
        "miss": "no cache hits: every request writes its cacheable prefix (requests in one batch "
        "run in parallel and can all miss)",
        "expected": f"{format(percent, 'f')}% of the best case's cache reads hit; the rest write again",
        "best": "every request reads the longest prefix an earlier request wrote",
    }[band]


def warnings(run: EstimateRun, by_model: Sequence[ModelEstimate]) -> list[str]:
    """The estimate's warnings, in the order they are shown."""
    out: list[str] = []
    if any(MAX_TOKENS_OUTPUT in m.output_method for m in by_model):
        out.append(
            "no output estimate was given, so the expected cost assumes every request writes its "
            "full max_tokens (the worst case); pass --output-tokens N, --output-ratio R or a "
            "calibration file for a realistic expected cost"
        )
    for m in by_model:
        facts = run.models[m.model]
        out += price_warnings(run, facts.model)
        disputed = disputed_counts(facts.model, m.token_method)
        if disputed is not None:
            out.append(
                f"{facts.model.id}: its token counts may be high, beyond the stated band: {disputed} "
                "(UNCERTAIN, docs/tokens.md); --exact counts with Anthropic's count_tokens, and a "
                "calibration file learns the model's own factors"
            )
        for code in _NOTE_ORDER:
            count = run.notes.get((code, m.model), 0)
            if count:
                out.append(_note(code, count, facts, run))
    out += run.encoding_notes
    out += run.input_notes
    if run.not_text:
        listed = ", ".join(run.not_text[:_LISTED]) + (
            f" and {len(run.not_text) - _LISTED:,} more" if len(run.not_text) > _LISTED else ""
        )
        out.append(
            f"skipped {count_of(len(run.not_text), 'file that is not text', 'files that are not text')}: {listed} "
            "(--exclude GLOB leaves files out; --encoding reads text in another encoding)"
        )
    if run.skipped and run.skips:
        listed = "".join(f"\n  {error}" for error in run.skips)
        more = run.skipped - len(run.skips)
        out.append(
            f"skipped {count_of(run.skipped, 'invalid line or row', 'invalid lines or rows')}:{listed}"
            + (f"\n  … and {more:,} more (the first {len(run.skips):,} are listed)" if more else "")
        )
    return out


_LISTED = 5
"""How many skipped files a warning names."""


def price_warnings(run: EstimateRun, info: ModelInfo) -> list[str]:
    """About the prices of ``info``: retired, marked UNCERTAIN, fast mode withdrawn, or no batch price."""
    out: list[str] = []
    pricings = run.pricings_of(info.id)
    for pricing in pricings:
        for note in card_notes(pricing.realtime):
            if note not in out:
                out.append(note)
    if any(p.batch is None for p in pricings):
        out.append(f"{info.id} is not available in the Message Batches API; no batch price is shown")
    return out


def sample_warnings(info: SampleEstimate, run: EstimateRun) -> list[str]:
    """What a sample's extrapolated totals can and cannot say."""
    out = []
    if info.size < info.population:
        out.append(
            f"estimated from a random sample of {info.size:,} of {info.population:,} requests (seed "
            f"{info.seed}): the extrapolated totals are estimates with a 95% confidence interval; the "
            "token, line and per-model figures are the sample's own"
        )
        if info.size < 30:
            out.append(
                f"a sample of {info.size} requests is small: the normal-approximation interval is "
                "unreliable below about 30; sample more"
            )
        if run.has_cache:
            out.append(
                "cache reads between requests are only found within the sample, so the extrapolated "
                "cost of a cached workload errs high (fewer shared prefixes are seen than in the full input)"
            )
    return out


def count_of(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count:,} {singular if count == 1 else (plural or singular + 's')}"


_NOTE_ORDER = (
    "fast",
    "tier",
    "over_window",
    "over_max_output",
    "output_capped",
    "tool_overhead_fallback",
    "image_unsized",
    "image_unknown_format",
    "pdf_pages",
    "pdf_pages_unknown",
    "below_min_cacheable",
    "min_cacheable_fallback",
    "ttl_5m",
    "too_many_breakpoints",
)


_MEDIA_NOTES = frozenset({"image_unsized", "image_unknown_format", "pdf_pages", "pdf_pages_unknown"})
_CACHE_NOTES = frozenset({"below_min_cacheable", "min_cacheable_fallback", "ttl_5m", "too_many_breakpoints"})


def _note(code: str, count: int, facts: ModelFacts, run: EstimateRun) -> str:
    if code in _MEDIA_NOTES:
        return _media_note(code, count, facts.model)
    if code in _CACHE_NOTES:
        return _cache_note(code, count, facts)
    return _request_note(code, count, facts, run)


def _request_note(code: str, count: int, facts: ModelFacts, run: EstimateRun) -> str:
    """A note on how requests run: fast mode, the long-context tier, the window and max_tokens."""
    info, at = facts.model, run.at
    requests = count_of(count, f"{info.id} request")
    have = "has" if count == 1 else "have"
    if code == "fast":
        return (
            f'{requests} {"asks" if count == 1 else "ask"} for fast mode (speed "fast"), which the Batch API '
            "does not run: the batch figures price them at real-time fast-mode rates; send them through "
            "the Messages API"
        )
    if code == "tier":
        cards = [p.realtime for p in run.pricings_of(info.id) if p.realtime.thresholds]
        threshold = cards[0].thresholds[0] if cards else 0
        return (
            f"{requests} {have} {'a prompt' if count == 1 else 'prompts'} over {threshold:,} tokens: "
            "each is billed whole, output included, "
            "at the higher tier rates"
        )
    if code == "over_window":
        return (
            f"{requests} {have} prompt + max_tokens above the {info.context_window_at(at) or 0:,}-token "
            "context window; the API may reject them"
        )
    if code == "over_max_output":
        return f"{requests} {'asks' if count == 1 else 'ask'} for max_tokens above the model's maximum output of {info.max_output or 0:,}"
    if code == "output_capped":
        return f"{requests}: the expected output was above max_tokens and was capped at max_tokens"
    if code == "tool_overhead_fallback":
        return facts.tool_note or ""
    raise AssertionError(code)  # pragma: no cover


def _media_note(code: str, count: int, info: ModelInfo) -> str:
    """A note on images and PDF pages whose tokens could only be estimated."""
    if code == "image_unsized":
        return (
            f"{count_of(count, 'image')} given by URL or file id ({info.id}): size unknown, counted at the "
            f"model's cap of {info.image_max_tokens:,} tokens each"
        )
    if code == "image_unknown_format":
        return (
            f"{count_of(count, 'image')} in a format whose size could not be read ({info.id}): counted at "
            f"the cap of {info.image_max_tokens:,} tokens each"
        )
    if code == "pdf_pages":
        return (
            f"{count_of(count, 'PDF page')} ({info.id}) estimated at {PDF_TEXT_TOKENS_PER_PAGE:,} text + "
            f"{info.image_max_tokens:,} image tokens per page (Anthropic: 1,500–3,000 text tokens per "
            "page plus the page as an image); an estimate"
        )
    if code == "pdf_pages_unknown":
        return (
            f"{count_of(count, 'PDF document')} ({info.id}) with a page count that could not be read (URL, "
            "file id or compressed page tree): counted as one page each"
        )
    raise AssertionError(code)  # pragma: no cover


def _cache_note(code: str, count: int, facts: ModelFacts) -> str:
    """A note on prompt caching: prefixes too short to cache, the TTL, too many breakpoints."""
    requests = count_of(count, f"{facts.model.id} request")
    have = "has" if count == 1 else "have"
    if code == "min_cacheable_fallback":
        return facts.min_cacheable_note or ""
    if code == "below_min_cacheable":
        return (
            f"{requests} {have} cache_control but a cacheable prefix shorter than the model's minimum "
            f"of {facts.min_cacheable:,} tokens, so the API does not cache that prefix (billed as uncached input)"
        )
    if code == "ttl_5m":
        return (
            f"{requests} {'caches' if count == 1 else 'cache'} with the 5-minute TTL: batches often run longer than 5 minutes, so "
            'Anthropic recommends ttl "1h" when caching in a batch'
        )
    if code == "too_many_breakpoints":
        return (
            f"{requests} {have} more than {MAX_BREAKPOINTS} cache_control breakpoints; the API rejects them"
        )
    raise AssertionError(code)  # pragma: no cover
