"""The limits of one Message Batch (requests, bytes of the batch-create body) and of the checks (the
margin under a limit that is warned about), and :func:`parse_size` for byte limits given as text.
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

_BODY_OPEN = b'{"requests":['
_BODY_CLOSE = b"]}"
_BODY_EXTRA = len(_BODY_OPEN) + len(_BODY_CLOSE) - 1
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
