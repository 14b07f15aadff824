"""The OCR engine: RapidOCR (PP-OCR models in ONNX, run by onnxruntime), from the OCR layer.

The engine and its models ship inside the layer, so nothing is downloaded at run time and
it runs the same in every partition (AWS China has no Textract) and in `make dev`. It is
imported and loaded on first use, once per process: API functions that share this
package never pay for it, and a warm OCR function reuses it.

The recogniser returns text boxes; `recognise` groups them into the receipt's lines,
top to bottom and left to right, which is what the total rules read.

    >>> lines = recognise(prepare(data).image)
    >>> lines[0]
    Line(text='FRESHMART SUPERMARKET', confidence=0.998)
"""
from __future__ import annotations

import functools
import threading
from statistics import median
from typing import Any

from receipts.totals import Line

_lock = threading.Lock()


@functools.cache
def engine() -> Any:
    """The RapidOCR instance of this process (models loaded on its first call)."""
    from rapidocr import RapidOCR

    return RapidOCR(params={"Global.log_level": "warning"})


def recognise(image: Any) -> list[Line]:
    """The lines of text of an upright RGB image (PIL), each with its lowest word confidence."""
    with _lock:  # one recognition at a time: the session is shared, and each already uses every core
        result = engine()(image)
    if result.txts is None or result.boxes is None:
        return []
    words = [([(float(x), float(y)) for x, y in box], str(text), float(score))
             for box, text, score in zip(result.boxes, result.txts, result.scores)]
    return group_lines(words)


Point = tuple[float, float]


def group_lines(words: list[tuple[list[Point], str, float]]) -> list[Line]:
    """Words `(box, text, score)` into lines, top to bottom, each left to right.

    `box` is the word's quadrilateral, top-left corner first, clockwise. A photo is rarely
    level: the words' own top edges give the tilt, positions are levelled by it, and a
    word joins the line whose levelled centre is within half a word height of its own.
    """
    if not words:
        return []
    slopes = [(b[1][1] - b[0][1]) / (b[1][0] - b[0][0]) for b, _, _ in words if b[1][0] - b[0][0] > 1]
    slope = median(slopes) if slopes else 0.0
    placed = []
    for box, text, score in words:
        cx = sum(x for x, _ in box) / len(box)
        cy = sum(y for _, y in box) / len(box)
        height = (abs(box[3][1] - box[0][1]) + abs(box[2][1] - box[1][1])) / 2
        placed.append((cy - slope * cx, cx, height, text, score))
    slack = median(p[2] for p in placed) / 2
    rows: list[list[tuple[float, float, float, str, float]]] = []
    for word in sorted(placed):
        if rows:
            row = rows[-1]
            if abs(word[0] - sum(w[0] for w in row) / len(row)) <= slack:
                row.append(word)
                continue
        rows.append([word])
    lines = []
    for row in rows:
        row.sort(key=lambda w: w[1])
        text = " ".join(w[3].strip() for w in row).strip()
        if text:
            lines.append(Line(text=text, confidence=round(min(w[4] for w in row), 3)))
    return lines
