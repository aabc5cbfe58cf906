from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest

from questions import flags
from questions.forms import FlagForm
from questions.models import Question

register = template.Library()


def flag_region_context(
    request: HttpRequest,
    question: Question,
    *,
    next_url: str = "",
    form: FlagForm | None = None,
    error: str = "",
    thanks: bool = False,
) -> dict[str, Any]:
    """What questions/_flag.html needs, for the tag below and for the flag view's HTMX reply.

    `next_url` is where a plain (no-JavaScript) flag POST returns to: by default this page.
    """
    return {
        # An inclusion tag's template does not see the page's context processors.
        "request": request,
        "user": request.user,
        "question": question,
        "open_flag": flags.open_flag_for(request.user, question),
        "flag_form": form or FlagForm(),
        "flag_error": error,
        "flag_next": next_url or request.get_full_path(),
        "flag_thanks": thanks,
    }


@register.inclusion_tag("questions/_flag.html", takes_context=True)
def flag_region(
    context: template.Context, question: Question, next_url: str = "", form: FlagForm | None = None
) -> dict[str, Any]:
    """The "flag this answer" region beside a model answer, in the bank or in an interview."""
    return flag_region_context(context["request"], question, next_url=next_url, form=form)
