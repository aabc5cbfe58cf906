from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.http import HttpRequest
from django.urls import reverse

from questions import flags
from questions.forms import FlagForm
from questions.models import AnswerFlag, Question, Scenario

register = template.Library()


def flag_region_context(
    request: HttpRequest,
    question: Question,
    scenario: Scenario | None = None,
    *,
    action: str = "",
    next_url: str = "",
    form: FlagForm | None = None,
    open_flags: Mapping[int | None, AnswerFlag] | None = None,
    error: str = "",
    thanks: bool = False,
) -> dict[str, Any]:
    """What questions/_flag.html needs, for the tag below and for the flag views' HTMX replies.

    The form posts to `action`, by default the bank's flag view, which returns a plain
    (no-JavaScript) POST to `next_url` (by default this page); another view returns it itself.
    `form` is a refused flag, shown with its errors only in the region of the answer it flagged.
    `open_flags` are the user's (flags.open_flags_on) when the page already has them; else the
    region looks its own up.
    """
    if open_flags is None:
        open_flag = flags.open_flag_for(request.user, question, scenario)
    else:
        open_flag = open_flags.get(scenario.pk if scenario else None)
    flag_id = f"flag-{question.number}" + (f"-scenario-{scenario.pk}" if scenario else "")
    if form is None or form.scenario != scenario:
        form = FlagForm()
    form.auto_id = f"{flag_id}-%s"  # a page may show several regions: their ids must differ
    if action:
        next_url = ""  # the view behind `action` knows where a plain POST returns
    else:
        action = (
            reverse("questions:flag_scenario", args=[question.number, scenario.pk])
            if scenario
            else reverse("questions:flag", args=[question.number])
        )
        next_url = next_url or request.get_full_path()
    return {
        # An inclusion tag's template does not see the page's context processors.
        "request": request,
        "user": request.user,
        "flag_id": flag_id,
        "flag_action": action,
        "open_flag": open_flag,
        "flag_form": form,
        "flag_error": error,
        "flag_next": next_url,
        "flag_thanks": thanks,
    }


@register.inclusion_tag("questions/_flag.html", takes_context=True)
def flag_region(
    context: template.Context,
    question: Question,
    scenario: Scenario | None = None,
    action: str = "",
    form: FlagForm | None = None,
    open_flags: Mapping[int | None, AnswerFlag] | None = None,
) -> dict[str, Any]:
    """The "flag this answer" region beside a model answer, in the bank or in an interview."""
    return flag_region_context(
        context["request"], question, scenario, action=action, form=form, open_flags=open_flags
    )
