"""The memory model: an FSRS card for each thing to remember, derived from the review log.

Each (user, question) and each (user, scenario follow-up) has a Card scheduled by the `fsrs`
package (py-fsrs) with its default parameters and `settings.FSRS_DESIRED_RETENTION`. A graded item
of an interview that counts toward the schedule (every timed interview; a practice run unless the
candidate opted out, `InterviewSession.counts_toward_schedule`) is one review: its grade maps to
an FSRS rating (`RATINGS`), it is logged as a ReviewLog row and it moves its card on, in the
grade's own transaction. Undo and "change grade" rewrite that row and replay the card's log, so a
card always equals its log replayed in order from a fresh card: `rebuild` does that for any set of
cards, and `rebuild_schedule` for everyone's.

The library wants timezone-aware UTC datetimes; every time passes through `_utc` on the way in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from itertools import groupby
from types import MappingProxyType
from typing import Any

import fsrs
from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import FilteredRelation, Q, QuerySet

from questions.models import Question
from sessions.models import Card, InterviewSession, Item, ReviewLog
from sessions.scoring import Grade, recall_percent

RATINGS: Mapping[Grade, fsrs.Rating] = MappingProxyType(
    {
        Grade.MISSED: fsrs.Rating.Again,
        Grade.PARTIAL: fsrs.Rating.Hard,
        Grade.SOLID: fsrs.Rating.Good,
        Grade.EXCELLENT: fsrs.Rating.Easy,
    }
)
# The order a card's reviews are replayed in; the id breaks a tie of two at the same instant.
REPLAY_ORDER = ("reviewed_at", "pk")
_STATE_FIELDS = ("state", "step", "stability", "difficulty", "due", "last_review")
# The names `with_cards` joins an item's cards under.
_QUESTION_CARD = "memory_question_card"
_SCENARIO_CARD = "memory_scenario_card"


def rating_for(grade: int) -> fsrs.Rating:
    return RATINGS[Grade(grade)]


def scheduler() -> fsrs.Scheduler:
    # Fuzzing off: the library draws its fuzz from the process-wide random generator, so with it
    # a replay would not schedule a card as its reviews did (and two servers would disagree).
    return fsrs.Scheduler(desired_retention=settings.FSRS_DESIRED_RETENTION, enable_fuzzing=False)


def _utc(moment: datetime) -> datetime:
    # fsrs refuses any tzinfo but datetime.UTC, and a database driver may return another one.
    return moment.astimezone(UTC)


def _to_fsrs(card: Card) -> fsrs.Card:
    return fsrs.Card(
        card_id=card.pk,  # given, or the library sleeps a millisecond to make one up
        state=fsrs.State(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=_utc(card.due),
        last_review=None if card.last_review is None else _utc(card.last_review),
    )


def _fields(card: fsrs.Card) -> dict[str, Any]:
    """The library's card as the columns of ours."""
    return {
        "state": int(card.state),
        "step": card.step,
        "stability": card.stability,
        "difficulty": card.difficulty,
        "due": card.due,
        "last_review": card.last_review,
    }


def replay(reviews: Iterable[tuple[int, datetime]]) -> dict[str, Any]:
    """The columns of the card that these (rating, reviewed_at) give, in this order, from a
    fresh card; at least one review."""
    fsrs_scheduler = scheduler()
    card: fsrs.Card | None = None
    count = 0
    for rating, reviewed_at in reviews:
        if card is None:  # the fresh card's id and due date play no part in its first review
            card = fsrs.Card(card_id=0, due=_utc(reviewed_at))
        card, _ = fsrs_scheduler.review_card(card, fsrs.Rating(rating), _utc(reviewed_at))
        count += 1
    if card is None:
        raise ValueError("A card is replayed from one review at least.")
    return {**_fields(card), "reviews": count}


