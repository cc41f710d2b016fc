"""Writing output files atomically: into a temporary file in the same folder, flushed to disk, then
renamed over the target. A failure — a missing or read-only folder, a full disk, an interrupted run —
leaves the target as it was (absent, or the previous version), never empty or half written, and the
temporary file is removed.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "report.json"
>>> write_atomically(path, '{"total": "1.5"}\\n', what="report")
>>> path.read_text()
'{"total": "1.5"}\\n'
>>> write_atomically(path.parent / "missing" / "r.json", "{}", what="report")
Traceback (most recent call last):
...
claude_quote.errors.WorkloadError: .../missing/r.json: cannot write the report: No such file or directory
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from claude_quote.errors import WorkloadError

__all__ = ["write_atomically"]


def write_atomically(path: str | Path, text: str, *, what: str = "file", errors: str = "strict") -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically; ``errors="backslashreplace"`` writes a character
    UTF-8 cannot hold (a lone surrogate from an input) as its escape instead of failing.

    Raises:
        WorkloadError: the file cannot be written (naming it and the reason); the target is untouched.
    """
    target = Path(path)
    data = text.encode("utf-8", errors)
    temporary: Path | None = None
    try:
        with tempfile.NamedTemporaryFile(
            "wb", dir=target.parent, prefix=f".{target.name}.", suffix=".tmp", delete=False
        ) as handle:
            temporary = Path(handle.name)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(target)
    except OSError as exc:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise WorkloadError(f"cannot write the {what}: {exc.strerror or exc}", path=str(target)) from None
