"""What the OCR function accepts as a photo: checked from the bytes (Pillow), never trusted."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from legwork.samples import render_receipt
from receipts.images import MAX_PIXELS, RECOGNITION_SIDE, ImageRefused, prepare


def refused(data: bytes) -> str:
    with pytest.raises(ImageRefused) as info:
        prepare(data)
    return info.value.reason


def test_bytes_that_are_no_image_are_refused_as_not_an_image() -> None:
    assert refused(b"hello, I am a text file " * 100).startswith("not an image")
    assert "PDF" in refused(b"%PDF-1.7\n" + b"0" * 4000)


def test_a_gif_is_an_image_but_not_one_we_accept() -> None:
    out = io.BytesIO()
    Image.new("RGB", (300, 300), "white").save(out, "GIF")
    assert "GIF" in refused(out.getvalue() + b"\0" * 2000)


def test_a_truncated_jpeg_is_refused_as_truncated() -> None:
    data = render_receipt(["SHOP", "TOTAL  9.99"], scale=2)
    assert "truncated" in refused(data[: len(data) // 2])


def test_a_decompression_bomb_is_refused_before_it_is_decoded() -> None:
    out = io.BytesIO()
    Image.new("1", (8000, 8000)).save(out, "PNG")  # 64 MP of nothing: a few KB on disk
    assert len(out.getvalue()) < 1_000_000 and 8000 * 8000 > MAX_PIXELS
    assert "over the 50 MP limit" in refused(out.getvalue())


def test_sizes_outside_the_posted_limits_are_refused() -> None:
    assert "too small" in refused(b"\xff\xd8\xff" + b"0" * 100)
    assert "over the 10 MB limit" in refused(b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024 + 1))


def test_absurd_dimensions_are_refused() -> None:
    out = io.BytesIO()
    Image.new("L", (19000, 40), 255).save(out, "PNG")
    assert "not the shape of a receipt photo" in refused(out.getvalue() + b"\0" * 1024)


def test_exif_orientation_is_applied_and_large_photos_are_downsized() -> None:
    upright = prepare(render_receipt(["SHOP", "TOTAL  9.99"], exif_orientation=6))
    assert upright.original_size[0] < upright.original_size[1] and upright.image.width > upright.image.height
    large = prepare(render_receipt(["SHOP", "TOTAL  9.99"], scale=6, fmt="PNG"))
    assert max(large.original_size) > RECOGNITION_SIDE and max(large.image.size) == RECOGNITION_SIDE
    assert large.format == "PNG" and large.image.mode == "RGB"


def test_webp_and_transparent_png_are_read_on_white_paper() -> None:
    assert prepare(render_receipt(["SHOP", "TOTAL  9.99"], fmt="WEBP")).content_type == "image/webp"
    out = io.BytesIO()
    Image.new("RGBA", (400, 300), (0, 0, 0, 0)).save(out, "PNG")
    photo = prepare(out.getvalue() + b"\0" * 1024)
    assert photo.image.getpixel((10, 10)) == (255, 255, 255)