def with_cards(items: QuerySet[Item], *, user_id: int) -> QuerySet[Item]:
    """`items`, each with the user's card of it joined in, for `record_review`: so grading finds
    the card in the query that fetches the item."""
    return items.annotate(
        **{
            _QUESTION_CARD: FilteredRelation(
                "question__cards",
                condition=Q(
                    question__cards__user_id=user_id, question__cards__scenario__isnull=True
                ),
            ),
            _SCENARIO_CARD: FilteredRelation(
                "scenario__cards", condition=Q(scenario__cards__user_id=user_id)
            ),
        }
    ).select_related(_QUESTION_CARD, _SCENARIO_CARD)


def _log(card: Card, item: Item, rating: fsrs.Rating, reviewed_at: datetime) -> None:
    taken = item.time_taken
    if taken is None:
        raise ValueError("Only a revealed item can be reviewed.")
    ReviewLog.objects.create(
        card=card, item=item, rating=rating, reviewed_at=reviewed_at, duration=taken
    )


def record_review(*, session: InterviewSession, item: Item) -> None:
    """Count the item just graded, when its interview counts: log the review and move its card
    on, in two queries. `item` comes from `with_cards`; call inside the grade's transaction."""
    if not session.counts_toward_schedule or item.grade is None or item.graded_at is None:
        return
    if item.is_scenario and item.scenario_id is None:
        return  # the follow-up was deleted from the bank, and its card with it
    rating, reviewed_at = rating_for(item.grade), item.graded_at
    # select_related leaves the attribute unset when it joined nothing: no card yet.
    card: Card | None = getattr(item, _SCENARIO_CARD if item.is_scenario else _QUESTION_CARD, None)
    if card is None:
        card = Card.objects.create(
            user_id=session.user_id,
            question_id=item.question_id,
            scenario_id=item.scenario_id,
            **replay([(rating, reviewed_at)]),
        )
        _log(card, item, rating, reviewed_at)
        return
    _log(card, item, rating, reviewed_at)
    if not _advance(card, rating, reviewed_at):
        rebuild(Card.objects.filter(pk=card.pk))


def _advance(card: Card, rating: fsrs.Rating, reviewed_at: datetime) -> bool:
    """Review `card` as it was read. False, having changed nothing, when it must be replayed
    instead: its row changed since (a review from another interview committed first), or this
    review is older than its last one (another server's clock)."""
    if card.last_review is not None and reviewed_at < card.last_review:
        return False
    reviewed, _ = scheduler().review_card(_to_fsrs(card), rating, _utc(reviewed_at))
    advanced = Card.objects.filter(
        pk=card.pk, reviews=card.reviews, last_review=card.last_review
    ).update(reviews=card.reviews + 1, **_fields(reviewed))
    return bool(advanced)


def rewrite_review(*, item: Item) -> None:
    """After an undo or a grade change: the item's review follows its grade (gone when undone,
    re-rated when changed, at the time it was first given) and its card is replayed from the
    log, as if the review had always been that grade. Three queries; none changed when the item
    never counted. Call inside the transaction that changed the grade."""
    logs = list(
        ReviewLog.objects.filter(card__logs__item=item)
        .select_related("card")
        .order_by(*REPLAY_ORDER)
    )
    own = next((log for log in logs if log.item_id == item.pk), None)
    if own is None:
        return
    card = own.card
    if item.grade is None:
        logs.remove(own)
        if not logs:
            card.delete()  # and its log with it: without a review there is nothing to remember
            return
        own.delete()
    else:
        own.rating = rating_for(item.grade)
        own.save(update_fields=["rating"])
    Card.objects.filter(pk=card.pk).update(**replay((log.rating, log.reviewed_at) for log in logs))


@dataclass(frozen=True)
class Rebuilt:
    cards: int = 0  # cards that have reviews, replayed
    reviews: int = 0
    changed: int = 0  # of those cards, the ones whose stored state differed from the replay
    removed: int = 0  # cards left without a review (their interview was deleted), deleted

    def __add__(self, other: Rebuilt) -> Rebuilt:
        pairs = zip(astuple(self), astuple(other), strict=True)
        return Rebuilt(*(mine + theirs for mine, theirs in pairs))


