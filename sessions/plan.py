"""Today's work for a candidate: what is due, how many new questions, and the interview date.

"Today" is the candidate's local day (`Preferences.time_zone`), so a review due at 23:30 UTC is
due tomorrow in Sydney. Seen means a question has a card (a review counted toward the schedule,
sessions.memory); every active question not yet seen is new. With an interview date, the new
questions are spread evenly over the days left before it: today's share is the unseen count
divided by the days from today to the day before the interview, rounded up, but never more than
the candidate's own `new_per_day`; when that limit is too low to see everything in time, the
plan says so (`too_close`). Without a date, or once it has passed, a day adds up to
`new_per_day` new questions. The questions first reviewed today count against today's share
(`new_left_today`), so a second drill the same day does not start the count again.

The forecast counts the reviews falling due on each of the next local days, today first; today's
count also holds every overdue card, as they are all to be done today.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db.models import Count, Min, OuterRef, Q, Subquery

from questions.models import Question
from sessions import memory
from sessions.models import Preferences, ReviewLog


def preferences_for(user: User) -> Preferences:
    """The user's saved preferences, or the defaults (unsaved) before they first chose any."""
    try:
        return user.preferences
    except Preferences.DoesNotExist:
        return Preferences(user=user)


def local_today(preferences: Preferences, now: datetime) -> date:
    return now.astimezone(ZoneInfo(preferences.time_zone)).date()


def start_of_day(preferences: Preferences, day: date) -> datetime:
    """The instant `day` begins where the candidate lives (aware; compare with UTC times)."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(preferences.time_zone))


@dataclass(frozen=True)
class DailyPlan:
    today: date
    interview_date: date | None
    due_now: int  # cards due by now, overdue ones included
    due_today: int  # cards due by the end of the local day, `due_now` included
    overdue: int  # cards that were due before today began
    unseen: int  # active questions without a card
    # Questions first reviewed today: today's new questions already done.
    new_seen_today: int
    new_per_day: int  # the candidate's limit
    # New questions a day needed to see every unseen one before the interview; None without a
    # date still ahead.
    needed_per_day: int | None
    # The earliest review still to come after now, in the candidate's time zone; None when no
    # card is scheduled ahead.
    next_review: datetime | None

    @property
    def days_left(self) -> int | None:
        """Days until the interview date (0 on the day itself, negative once it has passed)."""
        return None if self.interview_date is None else (self.interview_date - self.today).days

    @property
    def new_today(self) -> int:
        wanted = self.unseen if self.needed_per_day is None else self.needed_per_day
        return min(wanted, self.new_per_day)

    @property
    def new_left_today(self) -> int:
        """New questions today's plan still holds: the drill adds this many."""
        return max(self.new_today - self.new_seen_today, 0)

    @property
    def too_close(self) -> bool:
        """The limit is too low to see every question before the interview."""
        return self.needed_per_day is not None and self.needed_per_day > self.new_per_day


def interview_moment(preferences: Preferences, now: datetime) -> datetime | None:
    """The instant recall is predicted for "on the interview date": local noon that day (an
    interview falls in working hours, and FSRS counts whole days since the last review, so the
    hour barely matters), or `now` on the day itself once noon has passed. None without a date,
    or once it has passed."""
    interview_date = preferences.interview_date
    if interview_date is None or interview_date < local_today(preferences, now):
        return None
    noon = datetime.combine(interview_date, time(12), tzinfo=ZoneInfo(preferences.time_zone))
    return max(noon, now)


def needed_per_day(unseen: int, days_left: int | None) -> int | None:
    """New questions a day to see `unseen` of them before an interview `days_left` days away.
    On the day itself there is only today; once it has passed there is no plan (None)."""
    if days_left is None or days_left < 0:
        return None
    return math.ceil(unseen / max(days_left, 1))


def daily_plan(user: User, now: datetime) -> DailyPlan:
    """Today's plan for `user`; three queries, whatever the number of cards."""
    preferences = preferences_for(user)
    today = local_today(preferences, now)
    today_began = start_of_day(preferences, today)
    tomorrow_begins = start_of_day(preferences, today + timedelta(days=1))
    first_review = ReviewLog.objects.filter(card=OuterRef("pk")).order_by(*memory.REPLAY_ORDER)
    due = (
        memory.schedulable_cards(user)
        .annotate(first_review=Subquery(first_review.values("reviewed_at")[:1]))
        .aggregate(
            now=Count("pk", filter=Q(due__lte=now)),
            today=Count("pk", filter=Q(due__lt=tomorrow_begins)),
            overdue=Count("pk", filter=Q(due__lt=today_began)),
            next=Min("due", filter=Q(due__gt=now)),
            new_today=Count("pk", filter=Q(scenario__isnull=True, first_review__gte=today_began)),
        )
    )
    # The bank's "never seen" filter, one home for the rule: an exclude() across the cards
    # would test its two conditions on different cards (anyone's question card and this user's
    # follow-up card) and, as two subqueries per question, cost more too.
    unseen = Question.objects.active().filter(memory.bank_filter(user, "unseen", now)).count()
    interview_date = preferences.interview_date
    days_left = None if interview_date is None else (interview_date - today).days
    return DailyPlan(
        today=today,
        interview_date=interview_date,
        due_now=due["now"],
        due_today=due["today"],
        overdue=due["overdue"],
        unseen=unseen,
        new_seen_today=due["new_today"],
        new_per_day=preferences.new_per_day,
        needed_per_day=needed_per_day(unseen, days_left),
        next_review=None
        if due["next"] is None
        else due["next"].astimezone(ZoneInfo(preferences.time_zone)),
    )


FORECAST_DAYS = 14


@dataclass(frozen=True)
class ForecastDay:
    day: date  # a local day of the candidate's
    due: int  # cards falling due that day; today's count includes every overdue card


def forecast(user: User, now: datetime, *, days: int = FORECAST_DAYS) -> list[ForecastDay]:
    """The reviews due on each of the candidate's next `days` local days, today first; one
    query whatever the number of cards (and one for the preferences, unless read already)."""
    preferences = preferences_for(user)
    today = local_today(preferences, now)
    # Cards due before each day ends, counted in one pass; a day's own count is the difference.
    # Local midnights, so a day is 23 or 25 hours long when the clocks change.
    ends = [start_of_day(preferences, today + timedelta(days=offset + 1)) for offset in range(days)]
    by_end = memory.schedulable_cards(user).aggregate(
        **{f"by_{offset}": Count("pk", filter=Q(due__lt=end)) for offset, end in enumerate(ends)}
    )
    cumulative = [by_end[f"by_{offset}"] for offset in range(days)]
    return [
        ForecastDay(
            day=today + timedelta(days=offset),
            due=total - (cumulative[offset - 1] if offset else 0),
        )
        for offset, total in enumerate(cumulative)
    ]
