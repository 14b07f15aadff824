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


# -- a set of receipts with known totals (make bench-ocr) ---------------------------------
STORES_EN = ["FRESHMART SUPERMARKET", "CORNER CAFE", "CITY PARKING", "SHELL STATION 214", "HARDWARE HOUSE",
             "GREEN GROCER", "PHARMA PLUS", "QUICK PRINT", "NOODLE BAR", "BOOK NOOK"]
ITEMS_EN = ["Milk 2L", "Bread", "Coffee", "Diesel", "Parking 2h", "Screws", "Tape", "Apples 1kg", "Aspirin",
            "Copies x20", "Noodles", "Notebook", "Water 1.5L", "Sandwich", "Batteries AA"]
STORES_ZH = ["北京便利店", "上海超市", "好又多商店", "中石化加油站", "星光咖啡"]
ITEMS_ZH = ["矿泉水", "面包", "咖啡", "汽油", "停车费", "苹果", "牛奶", "纸巾", "电池", "盒饭"]


class Sample:
    """One receipt of the set: its lines, how it is photographed, its true total."""

    def __init__(self, name: str, lines: list[str], amount: str, currency: str, options: dict) -> None:
        self.name, self.lines, self.amount, self.currency, self.options = name, lines, amount, currency, options

    def render(self) -> bytes:
        return render_receipt(self.lines, **self.options)


def _money(value: int, *, comma: bool = False, thousands: bool = True) -> str:
    """Cents as printed: 1,234.50 or 1.234,50 (comma decimals)."""
    whole, cents = divmod(value, 100)
    text = f"{whole:,}" if thousands else str(whole)
    if comma:
        text = text.replace(",", ".")
        return f"{text},{cents:02d}"
    return f"{text}.{cents:02d}"


def receipt_set(count: int = 30, seed: int = 7) -> list[Sample]:
    """`count` receipts, English and Chinese, receipts and invoices, photographed in several ways."""
    import random

    rng = random.Random(seed)
    looks = [{}, {"tilt": 2.5}, {"tilt": -3.0}, {"exif_orientation": 6}, {"exif_orientation": 8},
             {"contrast": 0.35}, {"scale": 4.0}, {"quality": 55}, {"scale": 1.5, "tilt": 1.5}]
    samples = []
    for i in range(count):
        look = dict(looks[i % len(looks)])
        chinese = i % 3 == 2
        items = [(rng.choice(ITEMS_ZH if chinese else ITEMS_EN), rng.randint(90, 4_500 if i % 5 else 90_000))
                 for _ in range(rng.randint(2, 6))]
        subtotal = sum(price for _, price in items)
        if chinese:
            invoice = i % 6 == 5
            lines = [rng.choice(STORES_ZH), *[f"{name}  {_money(price, thousands=False)}" for name, price in items]]
            if invoice:
                tax = round(subtotal * 0.13)
                total = subtotal + tax
                lines += [f"合计  ¥{_money(subtotal, thousands=False)}", f"税额  ¥{_money(tax, thousands=False)}",
                          f"价税合计(小写)  ¥{_money(total, thousands=False)}"]
            else:
                total = subtotal
                paid = (total // 1000 + 1) * 1000
                lines += [f"小计  {_money(subtotal, thousands=False)}", f"合计  {_money(total, thousands=False)}",
                          f"实付  {_money(total, thousands=False)}", f"现金  {_money(paid, thousands=False)}",
                          f"找零  {_money(paid - total, thousands=False)}", "人民币 RMB"]
            currency = "CNY"
        else:
            symbol, currency, comma = rng.choice([("", "EUR", True), ("€", "EUR", False), ("$", "USD", False),
                                                  ("RM ", "MYR", False), ("S$", "SGD", False), ("£", "GBP", False)])
            tax = round(subtotal * 0.1) if i % 2 else 0
            total = subtotal + tax
            tendered = (total // 5000 + 1) * 5000
            lines = [rng.choice(STORES_EN), *[f"{name}  {_money(price, comma=comma)}" for name, price in items],
                     f"SUBTOTAL  {_money(subtotal, comma=comma)}"]
            if tax:
                lines.append(f"TAX 10%  {_money(tax, comma=comma)}")
            label = rng.choice(["TOTAL", "TOTAL", "GRAND TOTAL", "Total due", "AMOUNT DUE"])
            lines += [f"{label}  {symbol}{_money(total, comma=comma)}", f"CASH  {symbol}{_money(tendered, comma=comma)}",
                      f"CHANGE  {symbol}{_money(tendered - total, comma=comma)}", "THANK YOU"]
        samples.append(Sample(f"{i:02d}-{'zh' if chinese else 'en'}-{'-'.join(look) or 'plain'}", lines,
                              _money(total, thousands=False), currency, look))
    return samples
