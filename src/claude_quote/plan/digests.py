"""Order-free digests of request lines and custom_ids (the planner's and the writer's proof that
every line is in the parts exactly once), and the bytes of a line and of a custom_id they digest.
"""

from __future__ import annotations

import hashlib


def _digest_add(total: int, data: bytes) -> int:
    return (total + int.from_bytes(hashlib.blake2b(data, digest_size=16).digest())) % (1 << 128)


def _hex(total: int) -> str:
    return f"{total:032x}"


def _content(raw: bytes) -> bytes:
    return raw[:-1] if raw.endswith(b"\n") else raw


def _id_bytes(custom_id: str) -> bytes:
    return custom_id.encode("utf-8", "surrogatepass")
