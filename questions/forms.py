from __future__ import annotations

from django import forms

from questions.models import AnswerFlag


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
