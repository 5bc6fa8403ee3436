"""Plane geometry for the synthetic city: rectangles split in proportion to their children's weights."""

from __future__ import annotations

import math
from collections.abc import Sequence

Box = tuple[float, float, float, float]


def split(box: Box, weights: Sequence[float]) -> list[Box]:
    """Cut a box into strips along its longer side, each as wide as its share of the weight."""
    minx, miny, maxx, maxy = box
    total = sum(weights) or 1.0
    horizontal = (maxx - minx) >= (maxy - miny)
    span = (maxx - minx) if horizontal else (maxy - miny)
    boxes: list[Box] = []
    start = minx if horizontal else miny
    for w in weights:
        end = start + span * w / total
        boxes.append((start, miny, end, maxy) if horizontal else (minx, start, maxx, end))
        start = end
    return boxes


def grid_split(box: Box, count: int) -> list[Box]:
    """Cut a box into `count` cells in rows, roughly square; the last row may hold fewer, wider cells."""
    if count <= 0:
        return []
    minx, miny, maxx, maxy = box
    width, height = maxx - minx, maxy - miny
    cols = min(count, max(1, round(math.sqrt(count * width / max(height, 1e-9)))))
    rows = -(-count // cols)
    cells: list[Box] = []
    for r in range(rows):
        in_row = min(cols, count - len(cells))
        y0, y1 = miny + height * r / rows, miny + height * (r + 1) / rows
        cells.extend(
            (minx + width * c / in_row, y0, minx + width * (c + 1) / in_row, y1) for c in range(in_row)
        )
    return cells


def polygon(box: Box) -> dict:
    minx, miny, maxx, maxy = (round(v, 1) for v in box)
    return {
        "type": "Polygon",
        "coordinates": [[[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]],
    }


def centre(box: Box) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
