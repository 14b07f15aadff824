"""What the OCR function accepts as a receipt photo: checked from the bytes, never from the name.

The upload's content type and size were pinned by the presigned POST, but the object is
trusted for nothing: its size is checked again, its real type is read from its bytes
(JPEG, PNG or WebP), its dimensions are checked before a pixel is decoded (a
decompression bomb never reaches memory), large photos are decoded at a reduced scale
(JPEG draft mode) and downsized, and the EXIF orientation is applied, so the recogniser
sees the receipt upright.

    >>> photo = prepare(data)           # raises ImageRefused(reason) for what it cannot read
    >>> photo.image.size, photo.original_size
    ((1500, 2000), (3000, 4000))
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from receipts.models import MAX_BYTES, MIN_BYTES

MAX_PIXELS = 50_000_000
MAX_SIDE = 20_000  # longer than any receipt roll photographed in one frame
MAX_ASPECT = 25  # a 1 x 100000 "photo" is not a receipt
RECOGNITION_SIDE = 2000  # what the recogniser works at (its own max_side_len); larger only costs time
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}  # models.CONTENT_TYPES, by Pillow's name

# Pillow's own guard: a warning past MAX_PIXELS, an error past twice that. We refuse at
# MAX_PIXELS ourselves (before decoding), so both only ever back us up.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class ImageRefused(Exception):
    """The object is not a receipt photo we can read; `reason` says so to a person."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Photo:
    image: Image.Image  # RGB, upright, at most RECOGNITION_SIDE on its longer side
    format: str  # JPEG | PNG | WEBP, read from the bytes
    original_size: tuple[int, int]  # as stored (before orientation and downsizing)
    content_type: str


def human_size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:.1f} KB"


def check_size(size: int) -> None:
    """The upload's size against the limits the presigned POST pinned."""
    if size < MIN_BYTES:
        raise ImageRefused(f"the file is {size} bytes, too small to be a receipt photo (at least 1 KB); "
                           "take the photo again")
    if size > MAX_BYTES:
        raise ImageRefused(f"the file is {human_size(size)}, over the 10 MB limit; send a smaller photo")


def prepare(data: bytes, *, side: int = RECOGNITION_SIDE) -> Photo:
    """The photo in `data`, ready for recognition; `ImageRefused` with a reason otherwise."""
    check_size(len(data))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=tuple(FORMATS))
    except UnidentifiedImageError:
        raise ImageRefused(_not_an_image(data)) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused(f"not a photo: its dimensions are over the {MAX_PIXELS // 1_000_000} MP limit "
                           "(a decompression bomb)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageRefused(f"not an image we can read ({exc}); send a JPEG, PNG or WebP photo") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageRefused(f"the image is {width}x{height} ({width * height / 1e6:.0f} MP), over the "
                           f"{MAX_PIXELS // 1_000_000} MP limit (a decompression bomb, or not a photo)")
    if max(width, height) > MAX_SIDE or max(width, height) > MAX_ASPECT * max(1, min(width, height)):
        raise ImageRefused(f"the image is {width}x{height}: not the shape of a receipt photo")
    if image.format == "JPEG":
        # Decode at 1/2, 1/4 or 1/8 scale when that still leaves `side`: most of the time of a large photo.
        image.draft("RGB", (side, side))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as exc:
        detail = "truncated" if "truncated" in str(exc).lower() else "damaged"
        raise ImageRefused(f"the image is {detail} (the upload did not finish, or the file is broken); "
                           "upload the photo again") from None
    if upright.mode != "RGB":
        upright = _to_rgb(upright)
    if max(upright.size) > side:
        upright.thumbnail((side, side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return Photo(image=upright, format=image.format or "", original_size=(width, height),
                 content_type=FORMATS.get(image.format or "", ""))


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))  # receipts are paper: transparent is white
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _not_an_image(data: bytes) -> str:
    head = data[:16]
    for magic, name in ((b"GIF8", "GIF"), (b"%PDF", "PDF"), (b"BM", "BMP"), (b"II*\0", "TIFF"), (b"MM\0*", "TIFF")):
        if head.startswith(magic):
            return f"not an image we accept: the file is a {name}; send a JPEG, PNG or WebP photo"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypmsf1", b"ftypavif"):
        return "not an image we accept: the file is HEIC/AVIF; set the camera to JPEG (most compatible) or send a PNG"
    return "not an image: the file is not a JPEG, PNG or WebP photo"
