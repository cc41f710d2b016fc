"""Image sizes from headers, image token formula and caps, PDF page counts."""

from __future__ import annotations

import base64
import struct

import pytest

from claude_quote.tokens.media import (
    PDF_TEXT_TOKENS_PER_PAGE,
    image_size,
    image_size_from_base64,
    image_tokens,
    pdf_page_count,
    pdf_tokens,
)


def png(width: int, height: int) -> bytes:
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", 13)
        + b"IHDR"
        + struct.pack(">II", width, height)
        + b"\x08\x02\0\0\0"
        + b"\0" * 8
    )


def gif(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + b"\0" * 10


def jpeg(width: int, height: int, *, app_bytes: int = 16) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", app_bytes + 2) + b"J" * app_bytes
    sof = b"\xff\xc0" + struct.pack(">HBHH", 17, 8, height, width) + b"\x03" + b"\0" * 9
    return b"\xff\xd8" + app0 + sof + b"\xff\xda\0\x02"


def webp_vp8x(width: int, height: int) -> bytes:
    body = (
        b"VP8X"
        + struct.pack("<I", 10)
        + b"\0\0\0\0"
        + (width - 1).to_bytes(3, "little")
        + (height - 1).to_bytes(3, "little")
    )
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def webp_vp8l(width: int, height: int) -> bytes:
    bits = (width - 1) | ((height - 1) << 14)
    body = b"VP8L" + struct.pack("<I", 5) + b"\x2f" + bits.to_bytes(4, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def webp_vp8(width: int, height: int) -> bytes:
    frame = b"\0\0\0" + b"\x9d\x01\x2a" + struct.pack("<HH", width, height)
    body = b"VP8 " + struct.pack("<I", len(frame)) + frame
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


@pytest.mark.parametrize(
    ("data", "size"),
    [
        (png(1000, 750), (1000, 750)),
        (gif(320, 200), (320, 200)),
        (jpeg(640, 480), (640, 480)),
        (webp_vp8x(2000, 1500), (2000, 1500)),
        (webp_vp8l(300, 100), (300, 100)),
        (webp_vp8(800, 600), (800, 600)),
    ],
    ids=["png", "gif", "jpeg", "webp-vp8x", "webp-vp8l", "webp-vp8"],
)
def test_image_size_from_headers(data: bytes, size: tuple[int, int]) -> None:
    assert image_size(data) == size
    assert image_size_from_base64(base64.b64encode(data).decode()) == size


def test_unknown_or_truncated_images_have_no_size() -> None:
    assert image_size(b"BM not a supported format") is None
    assert image_size(png(10, 10)[:20]) is None
    assert image_size(b"\xff\xd8\xff\xe0\x00\x10JFIF") is None


def test_a_jpeg_whose_frame_header_is_past_the_first_chunk_is_still_read() -> None:
    data = jpeg(1234, 567, app_bytes=60_000)  # a big EXIF/APP block: SOF after ~60 KB
    assert image_size_from_base64(base64.b64encode(data).decode()) == (1234, 567)


def test_invalid_base64_is_an_error() -> None:
    with pytest.raises(ValueError, match="not valid base64"):
        image_size_from_base64("@@@@not-base64")


def test_image_tokens_formula() -> None:
    # 1000 × 1000 = 1,000,000 px ÷ 750 = 1,333.3 → 1,334 (PRICING-FACTS §5 "1000×1000 ≈ 1,334")
    assert image_tokens(1000, 1000, long_edge=1568, max_tokens=1568) == 1334
    # 200 × 150 = 30,000 ÷ 750 = 40 exactly
    assert image_tokens(200, 150, long_edge=1568, max_tokens=1568) == 40


def test_image_tokens_on_both_sides_of_the_cap() -> None:
    # 1,568 tokens × 750 = 1,176,000 px
    assert image_tokens(1175, 1000, long_edge=1568, max_tokens=1568) == 1567  # 1,566.7 → 1,567
    assert image_tokens(1176, 1000, long_edge=1568, max_tokens=1568) == 1568  # exactly at the cap
    assert image_tokens(1177, 1000, long_edge=1568, max_tokens=1568) == 1568  # 1,569.3 → capped


def test_images_are_scaled_to_the_long_edge_first() -> None:
    # 3136 × 200 → scaled by 1568/3136 = ½ → 1568 × 100 = 156,800 px ÷ 750 = 209.07 → 210
    assert image_tokens(3136, 200, long_edge=1568, max_tokens=1568) == 210
    # at the edge: 1568 × 100 is not scaled (same 210)
    assert image_tokens(1568, 100, long_edge=1568, max_tokens=1568) == 210
    # Opus 4.7 limits: 2576 px, 4784 tokens; 2576 × 1932 = 4,976,832 ÷ 750 = 6,635.8 → capped at 4,784
    assert image_tokens(2576, 1932, long_edge=2576, max_tokens=4784) == 4784
    # ... where the default model caps at 1,568
    assert image_tokens(2576, 1932, long_edge=1568, max_tokens=1568) == 1568


def test_pdf_page_count() -> None:
    pages = b"%PDF-1.7\n1 0 obj <</Type /Catalog /Pages 2 0 R>>\n2 0 obj <</Type /Pages /Count 3>>\n"
    pages += b"3 0 obj <</Type /Page>>\n4 0 obj <</Type/Page /Parent 2 0 R>>\n5 0 obj <</Type  /Page>>\n"
    assert pdf_page_count(pages) == 3
    # page objects hidden in compressed streams: fall back to the page tree's /Count
    assert pdf_page_count(b"%PDF-1.7 <</Type /Pages /Count 12>> stream...") == 12
    assert pdf_page_count(b"%PDF-1.7 compressed everything") is None


def test_pdf_tokens_per_page() -> None:
    # 2 pages × (2,250 text + 1,568 image) = 7,636
    assert PDF_TEXT_TOKENS_PER_PAGE == 2250
    assert pdf_tokens(2, image_max_tokens=1568) == 7636
