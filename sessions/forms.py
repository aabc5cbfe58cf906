from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import available_timezones

from django import forms
from django.conf import settings
from django.core.validators import MinValueValidator
from django.http import QueryDict

from questions.forms import MultilineTextField
from questions.models import ActiveCount, Category, Question
from sessions.models import NEW_PER_DAY_MAX, InterviewSession, Preferences
from sessions.plan import local_today
from sessions.scoring import Grade, format_duration
from sessions.services import MAX_NOTES_LENGTH

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django_stubs_ext import WithAnnotations


class CategoryChoiceField(forms.ModelMultipleChoiceField):
    queryset: QuerySet[Category]  # never None: the field is built with one

    def label_from_instance(self, obj: WithAnnotations[Category, ActiveCount]) -> str:
        return f"{obj.display_name} ({obj.active_count})"


_WHOLE = re.compile(r"[0-9]{1,6}")


class MinutesSecondsWidget(forms.Widget):
    """Time per question typed as minutes and seconds (`<name>_minutes`, `<name>_seconds`),
    handed to its IntegerField as the total in seconds, so the field keeps the one set of
    limits. A bare `<name>` (the total in seconds, as scripts send it) is taken as it is."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> str | None:
        if name in data:
            return cast(str, data.get(name))
        minutes = (data.get(f"{name}_minutes") or "").strip()
        seconds = (data.get(f"{name}_seconds") or "").strip()
        if not minutes and not seconds:
            return None
        if not all(_WHOLE.fullmatch(part or "0") for part in (minutes, seconds)):
            return f"{minutes}:{seconds}"  # not a number: the field says so
        return str(int(minutes or 0) * 60 + int(seconds or 0))

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return all(key not in data for key in (name, f"{name}_minutes", f"{name}_seconds"))


class TimePerQuestionForm(forms.Form):
    """The time per question, typed as minutes and seconds: the new-interview form's and the
    drill's."""

    seconds_per_item = forms.IntegerField(
        label="Time per question",
        initial=120,
        max_value=settings.INTERVIEW_MAX_SECONDS_PER_ITEM,
        widget=MinutesSecondsWidget,
        error_messages={"invalid": "Enter the time as whole minutes and seconds."},
    )
    ignored_text = "ignored in practice"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        minimum = settings.INTERVIEW_MIN_SECONDS_PER_ITEM
        seconds = cast(forms.IntegerField, self.fields["seconds_per_item"])
        # The minimum is read per form so tests can lower it with a settings override.
        seconds.min_value = minimum
        seconds.validators.append(MinValueValidator(minimum))
        shortest = format_duration(timedelta(seconds=minimum))
        longest = format_duration(timedelta(seconds=settings.INTERVIEW_MAX_SECONDS_PER_ITEM))
        seconds.help_text = f"From {shortest} to {longest}; {self.ignored_text}."
        # In the units the boxes show, not a bare count of seconds.
        seconds.error_messages["min_value"] = f"At least {shortest} per question."
        seconds.error_messages["max_value"] = f"At most {longest} per question."

    @property
    def max_minutes(self) -> int:
        return settings.INTERVIEW_MAX_SECONDS_PER_ITEM // 60

    @property
    def time_parts(self) -> tuple[str, str]:
        """What the minutes and seconds boxes show: what was typed, or the time in them."""
        name = self["seconds_per_item"].html_name
        if self.is_bound and f"{name}_minutes" in self.data:
            return (self.data.get(f"{name}_minutes", ""), self.data.get(f"{name}_seconds", ""))
        value = self["seconds_per_item"].value()
        if value in (None, "") or not _WHOLE.fullmatch(str(value)):
            return ("", "")
        minutes, seconds = divmod(int(value), 60)
        return (str(minutes), f"{seconds:02d}")


