from __future__ import annotations

from typing import Any

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


class MultilineTextField(forms.CharField):
    """Text from a <textarea>, with the CRLF line breaks every browser submits turned into LF.

    The bank is stored, imported, exported and diffed with LF line breaks. Without this, any save
    in the admin rewrote every line break of an answer: the history showed changes nobody made,
    unchanged inline scenarios were saved again, and the import took the answer for edited.
    """

    def to_python(self, value: Any) -> str | None:
        text = super().to_python(value)
        return text.replace("\r\n", "\n").replace("\r", "\n") if text else text
