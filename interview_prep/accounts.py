"""Accounts: sign up, the settings page (e-mail, interview preferences, data download,
deletion) here; log in, log out, the password change and the password reset are Django's own
views.

Sign-up, the password change, the reset and the deletion are throttled per client address
(interview_prep.throttle); log-in failures are django-axes' (settings.AXES_*).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from interview_prep.http import AuthenticatedHttpRequest
from interview_prep.throttle import (
    ThrottledPostMixin,
    is_throttled,
    posted_values,
    too_many_attempts,
)
from interview_prep.usernames import look_alike_problem
from sessions import plan
from sessions.account_data import account_data
from sessions.forms import InterviewPreferencesForm
from sessions.models import Preferences

EMAIL_HELP = (
    "Optional, but needed to reset a forgotten password: the reset link is sent there. "
    "Never shown to anyone else."
)


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text=EMAIL_HELP)

    # django-stubs leaves out BaseUserCreationForm.Meta, which Django defines.
    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined]
        model = User
        fields = ("username", "email")

    def clean_username(self) -> str:
        # Django's own: NFKC (UsernameField) and a name taken in any case. Then look-alikes.
        username = super().clean_username()
        if username:
            problem = look_alike_problem(username)
            if problem:
                raise ValidationError(problem, code="look_alike")
        return username


class EmailForm(forms.ModelForm):
    email = forms.EmailField(required=False, label="E-mail address", help_text=EMAIL_HELP)

    class Meta:
        model = User
        fields = ("email",)


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Deleting cannot be undone: every interview, note, grade and card goes too.",
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(
                "That is not your password. Your account was not deleted.", code="wrong_password"
            )
        return password


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    if request.method == "POST" and is_throttled(request, "signup"):
        form = SignupForm(initial=posted_values(request))
        return too_many_attempts(request, form, name="signup", submit="Sign up")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    return render(
        request, "registration/signup.html", {"form": form}, status=400 if form.errors else 200
    )


class LoginView(auth_views.LoginView):
    """Django's, signed-in visitors sent on; a `next` back to this page counts as none.

    A signed-in visit to `/accounts/login/?next=/accounts/login/` would redirect to itself
    (Django raises, a 500); a log-in posted with it would land on this page again.
    """

    redirect_authenticated_user = True

    def get_redirect_url(self) -> str:
        url = super().get_redirect_url()
        if urlsplit(url).path == self.request.path:
            return ""
        return url


class PasswordChangeView(ThrottledPostMixin, auth_views.PasswordChangeView):
    throttle = "password_change"
    submit_label = "Change password"


class PasswordResetView(ThrottledPostMixin, auth_views.PasswordResetView):
    """Answers "sent" whether or not the address belongs to an account (Django's own rule)."""

    throttle = "password_reset"
    submit_label = "Send the reset link"


def _render_settings(
    request: AuthenticatedHttpRequest,
    *,
    email_form: EmailForm | None = None,
    delete_form: DeleteAccountForm | None = None,
    status: int = 200,
) -> HttpResponse:
    for refused in (email_form, delete_form):
        # The page comes back scrolled to the top; the refused field takes the focus (and the
        # browser scrolls to it), so a phone shows the error, not the header.
        if refused is not None and refused.errors:
            refused.fields[next(iter(refused.errors))].widget.attrs["autofocus"] = True
    context = {
        "email_form": email_form or EmailForm(instance=request.user),
        "delete_form": delete_form or DeleteAccountForm(request.user),
        "preferences_form": InterviewPreferencesForm(instance=plan.preferences_for(request.user)),
    }
    return render(request, "accounts/settings.html", context, status=status)


@require_GET
@login_required
def account_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _render_settings(request)


@require_POST
@login_required
def change_email(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = EmailForm(request.POST, instance=request.user)
    if not form.is_valid():
        return _render_settings(request, email_form=form, status=400)
    form.save()
    messages.success(
        request,
        "E-mail address saved." if form.instance.email else "E-mail address removed.",
    )
    return redirect("account_settings")


@require_POST
@login_required
def interview_preferences(request: AuthenticatedHttpRequest) -> HttpResponse:
    # Two checkboxes, never invalid: an unticked one is absent from the post and reads as off.
    form = InterviewPreferencesForm(request.POST)
    form.is_valid()
    Preferences.objects.update_or_create(
        user=request.user,
        defaults={name: form.cleaned_data[name] for name in InterviewPreferencesForm.Meta.fields},
    )
    messages.success(request, "Interview settings saved.")
    return redirect("account_settings")


@require_GET
@login_required
@never_cache
def download_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    now = timezone.now()
    data = account_data(request.user, now=now)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    filename = f"interview-prep-data-{now:%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_POST
@login_required
def delete_account(request: AuthenticatedHttpRequest) -> HttpResponse:
    # The form checks the password: throttled with the password change, as another way to
    # try passwords from a session left open.
    if is_throttled(request, "password_change"):
        form = DeleteAccountForm(request.user)
        return too_many_attempts(request, form, name="password_change", submit="Delete")
    form = DeleteAccountForm(request.user, request.POST)
    if not form.is_valid():
        return _render_settings(request, delete_form=form, status=400)
    user = request.user
    with transaction.atomic():
        # Everything the user owns goes with them (CASCADE): interviews, items, notes, kept
        # recordings, grade changes, cards and reviews, flags, preferences. Editors' marks on
        # the bank keep the change and lose the name (SET_NULL).
        logout(request)
        user.delete()
    messages.success(request, "Your account and all its data were deleted.")
    return redirect("home")


urlpatterns = [
    path("signup/", signup, name="signup"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("password/reset/", PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("settings/", account_settings, name="account_settings"),
    path("settings/email/", change_email, name="account_email"),
    path("settings/interview/", interview_preferences, name="account_interview"),
    path("settings/data.json", download_data, name="account_data"),
    path("settings/delete/", delete_account, name="account_delete"),
]
