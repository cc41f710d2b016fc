"""Images and PDFs, counted the way Claude bills them: from pixels and pages, not base64 length.

Images (Anthropic's vision guide): an image is scaled down to fit the model's long-edge limit
(``image_max_long_edge_px``, 1,568 px on most models, 2,576 px on Opus 4.7), then costs about
``width × height ÷ 750`` tokens, at most ``image_max_tokens`` (1,568; 4,784 on Opus 4.7). The cap also
stands for the API's ~1.15-megapixel limit: 1,568 × 750 ≈ 1.18 MP. We read the size from the PNG,
JPEG, GIF or WebP header inside the base64 data; nothing is decoded beyond the header.

PDFs (Anthropic's PDF guide): each page costs its text (1,500–3,000 tokens per page, typically) plus
the page as an image. We count pages from the PDF bytes (``/Type /Page`` objects, else the page
tree's ``/Count``) and charge :data:`PDF_TEXT_TOKENS_PER_PAGE` (the middle of that range) plus one
full-size image (the model's ``image_max_tokens``) per page. This is an estimate and reports say so.

>>> image_tokens(1000, 1000, long_edge=1568, max_tokens=1568)   # 1,000,000 / 750 = 1,333.3 → 1,334
1334
>>> image_tokens(4000, 3000, long_edge=1568, max_tokens=1568)   # scaled to 1568×1176, then capped
1568
"""

from __future__ import annotations

import base64
import binascii
import re
import struct

__all__ = [
    "PDF_TEXT_TOKENS_PER_PAGE",
    "image_size",
    "image_size_from_base64",
    "image_tokens",
    "pdf_page_count",
    "pdf_tokens",
]

PDF_TEXT_TOKENS_PER_PAGE = 2_250
"""Text tokens charged per PDF page: the middle of Anthropic's 1,500–3,000 (UNCERTAIN; depends on density)."""

_PIXELS_PER_TOKEN = 750
_HEADER_CHARS = 64 * 1024  # base64 characters decoded first (48 KiB); JPEGs with big EXIF blocks need more


def image_tokens(width: int, height: int, *, long_edge: int, max_tokens: int) -> int:
    """Tokens for a ``width`` × ``height`` image on a model with these limits.

    The long edge is scaled down to ``long_edge`` (keeping the aspect ratio, rounding pixels down),
    then ``ceil(w × h / 750)``, capped at ``max_tokens``.
    """
    if width <= 0 or height <= 0:
        return 0
    longest = max(width, height)
    if longest > long_edge:
        width, height = width * long_edge // longest, height * long_edge // longest
        width, height = max(width, 1), max(height, 1)
    tokens = -(-(width * height) // _PIXELS_PER_TOKEN)
    return min(tokens, max_tokens)


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG, GIF, WebP or JPEG header, or None when not recognised/truncated."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp_size(data)
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD9)):  # standalone markers carry no length
            i += 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if marker in _SOF:
            if i + 9 > n:
                return None
            height = int.from_bytes(data[i + 5 : i + 7], "big")
            width = int.from_bytes(data[i + 7 : i + 9], "big")
            return width, height
        if marker == 0xDA:  # start of scan before any frame header
            return None
        i += 2 + length
    return None


def image_size_from_base64(data: str) -> tuple[int, int] | None:
    """The size of a base64-encoded image, decoding only its header when that suffices.

    Raises:
        ValueError: the data is not valid base64.
    """
    head = data[:_HEADER_CHARS]
    head = head[: len(head) - len(head) % 4]
    try:
        size = image_size(base64.b64decode(head, validate=True))
        if size is None and len(data) > len(head) and data.startswith("/9j/"):  # a JPEG with a large header
            size = image_size(base64.b64decode(data, validate=True))
    except binascii.Error as exc:
        raise ValueError(f"image data is not valid base64 ({exc})") from None
    return size


_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
_COUNT = re.compile(rb"/Count\s+(\d{1,9})(?!\d)")  # a real PDF has fewer than a billion pages


def pdf_page_count(data: bytes) -> int | None:
    """Pages in a PDF: ``/Type /Page`` objects, else the largest ``/Count``; None when neither is visible.

    PDFs whose page objects sit in compressed object streams show neither; callers then warn.

    >>> pdf_page_count(b"%PDF-1.4 1 0 obj <</Type /Pages /Count 2>> 2 0 obj <</Type /Page>> 3 0 obj <</Type/Page>>")
    2
    """
    pages = len(_PAGE.findall(data))
    if pages:
        return pages
    counts = [int(m) for m in _COUNT.findall(data)]
    return max(counts) if counts and max(counts) > 0 else None


def pdf_tokens(pages: int, *, image_max_tokens: int) -> int:
    """Tokens for ``pages`` pages: text per page plus each page as a full-size image.

    >>> pdf_tokens(3, image_max_tokens=1568)   # 3 × (2,250 + 1,568)
    11454
    """
    return pages * (PDF_TEXT_TOKENS_PER_PAGE + image_max_tokens)
