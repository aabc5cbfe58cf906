"""Geometry for the server-drawn SVG charts; the templates only place what is computed here."""

from __future__ import annotations

from dataclasses import dataclass

from sessions.progress import ScorePoint

WIDTH = 640
HEIGHT = 240
PAD_LEFT = 44
PAD_RIGHT = 16
PAD_TOP = 16
PAD_BOTTOM = 28


@dataclass(frozen=True)
class ChartPoint:
    x: float
    y: float
    point: ScorePoint


@dataclass(frozen=True)
class GridLine:
    y: float
    label: str


@dataclass(frozen=True)
class ScoreChart:
    width: int
    height: int
    points: list[ChartPoint]
    grid: list[GridLine]
    left: int
    right: int

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def score_chart(series: list[ScorePoint]) -> ScoreChart | None:
    """Scores (0–100 %) left to right in session order; None when there is nothing to draw."""
    if not series:
        return None
    plot_width = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_height = HEIGHT - PAD_TOP - PAD_BOTTOM

    def y_for(percent: float) -> float:
        return PAD_TOP + plot_height * (1 - percent / 100)

    step = plot_width / (len(series) - 1) if len(series) > 1 else 0
    points = [
        ChartPoint(
            x=PAD_LEFT + (index * step if len(series) > 1 else plot_width / 2),
            y=y_for(point.percent),
            point=point,
        )
        for index, point in enumerate(series)
    ]
    grid = [GridLine(y=y_for(percent), label=f"{percent}%") for percent in (0, 25, 50, 75, 100)]
    return ScoreChart(
        width=WIDTH,
        height=HEIGHT,
        points=points,
        grid=grid,
        left=PAD_LEFT,
        right=WIDTH - PAD_RIGHT,
    )
