"""The limits of one Message Batch (requests, bytes of the batch-create body), of its requests
(``max_tokens`` under the 300K-output beta) and of the checks (the margin under a limit that is warned
about), and :func:`parse_size` for byte limits given as text.
"""

from __future__ import annotations

import re
from decimal import Decimal

from claude_quote.errors import UsageError

MAX_REQUESTS = 100_000
"""Most requests one Message Batch takes."""
MAX_BYTES = 256_000_000
"""Default byte limit per batch. Anthropic says "256 MB" without a unit: we take the smaller reading
(256 × 10⁶, 4.6% under 256 MiB), which also leaves room for a client that re-serialises the lines."""
MAX_BYTES_CEILING = 256 * 1024 * 1024
"""The most ``max_bytes`` may be: the larger reading of "256 MB" (256 MiB)."""
DEFAULT_MARGIN = Decimal("0.1")
"""Token counts are estimates: a request within this share under a limit is warned about."""

OUTPUT_300K_BETA = "output-300k-2026-03-24"
"""The beta (``anthropic-beta`` header; the SDK's ``betas=[...]``) that lifts ``max_tokens`` in a
Message Batch to :data:`OUTPUT_300K_MAX_TOKENS` on the models of :data:`OUTPUT_300K_MODELS`."""
OUTPUT_300K_MAX_TOKENS = 300_000
OUTPUT_300K_MODELS: dict[str, str | None] = {
    "claude-opus-4-6": None,
    "claude-opus-4-7": None,
    "claude-sonnet-4-6": None,
    "claude-opus-5": None,
    "claude-opus-4-8": "only a third-party guide (June 2026) lists it; Anthropic's batch guide of "
    "2026-04-26 predates the model",
    "claude-opus-5-5": "read from a summary of the per-model pages ('all 5.x models'), not re-verified",
    "claude-sonnet-5": "read from a summary of the per-model pages ('all 5.x models'), not re-verified",
    "claude-sonnet-5-5": "read from a summary of the per-model pages ('all 5.x models'), not re-verified",
    "claude-haiku-5-5": "read from a summary of the per-model pages ('all 5.x models'), not re-verified",
}
"""The models on which the beta lifts ``max_tokens`` to 300,000, each with the reason it is
UNCERTAIN (None: an Anthropic page says so). Sources, read 2026-12-01:

- Anthropic, "Batch processing", section "Extended output (beta)"
  (platform.claude.com/docs/en/build-with-claude/batch-processing, copy fetched 2026-04-26): "raises
  the max_tokens cap to 300,000 for batch requests using Claude Opus 4.7, Claude Opus 4.6, or Claude
  Sonnet 4.6"; Message Batches API only.
- Anthropic, "Claude Opus 5" model page (platform.claude.com/docs/en/models/opus-5/overview):
  "Max output (Batch API, beta): 300K tokens".
- Third-party: a guide of June 2026 adds Opus 4.8 and says Fable 5 and Mythos 5 stay at 128K
  (so the Fable and Mythos models are not listed); the project's research notes say every 5.x model
  page lists 300K, which was seen here only for Opus 5.

A request over the model's maximum output is an error without the beta; with it (``--beta``), over
300,000 is, and on an UNCERTAIN model only a warning."""

_BODY_OPEN = b'{"requests":['
_BODY_CLOSE = b"]}"
BODY_EXTRA = len(_BODY_OPEN) + len(_BODY_CLOSE) - 1
"""Body bytes = part bytes + this: the lines' newlines become commas, except the last one."""


_SIZE = re.compile(r"\s*([0-9][0-9_,]*)\s*([kmg]i?b|b)?\s*", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}


def parse_size(text: str) -> int:
    """Bytes from ``256MB`` (10⁶), ``200MiB`` (2²⁰), ``1,000,000`` or ``250_000``."""
    found = _SIZE.fullmatch(text)
    if found is None:
        raise UsageError(f"{text!r} is not a size; write bytes (250000) or 256MB, 200MiB, 500kB")
    number = int(found[1].replace("_", "").replace(",", ""))
    return number * _UNITS[(found[2] or "b").lower()]
