from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def csp_nonce(request: HttpRequest) -> dict[str, Any]:
    """`{% htmx_script %}` looks for `csp_nonce`; django-csp puts the nonce on the request."""
    return {"csp_nonce": getattr(request, "csp_nonce", None)}