def rebuild(cards: QuerySet[Card], *, dry_run: bool = False) -> Rebuilt:
    """Replay the log of each of `cards` and store the result where it differs: what every card
    must equal. With `dry_run`, only count what would change. Call inside a transaction."""
    # Locked first, so a grade committed meanwhile waits and then finds its card changed.
    stored = list(cards.select_for_update())
    logs = (
        ReviewLog.objects.filter(card__in=[card.pk for card in stored])
        .order_by("card_id", *REPLAY_ORDER)
        .values_list("card_id", "rating", "reviewed_at")
    )
    reviews_by_card = {
        card_id: [(rating, reviewed_at) for _, rating, reviewed_at in rows]
        for card_id, rows in groupby(logs, key=lambda row: row[0])
    }
    changed: list[Card] = []
    removed: list[int] = []
    for card in stored:
        reviews = reviews_by_card.get(card.pk)
        if not reviews:
            removed.append(card.pk)
            continue
        replayed = replay(reviews)
        if any(getattr(card, name) != value for name, value in replayed.items()):
            for name, value in replayed.items():
                setattr(card, name, value)
            changed.append(card)
    if not dry_run:
        Card.objects.bulk_update(changed, [*_STATE_FIELDS, "reviews"], batch_size=500)
        Card.objects.filter(pk__in=removed).delete()
    return Rebuilt(
        cards=len(reviews_by_card),
        reviews=sum(len(reviews) for reviews in reviews_by_card.values()),
        changed=len(changed),
        removed=len(removed),
    )


def schedulable_cards(user: User) -> QuerySet[Card]:
    """The user's cards that can fall due. A retired question's never do (nor its follow-ups'):
    they keep their cards, in case it comes back."""
    return Card.objects.filter(user=user, question__is_active=True)


def due_cards(user: User, now: datetime) -> QuerySet[Card]:
    """The user's cards due by `now`, the longest due first."""
    return schedulable_cards(user).filter(due__lte=now).order_by("due", "pk")


def bank_filter(user: User, name: str, now: datetime) -> Q:
    """The bank list's memory filters (questions.views), as a condition on questions. "due": a
    card of the question, or of one of its follow-ups, is due by `now`; "unseen": the user has
    no card of the question itself, so the plan counts it as new."""
    if name == "due":
        return Q(pk__in=due_cards(user, now).order_by().values("question"))
    if name == "unseen":
        return ~Q(pk__in=Card.objects.filter(user=user, scenario__isnull=True).values("question"))
    raise ValueError(f"No memory filter is named {name!r}.")


def retrievabilities(cards: Iterable[Card], now: datetime) -> dict[int, float]:
    """Each card's predicted recall at `now` (0 to 1), by card id, in one pass over the rows
    with one scheduler: what a page judging all of a user's cards at once needs."""
    fsrs_scheduler = scheduler()
    at = _utc(now)
    return {card.pk: fsrs_scheduler.get_card_retrievability(_to_fsrs(card), at) for card in cards}


@dataclass(frozen=True)
class Memory:
    """What the user remembers of a question, or of one of its follow-ups (`scenario_label`)."""

    scenario_label: str
    card: Card | None
    recall: float | None  # predicted now; None before the first review

    @property
    def label(self) -> str:
        return f"Follow-up {self.scenario_label}" if self.scenario_label else "This question"

    @property
    def recall_percent(self) -> int | None:
        return None if self.recall is None else recall_percent(self.recall)


def question_memory(user: User, question: Question, now: datetime) -> Sequence[Memory]:
    """The user's memory of `question` and of each of its follow-ups, in the order asked; two
    queries, whatever the number of follow-ups and reviews."""
    cards = list(Card.objects.filter(user=user, question=question))
    recall = retrievabilities(cards, now)
    by_scenario = {card.scenario_id: card for card in cards}
    labels = question.scenarios.order_by("position").values_list("pk", "label")
    return [
        Memory(scenario_label=label, card=card, recall=None if card is None else recall[card.pk])
        for scenario_id, label in [(None, ""), *labels]
        for card in [by_scenario.get(scenario_id)]
    ]