class StartSessionForm(TimePerQuestionForm):
    field_order = (
        "categories",
        "question_count",
        "seconds_per_item",
        "include_scenarios",
        "mode",
        "counts_toward_schedule",
    )
    categories = CategoryChoiceField(
        queryset=Category.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one category."},
    )
    question_count = forms.IntegerField(
        label="Number of questions",
        initial=5,
        min_value=1,
        max_value=settings.INTERVIEW_MAX_QUESTIONS,
        help_text=f"1–{settings.INTERVIEW_MAX_QUESTIONS}. Follow-up scenarios come on top.",
    )
    include_scenarios = forms.BooleanField(
        label="Ask scenario follow-ups",
        required=False,
        initial=True,
        help_text="A question with a scenario follow-up is followed by it, with its own clock.",
    )
    # The daily drill is started from its own page (views.drill), never drawn at random here.
    mode = forms.ChoiceField(
        choices=[
            (mode.value, mode.label)
            for mode in (InterviewSession.Mode.TIMED, InterviewSession.Mode.PRACTICE)
        ],
        initial=InterviewSession.Mode.TIMED,
        widget=forms.RadioSelect,
    )
    counts_toward_schedule = forms.BooleanField(
        label="Count toward my schedule",
        required=False,
        initial=True,
        help_text="Practice only: your grades move your review schedule, as a timed interview's "
        "always do. Leave it off to try questions without it remembering.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        categories = Category.objects.with_active_questions()
        cast(CategoryChoiceField, self.fields["categories"]).queryset = categories
        self.fields["categories"].initial = categories

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("mode") == InterviewSession.Mode.TIMED:
            # The choice is the practice run's (the page hides it otherwise): a timed interview
            # always counts.
            cleaned["counts_toward_schedule"] = True
        categories = cleaned.get("categories")
        count = cleaned.get("question_count")
        if categories and count:
            available = Question.objects.active().filter(category__in=categories).count()
            if count > available:
                self.add_error(
                    "question_count",
                    f"The chosen categories have {available} question"
                    f"{'' if available == 1 else 's'}; choose {available} or fewer.",
                )
        return cleaned


class DrillForm(TimePerQuestionForm):
    """Today's drill: untimed unless the candidate asks for a clock. `more_new` is the
    "new questions instead" of a day with nothing left (services.drill_questions)."""

    field_order = ("timed", "seconds_per_item", "more_new")
    ignored_text = "only with a clock"
    timed = forms.BooleanField(label="Use a clock", required=False, initial=False)
    more_new = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("timed"):
            # Without a clock the time is never used: whatever its boxes hold is no reason to
            # refuse.
            self.errors.pop("seconds_per_item", None)
            cleaned["seconds_per_item"] = self.fields["seconds_per_item"].initial
        return cleaned


class RevealForm(forms.Form):
    # Line breaks arrive as CRLF and count once, as the browser's own counter counts them.
    notes = MultilineTextField(required=False, max_length=MAX_NOTES_LENGTH, strip=False)
    timed_out = forms.BooleanField(required=False)


class NotesForm(RevealForm):
    """An autosave: a body without the notes field (or not a form at all) is refused, never
    taken for empty notes that would replace the saved draft."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "notes" not in self.data:
            raise forms.ValidationError("No notes were sent; the saved draft is unchanged.")
        return data


_POSITION = re.compile(r"[0-9]{1,4}")


def _ticked_positions(data: QueryDict) -> list[int]:
    """The key points ticked (`covered`, repeated: their positions), each once."""
    raw = data.getlist("covered")
    if not all(_POSITION.fullmatch(value) for value in raw):
        raise forms.ValidationError("Key points are ticked by their number.")
    return sorted({int(value) for value in raw})


class KeyPointsForm(forms.Form):
    """The key points ticked so far on a revealed answer."""

    def clean(self) -> dict[str, Any]:
        return {"covered": _ticked_positions(cast(QueryDict, self.data))}


class GradeForm(forms.Form):
    grade = forms.TypedChoiceField(choices=Grade.choices, coerce=int)
    # Set by a grade form that shows the checklist, so "nothing ticked" differs from "no list".
    key_points_listed = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        listed = data.get("key_points_listed")
        data["covered"] = _ticked_positions(cast(QueryDict, self.data)) if listed else None
        return data


_QUESTION_NUMBER = re.compile(r"[0-9]{1,9}")


class PractiseForm(forms.Form):
    """Question numbers (`numbers`, repeated) to practise in this order; all must be active."""

    def clean(self) -> dict[str, Any]:
        raw = cast(QueryDict, self.data).getlist("numbers")
        if not raw or len(raw) > settings.INTERVIEW_MAX_QUESTIONS:
            raise forms.ValidationError("Choose between 1 and 30 questions.")
        # Plain ASCII digits only: "²" passes str.isdigit() but not int(), and a huge number
        # overflows the database's integer column.
        if not all(_QUESTION_NUMBER.fullmatch(value) for value in raw):
            raise forms.ValidationError("Question numbers are whole numbers.")
        numbers = list(dict.fromkeys(int(value) for value in raw))
        by_number = Question.objects.active().in_bulk(numbers, field_name="number")
        if len(by_number) != len(numbers):
            raise forms.ValidationError("Some of those questions no longer exist.")
        return {"questions": [by_number[number] for number in numbers]}


class HistoryFilterForm(forms.Form):
    category = forms.ModelChoiceField(
        queryset=Category.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label="All categories",
    )
    mode = forms.ChoiceField(
        choices=[("", "All modes"), *InterviewSession.Mode.choices], required=False
    )


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """Every IANA zone this machine knows, as (value, label), sorted; "localtime" names the
    server's own zone, not a place, and is left out."""
    zones = sorted(available_timezones() - {"localtime"})
    return [(zone, zone.replace("_", " ")) for zone in zones]


class PlanForm(forms.ModelForm):
    """The candidate's plan: the interview date (optional), new questions a day, time zone."""

    interview_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Leave it empty if you have no date yet.",
        error_messages={"invalid": "Enter the date as year-month-day, e.g. 2025-03-20."},
    )
    new_per_day = forms.IntegerField(
        label="New questions a day",
        min_value=0,
        max_value=NEW_PER_DAY_MAX,
        help_text=f"0–{NEW_PER_DAY_MAX}: the most never-seen questions a day's plan adds.",
        error_messages={
            "required": f"Choose how many new questions a day, 0–{NEW_PER_DAY_MAX}.",
            "invalid": f"New questions a day is a whole number, 0–{NEW_PER_DAY_MAX}.",
            "min_value": f"Choose between 0 and {NEW_PER_DAY_MAX} new questions a day.",
            "max_value": f"Choose between 0 and {NEW_PER_DAY_MAX} new questions a day.",
        },
    )
    time_zone = forms.ChoiceField(
        help_text="Your day starts at midnight here: it decides what is due today.",
        error_messages={
            "required": "Choose your time zone.",
            "invalid_choice": "“%(value)s” is not a time zone we know; choose one from the list.",
        },
    )

    class Meta:
        model = Preferences
        fields = ("interview_date", "new_per_day", "time_zone")

    def __init__(self, *args: Any, now: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now
        cast(forms.ChoiceField, self.fields["time_zone"]).choices = time_zone_choices()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        interview_date = cleaned.get("interview_date")
        if interview_date is not None:
            # The candidate's own today, in the zone just chosen when it is a valid one.
            zone = cleaned.get("time_zone") or self.instance.time_zone
            today = local_today(Preferences(time_zone=zone), self.now)
            if interview_date < today:
                self.add_error(
                    "interview_date",
                    f"{interview_date:%-d %b %Y} has passed: choose today "
                    f"({today:%-d %b %Y}) or a later day, or clear the date.",
                )
        return cleaned
