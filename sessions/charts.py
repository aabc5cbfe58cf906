"""Geometry for the server-drawn SVG charts; the templates only place what is computed here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import dateformat, timezone

from sessions.plan import ForecastDay
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
    label: str  # its day, and its time when another interview shares the day
    title: str  # the same with the year, for the dot's tooltip


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

    @property
    def note(self) -> str:
        """What a chart of one or two points can say that its dots cannot: no trend yet."""
        if len(self.points) == 1:
            (only,) = self.points
            return (
                f"One interview so far: {only.point.percent}% ({only.label}). "
                "Two more and this shows your trend."
            )
        if len(self.points) == 2:
            first, last = (p.point.percent for p in self.points)
            change = last - first
            moved = (
                f"up {change} points"
                if change > 0
                else (f"down {-change} points" if change < 0 else "unchanged")
            )
            return f"Two interviews so far: {first}% then {last}%, {moved}. One more shows a trend."
        return ""


def score_chart(series: list[ScorePoint]) -> ScoreChart | None:
    """Scores (0–100 %) left to right in session order; None when there is nothing to draw."""
    if not series:
        return None
    plot_width = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_height = HEIGHT - PAD_TOP - PAD_BOTTOM

    def y_for(percent: float) -> float:
        return PAD_TOP + plot_height * (1 - percent / 100)

    step = plot_width / (len(series) - 1) if len(series) > 1 else 0
    labels = point_labels(series)
    titles = point_labels(series, day_format="j M Y")
    points = [
        ChartPoint(
            x=PAD_LEFT + (index * step if len(series) > 1 else plot_width / 2),
            y=y_for(point.percent),
            point=point,
            label=label,
            title=title,
        )
        for index, (point, label, title) in enumerate(zip(series, labels, titles, strict=True))
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


def point_labels(series: list[ScorePoint], day_format: str = "j M") -> list[str]:
    """Each point's day ("2 Dec"), with its time where several share it ("2 Dec, 09:15"), local."""
    local = [timezone.localtime(point.started_at) for point in series]
    days = [moment.date() for moment in local]
    return [
        dateformat.format(moment, f"{day_format}, H:i" if days.count(day) > 1 else day_format)
        for moment, day in zip(local, days, strict=True)
    ]


# The forecast's bars fill this share of their slot; the rest is the gap between two bars.
BAR_SHARE = 0.6
# Grid steps the forecast's count axis may use: the smallest that fits four steps is chosen.
COUNT_STEPS = (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: ForecastDay

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    grid: list[GridLine]
    left: int
    right: int
    baseline: float


def _count_step(most: int) -> int:
    return next((step for step in COUNT_STEPS if step * 4 >= most), -(-most // 4))


def forecast_chart(days: Sequence[ForecastDay]) -> BarChart | None:
    """One bar per day, left to right, heights on a count axis of four round steps; None when
    nothing falls due on any of the days."""
    most = max((day.due for day in days), default=0)
    if most == 0:
        return None
    step = _count_step(most)
    top = step * 4
    plot_width = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_height = HEIGHT - PAD_TOP - PAD_BOTTOM
    baseline = PAD_TOP + plot_height
    slot = plot_width / len(days)
    bar_width = slot * BAR_SHARE
    bars = [
        Bar(
            x=PAD_LEFT + index * slot + (slot - bar_width) / 2,
            y=baseline - plot_height * day.due / top,
            width=bar_width,
            height=plot_height * day.due / top,
            day=day,
        )
        for index, day in enumerate(days)
    ]
    grid = [
        GridLine(y=baseline - plot_height * count / top, label=str(count))
        for count in range(0, top + 1, step)
    ]
    return BarChart(
        width=WIDTH,
        height=HEIGHT,
        bars=bars,
        grid=grid,
        left=PAD_LEFT,
        right=WIDTH - PAD_RIGHT,
        baseline=baseline,
    )
