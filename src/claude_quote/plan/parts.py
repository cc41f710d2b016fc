"""Planning the split: greedy, in file order, a new part when the next line would go over the
request or byte limit of one batch or repeat a custom_id of its part; a line too large for any batch
is a part of its own. The drafts become the plan's :class:`~claude_quote.plan.Part` list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .limits import BODY_EXTRA
from .models import Part, PartEnd, printable

if TYPE_CHECKING:
    from .checks import PlanModel
    from .planner import Planner


@dataclass
class Draft:
    first: int
    last: int
    requests: int = 0
    bytes: int = 0
    ids: set[str] = field(default_factory=set)
    models: set[str] = field(default_factory=set)
    over_limit: bool = False
    ended_by: PartEnd = "end_of_file"


def place(planner: Planner, line: int, custom_id: str, size: int, model: PlanModel | None, name: Any) -> None:
    """Put the request on ``line`` in the current part, or close it and start the next."""
    label = (
        model.info.id if model is not None else (printable(name) if isinstance(name, str) and name else None)
    )
    if planner.placed is not None:  # a piece of the file, planned in another process (plan/partial.py)
        planner.placed.append((line, custom_id, size, label))
    if size + BODY_EXTRA > planner.max_bytes:  # rare: the common path below stays inline (per line)
        _alone(planner, line, custom_id, size, label)
        return
    draft = planner.current
    end: PartEnd | None = None
    if draft is not None:
        if draft.requests + 1 > planner.max_requests:
            end = "max_requests"
        elif draft.bytes + size + BODY_EXTRA > planner.max_bytes:
            end = "max_bytes"
        elif custom_id in draft.ids:
            end = "custom_id_duplicate"
    if draft is None or end is not None:
        close(planner, end or "end_of_file")
        draft = planner.current = Draft(line, line)
    draft.last = line
    draft.requests += 1
    draft.bytes += size
    draft.ids.add(custom_id)
    if label:
        draft.models.add(label)


def _alone(planner: Planner, line: int, custom_id: str, size: int, label: str | None) -> None:
    """A line too large for any batch: an error, and a part of its own (over the limit)."""
    planner.add(
        line,
        custom_id,
        "error",
        "line_too_large",
        f"the line is {size:,} bytes ({size + BODY_EXTRA:,} as a batch body), over the "
        f"{planner.max_bytes:,}-byte limit of one batch: no batch can hold it; make the request "
        "smaller (e.g. send big documents by file id)",
    )
    close(planner, "line_too_large")
    planner.drafts.append(
        Draft(
            line,
            line,
            1,
            size,
            models={label} if label else set(),
            over_limit=True,
            ended_by="line_too_large",
        )
    )


def close(planner: Planner, why: PartEnd) -> None:
    """End the current part, if any, because of ``why``."""
    if planner.current is not None:
        planner.current.ids = set()
        planner.current.ended_by = why
        planner.drafts.append(planner.current)
        planner.current = None


def parts(drafts: list[Draft]) -> tuple[Part, ...]:
    """The parts of the split, named ``part-0001.jsonl`` and on (wider past 9,999 parts)."""
    width = max(4, len(str(len(drafts))))
    return tuple(
        Part(
            index=i,
            file=f"part-{i:0{width}d}.jsonl",
            first_line=d.first,
            last_line=d.last,
            requests=d.requests,
            bytes=d.bytes,
            body_bytes=d.bytes + BODY_EXTRA,
            models=tuple(sorted(d.models)),
            over_limit=d.over_limit,
            ended_by=d.ended_by,
        )
        for i, d in enumerate(drafts, start=1)
    )
