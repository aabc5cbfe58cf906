"""Throttles on the account forms: posts per client address, counted in the shared cache.

django-ratelimit does the counting (fixed windows in `settings.CACHES["default"]`, which every
process shares); the address is `interview_prep.client_ip`, the same one the login lockout uses.
A throttled post is not processed at all (no password checked, no e-mail sent) and answers 429
with the form as posted, so nothing typed is lost: passwords aside, which are never sent back.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.generic.edit import FormMixin
from django_ratelimit.core import is_ratelimited

from interview_prep.client_ip import client_ip_key


def is_throttled(request: HttpRequest, name: str) -> bool:
    """Count this post against throttle `name` (settings.THROTTLE_RATES); True once over it."""
    return bool(
        is_ratelimited(
            request,
            group=f"accounts.{name}",
            key=client_ip_key,
            rate=settings.THROTTLE_RATES[name],
            method="POST",
            increment=True,
        )
    )


def posted_values(request: HttpRequest) -> dict[str, str]:
    """What was posted, as a form's initial values (password inputs never show theirs)."""
    return request.POST.dict()


_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


def window_words(rate: str) -> str:
    """How long a rate's window lasts, in words: "10/h" gives "an hour", "5/15m" "15 minutes"."""
    period = rate.partition("/")[2]
    number, unit = period[:-1], _UNITS[period[-1]]
    if number in ("", "1"):
        return f"an {unit}" if unit == "hour" else f"a {unit}"
    return f"{number} {unit}s"


def too_many_attempts(
    request: HttpRequest, form: forms.BaseForm, *, name: str, submit: str
) -> HttpResponse:
    """The 429 page, with `form` to send again later.

    `form` is unbound, with what was posted as its initial values: a bound form would be
    validated to show its errors, and validating is what the throttle holds back (the password
    change would say whether the old password was right).
    """
    context = {
        "throttled_form": form,
        "submit_label": submit,
        "wait": window_words(settings.THROTTLE_RATES[name]),
    }
    return render(request, "429.html", context, status=429)


class ThrottledPostMixin(FormMixin):
    """For Django's auth form views: a post over throttle `throttle` gets the 429 page."""

    throttle: str
    submit_label: str

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if is_throttled(request, self.throttle):
            kwargs = self.get_form_kwargs()
            kwargs.pop("data", None)
            kwargs.pop("files", None)
            kwargs["initial"] = posted_values(request)
            form = self.get_form_class()(**kwargs)
            return too_many_attempts(request, form, name=self.throttle, submit=self.submit_label)
        return super().post(request, *args, **kwargs)  # type: ignore[misc]
