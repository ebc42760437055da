"""Lays out a service's dependency neighbourhood for a small SVG drawing.

Rows run from what the service needs (top) through the service to what needs it (bottom), which
reads naturally on a tall phone screen. Positions are computed here; the template only draws.
"""

from __future__ import annotations

from dataclasses import dataclass

from takepoint.catalog.graph import Neighbourhood, Node

BOX_W = 150
BOX_H = 40
GAP_X = 14
ROW_STEP = 74
MARGIN = 8
MIN_WIDTH = 330


@dataclass(frozen=True)
class Box:
    node: Node
    x: int
    y: int
    title: str
    subtitle: str
    centre: bool

    @property
    def mid_x(self) -> int:
        return self.x + BOX_W // 2


@dataclass(frozen=True)
class Line:
    x1: int
    y1: int
    x2: int
    y2: int


@dataclass(frozen=True)
class Drawing:
    width: int
    height: int
    boxes: list[Box]
    lines: list[Line]
    box_w: int = BOX_W
    box_h: int = BOX_H


def _shorten(text: str, limit: int = 20) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def lay_out(hood: Neighbourhood) -> Drawing:
    rows = [hood.column(depth) for depth in hood.depths]
    widest = max(len(row) for row in rows)
    width = max(MIN_WIDTH, 2 * MARGIN + widest * BOX_W + (widest - 1) * GAP_X)
    boxes: dict[str, Box] = {}
    for index, row in enumerate(rows):
        row_width = len(row) * BOX_W + (len(row) - 1) * GAP_X
        left = (width - row_width) // 2
        for position, node in enumerate(row):
            if node.key.startswith("host:"):
                title, subtitle = node.key.removeprefix("host:"), "host"
            else:
                title, subtitle = node.label, f"tier {node.tier}"
            boxes[node.key] = Box(
                node=node,
                x=left + position * (BOX_W + GAP_X),
                y=MARGIN + index * ROW_STEP,
                title=_shorten(title),
                subtitle=subtitle,
                centre=node.key == hood.centre.key,
            )
    lines = []
    for needer, needed in hood.edges:
        a, b = boxes[needer], boxes[needed]
        if a.y == b.y:
            # Same row: join the facing sides, still pointing at what is needed.
            y = a.y + BOX_H // 2
            if a.x < b.x:
                lines.append(Line(a.x + BOX_W, y, b.x, y))
            else:
                lines.append(Line(a.x, y, b.x + BOX_W, y))
        elif a.y > b.y:
            lines.append(Line(a.mid_x, a.y, b.mid_x, b.y + BOX_H))
        else:
            lines.append(Line(a.mid_x, a.y + BOX_H, b.mid_x, b.y))
    height = 2 * MARGIN + (len(rows) - 1) * ROW_STEP + BOX_H
    return Drawing(width=width, height=height, boxes=list(boxes.values()), lines=lines)
