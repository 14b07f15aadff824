"""Receipt photos made on the spot, with known totals: for tests, `make bench-ocr` and demo data.

A receipt is drawn with Pillow as a phone would see it: dark text on paper, optionally
large, low-contrast, slightly tilted, or stored sideways with an EXIF orientation tag.
Chinese text needs a CJK font (Debian: `apt-get install fonts-wqy-microhei`); Latin
text falls back to Pillow's own font when no system font is there.

    >>> data = render_receipt(["SHOP", "TOTAL 20.44"], fmt="JPEG")
    >>> data[:3]
    b'\\xff\\xd8\\xff'
"""
from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
LATIN_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
               "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf")
CJK_INSTALL = "apt-get install -y fonts-wqy-microhei"


def cjk_font_path() -> str | None:
    return next((p for p in CJK_FONTS if Path(p).is_file()), None)


def font(size: int, *, cjk: bool) -> ImageFont.FreeTypeFont:
    path = cjk_font_path() or (None if cjk else next((p for p in LATIN_FONTS if Path(p).is_file()), None))
    if path is None:
        if cjk:
            raise RuntimeError(f"no CJK font to draw Chinese receipts; install one: {CJK_INSTALL}")
        return ImageFont.load_default(size)
    return ImageFont.truetype(path, size)


def render_receipt(lines: list[str], *, fmt: str = "JPEG", scale: float = 1.0, contrast: float = 1.0,
                   tilt: float = 0.0, exif_orientation: int | None = None, width: int = 640,
                   quality: int = 85) -> bytes:
    """The bytes of a receipt photo with `lines`, left column and right-aligned amounts
    ("Milk 2L  3.49" is split at its last double space).

    `scale` enlarges the whole photo, `contrast` < 1 fades the ink towards the paper,
    `tilt` rotates it by degrees, and `exif_orientation` stores the pixels turned so that
    only the EXIF tag makes them upright (6: the camera was held clockwise).
    """
    cjk = any(ord(ch) > 0x2E80 for line in lines for ch in line)
    size = round(26 * scale)
    face = font(size, cjk=cjk)
    pad, step = round(30 * scale), round(size * 1.45)
    canvas_width = round(width * scale)
    paper = 250
    ink = round(paper - (paper - 20) * contrast)
    image = Image.new("L", (canvas_width, 2 * pad + step * len(lines)), paper)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        y = pad + i * step
        left, sep, right = line.rpartition("  ")
        if not sep:
            left, right = line, ""
        draw.text((pad, y), left.strip(), font=face, fill=ink)
        if right:
            draw.text((canvas_width - pad, y), right.strip(), font=face, fill=ink, anchor="ra")
    if tilt:
        image = image.rotate(tilt, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=paper)
    image = image.convert("RGB")
    exif = None
    if exif_orientation:
        # Store the pixels as the sensor saw them; the tag tells viewers how to turn them back.
        stored = {6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270, 3: Image.Transpose.ROTATE_180}
        image = image.transpose(stored[exif_orientation])
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
    out = io.BytesIO()
    options = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
    if exif is not None:
        options["exif"] = exif.tobytes()
    image.save(out, format=fmt, **options)
    return out.getvalue()
