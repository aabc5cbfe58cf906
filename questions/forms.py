from __future__ import annotations

from typing import Any

from django import forms
from django.forms.formsets import DELETION_FIELD_NAME

from questions.bank import lf_line_breaks
from questions.models import AnswerFlag, KeyPoint, Scenario


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        choices=AnswerFlag.Reason.choices,
        widget=forms.RadioSelect,
        initial=AnswerFlag.Reason.WRONG,
    )
    comment = forms.CharField(
        max_length=AnswerFlag.MAX_COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"What is wrong or unclear? Plain text, up to {AnswerFlag.MAX_COMMENT_LENGTH} "
        "characters.",
        error_messages={"required": "Tell the editors what is wrong or unclear."},
    )

    def __init__(self, *args: Any, scenario: Scenario | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The answer flagged (None: the question's own), so a page with several flag regions
        # shows a refused flag in the right one.
        self.scenario = scenario


class MultilineTextField(forms.CharField):
    """Text from a <textarea>, with the CRLF line breaks every browser submits turned into LF.

    The bank is stored, imported, exported and diffed with LF line breaks. Without this, any save
    in the admin rewrote every line break of an answer: the history showed changes nobody made,
    unchanged inline scenarios were saved again, and the import took the answer for edited.
    """

    def to_python(self, value: Any) -> str | None:
        text = super().to_python(value)
        return lf_line_breaks(text) if text else text


class KeyPointForm(forms.ModelForm):
    # Left blank, a point goes after the others (KeyPointFormSet numbers it), so "Add another"
    # then typing the text is enough.
    position = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=32767,
        help_text="Order in the list; leave blank to put the point last.",
    )

    class Meta:
        model = KeyPoint
        fields = ("position", "text")
        widgets = {
            "text": forms.TextInput(attrs={"class": "vTextField key-point-text"}),
        }
        error_messages = {
            "text": {
                "max_length": "A key point is at most %(limit_value)d characters; this one has "
                "%(show_value)d. Shorten it or split it into two points.",
            }
        }


class ScenarioFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        """Refuse a label another of the question's scenarios has, in the database too.

        Django compares the forms of the formset with each other only (the question is not a
        field of the inline form, so the unique constraint is not checked): a label taken by a
        scenario the page does not hold (another editor's, added since the page was loaded) was
        an IntegrityError, a 500.
        """
        super().clean()
        if self.instance.pk is None:
            return
        held = [form.instance.pk for form in self.initial_forms if form.instance.pk is not None]
        taken = set(
            Scenario.objects.filter(question=self.instance)
            .exclude(pk__in=held)
            .values_list("label", flat=True)
        )
        for form in self.forms:
            cleaned = getattr(form, "cleaned_data", {})
            saved = form in self.initial_forms or form.has_changed()
            label = cleaned.get("label")
            if label in taken and saved and not cleaned.get(DELETION_FIELD_NAME):
                form.add_error(
                    "label",
                    f"Question {self.instance.number} already has a scenario {label}.",
                )


class KeyPointFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        """Number the points left without a position after the highest one given."""
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.is_valid()
            and not form.cleaned_data.get(DELETION_FIELD_NAME)
            and (form.instance.pk is not None or form.has_changed())
        ]
        positions = [form.cleaned_data["position"] for form in kept]
        next_position = max((p for p in positions if p is not None), default=-1) + 1
        for form in kept:
            if form.cleaned_data["position"] is None:
                form.cleaned_data["position"] = form.instance.position = next_position
                next_position += 1
