"""An item's key points as the candidate sees them: ticked, mentioned, and what they suggest."""

from __future__ import annotations

from dataclasses import dataclass
from string import ascii_lowercase

from django.utils.safestring import SafeString

from questions.keypoints import highlight, mentions
from sessions.models import Item, ItemKeyPoint
from sessions.scoring import Grade, suggested_grade

# Letters a–f tick the first six points (1–4 stay the grades, z the undo).
TICK_KEYS = ascii_lowercase[:6]


@dataclass(frozen=True)
class ChecklistPoint:
    point: ItemKeyPoint
    key: str  # the letter that ticks it, or "" past the sixth

    @property
    def position(self) -> int:
        return self.point.position


@dataclass(frozen=True)
class Checklist:
    points: tuple[ChecklistPoint, ...]
    notes: SafeString  # the notes with the terms that matched a point highlighted

    @property
    def total(self) -> int:
        return len(self.points)

    @property
    def covered(self) -> int:
        return sum(entry.point.covered for entry in self.points)

    @property
    def missed(self) -> list[ItemKeyPoint]:
        return [entry.point for entry in self.points if not entry.point.covered]

    @property
    def suggestion(self) -> Grade | None:
        return suggested_grade(self.covered, self.total)

    @property
    def key_range(self) -> str:
        """The letters that tick the points: "a–d"."""
        keys = [entry.key for entry in self.points if entry.key]
        return f"{keys[0]}–{keys[-1]}" if len(keys) > 1 else "".join(keys)

    @property
    def summary(self) -> str:
        """ "covered 3 of 4 key points"."""
        noun = "key point" if self.total == 1 else "key points"
        return f"covered {self.covered} of {self.total} {noun}"


def checklist(item: Item) -> Checklist:
    """The checklist of an item (its key points prefetched or loaded here, in one query)."""
    points = list(item.key_points.all())
    mentioned = [point.text for point in points if point.mentioned]
    found = mentions(mentioned, item.notes, topic=item.prompt)
    matched = {term for mention in found for term in mention.matched}
    keys = dict(enumerate(TICK_KEYS))
    return Checklist(
        points=tuple(
            ChecklistPoint(point=point, key=keys.get(index, ""))
            for index, point in enumerate(points)
        ),
        notes=highlight(item.notes, matched),
    )
