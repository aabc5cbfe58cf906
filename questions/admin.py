from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminTextareaWidget
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import URLPattern, URLResolver, path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from questions.forms import KeyPointForm, KeyPointFormSet, MultilineTextField, ScenarioFormSet
from questions.markdown import render_markdown
from questions.models import (
    KEY_POINT_MAX_LENGTH,
    AnswerFlag,
    Category,
    KeyPoint,
    Question,
    Scenario,
)

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

_WORDS = re.compile(r"(\s+)")


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """(operation, text) pieces of a word-level diff: "equal", "delete" or "insert"."""
    old_words, new_words = _WORDS.split(old), _WORDS.split(new)
    pieces: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    for operation, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        if operation == "equal":
            pieces.append(("equal", "".join(old_words[a_start:a_end])))
            continue
        if a_end > a_start:
            pieces.append(("delete", "".join(old_words[a_start:a_end])))
        if b_end > b_start:
            pieces.append(("insert", "".join(new_words[b_start:b_end])))
    return pieces


class DiffingContextHelper(HistoricalRecordContextHelper):
    """Long text fields get a word-level diff instead of two truncated values."""

    def context_for_delta_changes(self, delta: Any) -> list[dict[str, Any]]:
        context = super().context_for_delta_changes(delta)
        for entry, change in zip(context, delta.changes, strict=True):
            both_text = isinstance(change.old, str) and isinstance(change.new, str)
            if both_text and (
                "\n" in change.old + change.new or len(change.old + change.new) > 100
            ):
                entry["diff"] = word_diff(change.old, change.new)
        return context


class BankHistoryAdmin(SimpleHistoryAdmin):
    object_history_list_template = "admin/questions/object_history_list.html"

    def get_historical_record_context_helper(
        self, request: HttpRequest, historical_record: Any
    ) -> HistoricalRecordContextHelper:
        return DiffingContextHelper(self.model, historical_record)

    def response_change(self, request: HttpRequest, obj: Any) -> HttpResponse:
        # simple-history's revert form saves through the change path, whose message would say
        # the object "was changed": name the version it went back to instead.
        reverted_to = self._reverted_version(request)
        if reverted_to is None:
            return super().response_change(request, obj)
        when = date_format(timezone.localtime(reverted_to.history_date), "j M Y, H:i")
        self.message_user(
            request,
            f"The {obj._meta.verbose_name} “{obj}” was reverted to the version of {when}.",
            messages.SUCCESS,
        )
        return self.response_post_save_change(request, obj)

    def _reverted_version(self, request: HttpRequest) -> Any | None:
        """The historical record a POST to the revert form (…/history/<version_id>/) restores."""
        match = request.resolver_match
        opts = self.model._meta
        if match is None or match.url_name != f"{opts.app_label}_{opts.model_name}_simple_history":
            return None
        _object_id, version_id = match.args  # simple-history's URL passes both positionally
        return self.model.history.filter(history_id=version_id).first()


class _CategoryTotals(TypedDict):
    question_total: int
    active_total: int


class _QuestionFlags(TypedDict):
    scenario_exists: bool
    open_flag_count: int


@admin.register(Category)
class CategoryAdmin(BankHistoryAdmin):
    list_display = ("name", "slug", "position", "question_count", "active_question_count")
    list_editable = ("position",)
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)
    ordering = ("position",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                question_total=Count("questions"),
                active_total=Count("questions", filter=Q(questions__is_active=True)),
            )
        )

    @admin.display(description="Questions", ordering="question_total")
    def question_count(self, category: WithAnnotations[Category, _CategoryTotals]) -> int:
        return category.question_total

    @admin.display(description="Active", ordering="active_total")
    def active_question_count(self, category: WithAnnotations[Category, _CategoryTotals]) -> int:
        return category.active_total


# Answers and prompts keep LF line breaks whatever the browser submits.
TEXT_FIELDS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.TextField: {"form_class": MultilineTextField}
}


MAX_PREVIEW_LENGTH = 100_000  # characters; the longest answer in the bank has under 2,000
NOTHING_TO_PREVIEW = "Nothing to preview yet."


def rendered_answer(text: str) -> SafeString:
    """An answer as candidates see it: the site's own sanitising Markdown renderer."""
    return format_html('<div class="answer-preview prose">{}</div>', render_markdown(text))


def _preview_html(text: str) -> SafeString:
    if not text.strip():
        return format_html('<p class="help">{}</p>', NOTHING_TO_PREVIEW)
    return render_markdown(text)


def live_answer_preview(text: str) -> SafeString:
    """The preview beside an answer's textarea: the saved text at first, then whatever the editor
    types (static/js/admin_preview.js posts it to `preview`)."""
    return format_html(
        '<div class="live-preview" data-preview-of="answer" data-preview-url="{}">'
        '<div class="answer-preview prose" data-preview-body>{}</div>'
        '<p class="help preview-status" data-preview-status role="status"></p></div>',
        reverse("admin:questions_preview"),
        _preview_html(text),
    )


class PreviewPoint(NamedTuple):
    text: str
    too_long: bool


def _ordered_points(texts: list[str], positions: list[str]) -> list[PreviewPoint]:
    """The rows of a key point inline as they will be saved: by position, blank ones last (see
    KeyPointFormSet), in row order among equals; rows without text are not saved."""
    rows = []
    for row, (text, position) in enumerate(zip(texts, positions, strict=True)):
        point = text.strip()
        if not point:
            continue
        # What the form would refuse (not a whole number, too big) shows last, like a blank.
        digits = position.strip()
        number = int(digits) if digits.isdecimal() and len(digits) <= 5 else None
        rows.append(((number is None, number or 0, row), point))
    return [PreviewPoint(point, len(point) > KEY_POINT_MAX_LENGTH) for _, point in sorted(rows)]


def _refuse_preview(message: str) -> HttpResponse:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """What candidates will see of the text an editor is typing (staff only: the admin wraps it).

    `kind=answer`: one `text`, Markdown through the site's sanitising renderer.
    `kind=key_points`: each inline row's `text` and `position`, as the ordered list candidates see.
    """
    kind = request.POST.get("kind", "")
    texts = request.POST.getlist("text")
    if sum(len(text) for text in texts) > MAX_PREVIEW_LENGTH:
        return _refuse_preview(f"Too long to preview (over {MAX_PREVIEW_LENGTH:,} characters).")
    if kind == "answer" and len(texts) == 1:
        return HttpResponse(_preview_html(texts[0]))
    if kind == "key_points":
        positions = request.POST.getlist("position")
        if len(positions) != len(texts):
            return _refuse_preview("Each key point needs a position, even a blank one.")
        context = {
            "points": _ordered_points(texts, positions),
            "max_length": KEY_POINT_MAX_LENGTH,
        }
        return render(request, "admin/questions/_key_points_preview.html", context)
    return _refuse_preview(
        "Nothing to preview: send kind=answer with one text, or kind=key_points."
    )


class AnswerPreviewForm(forms.ModelForm):
    """An admin form whose answer textarea feeds its live preview (see live_answer_preview)."""

    class Meta:
        widgets = {"answer": AdminTextareaWidget(attrs={"data-preview": "answer"})}


class KeyPointInline(admin.TabularInline):
    model = KeyPoint
    form = KeyPointForm
    formset = KeyPointFormSet
    fields = ("position", "text")
    extra = 1
    classes = ("key-points",)
    template = "admin/questions/key_point_inline.html"  # the tabular inline and its preview


class QuestionKeyPointInline(KeyPointInline):
    fk_name = "question"
    verbose_name_plural = "key points of the answer"


class ScenarioKeyPointInline(KeyPointInline):
    fk_name = "scenario"
    verbose_name_plural = "key points of the scenario answer"


class _KeyPointTotal(TypedDict):
    key_point_total: int


class _ScenarioTotals(_KeyPointTotal):
    open_flag_count: int


class ScenarioInline(admin.StackedInline):
    model = Scenario
    form = AnswerPreviewForm
    formset = ScenarioFormSet
    extra = 0
    fields = ("label", "position", "prompt", "answer", "answer_preview", "key_points_link")
    readonly_fields = ("answer_preview", "key_points_link")
    formfield_overrides = TEXT_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Scenario]:
        return super().get_queryset(request).annotate(key_point_total=Count("key_points"))

    @admin.display(description="Preview")
    def answer_preview(self, scenario: Scenario) -> SafeString:
        return live_answer_preview(scenario.answer)

    # Inlines cannot nest, so a scenario's key points are edited on its own admin page.
    @admin.display(description="Key points")
    def key_points_link(self, scenario: WithAnnotations[Scenario, _KeyPointTotal]) -> SafeString:
        if scenario.pk is None:
            return format_html("{}", "Save the question first, then add the scenario's key points.")
        url = reverse("admin:questions_scenario_change", args=[scenario.pk])
        return format_html(
            '{} · <a href="{}">Edit key points of {}</a>',
            _count(scenario.key_point_total, "key point"),
            url,
            scenario.label,
        )


def _flags_link(query: str, flags: QuerySet[AnswerFlag]) -> SafeString:
    url = f"{reverse('admin:questions_answerflag_changelist')}?{query}"
    open_count = flags.filter(status=AnswerFlag.Status.OPEN).count()
    return format_html('<a href="{}">{} open, {} in all</a>', url, open_count, flags.count())


def _shorten(text: str, length: int = 80) -> str:
    """One line of at most `length` characters, for a list column."""
    line = " ".join(text.split())
    return line if len(line) <= length else line[: length - 1] + "…"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


@admin.register(Question)
class QuestionAdmin(BankHistoryAdmin):
    form = AnswerPreviewForm
    list_display = (
        "number",
        "title",
        "category",
        "has_scenario",
        "is_active",
        "open_flags",
        "updated_at",
    )
    list_display_links = ("number", "title")
    list_filter = ("category", "is_active")
    list_select_related = ("category",)
    search_fields = ("=number", "title", "answer")
    ordering = ("number",)
    inlines = [QuestionKeyPointInline, ScenarioInline]
    readonly_fields = ("answer_preview", "flags_link", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("number", "title", "category", "is_active")}),
        (
            "Answer",
            {
                "fields": ("answer", "answer_preview"),
                "description": "Markdown (CommonMark). The preview follows your typing and "
                "shows the answer exactly as candidates will see it; raw HTML is never rendered.",
            },
        ),
        ("Feedback and dates", {"fields": ("flags_link", "created_at", "updated_at")}),
    )
    actions = ("retire", "restore")
    formfield_overrides = TEXT_FIELDS

    class Media:
        js = ("js/admin_preview.js",)

    def get_urls(self) -> list[URLPattern | URLResolver]:
        # Before the model's own URLs, which would read "preview" as an object id.
        return [
            path("preview/", self.admin_site.admin_view(preview), name="questions_preview"),
            *super().get_urls(),
        ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Question]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                scenario_exists=Exists(Scenario.objects.filter(question=OuterRef("pk"))),
                open_flag_count=Count("flags", filter=Q(flags__status=AnswerFlag.Status.OPEN)),
            )
        )

    @admin.display(description="Scenario", boolean=True, ordering="scenario_exists")
    def has_scenario(self, question: WithAnnotations[Question, _QuestionFlags]) -> bool:
        return question.scenario_exists

    @admin.display(description="Open flags", ordering="open_flag_count")
    def open_flags(self, question: WithAnnotations[Question, _QuestionFlags]) -> int:
        return question.open_flag_count

    @admin.display(description="Preview")
    def answer_preview(self, question: Question) -> SafeString:
        return live_answer_preview(question.answer)

    @admin.display(description="Flags from candidates")
    def flags_link(self, question: Question) -> SafeString:
        """Its flags, on its own answer and on its scenarios' answers."""
        if question.pk is None:
            return format_html("{}", "None yet.")
        return _flags_link(f"question__id__exact={question.pk}", question.flags.all())

    @admin.action(description="Retire selected questions (no longer asked)", permissions=["change"])
    def retire(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        self._set_active(request, queryset, active=False)

    @admin.action(description="Restore selected questions", permissions=["change"])
    def restore(self, request: HttpRequest, queryset: QuerySet[Question]) -> None:
        self._set_active(request, queryset, active=True)

    def _set_active(
        self, request: HttpRequest, queryset: QuerySet[Question], *, active: bool
    ) -> None:
        # One save per question, so each change lands in its history with the editor's name.
        changed = 0
        for question in queryset.filter(is_active=not active):
            question.is_active = active
            question.save(update_fields=["is_active", "updated_at"])
            changed += 1
        verb = "restored" if active else "retired"
        self.message_user(request, f"{changed} question(s) {verb}.", messages.SUCCESS)


@admin.register(Scenario)
class ScenarioAdmin(BankHistoryAdmin):
    form = AnswerPreviewForm
    list_display = ("label", "question", "key_point_count", "open_flags")
    list_select_related = ("question",)
    search_fields = ("=label", "=question__number", "prompt", "answer")
    ordering = ("question__number", "position", "label")
    inlines = [ScenarioKeyPointInline]
    readonly_fields = ("answer_preview", "flags_link")
    fieldsets = (
        (None, {"fields": ("question", "label", "position", "prompt")}),
        (
            "Answer",
            {
                "fields": ("answer", "answer_preview"),
                "description": "Markdown (CommonMark). The preview follows your typing and "
                "shows the answer exactly as candidates will see it; raw HTML is never rendered.",
            },
        ),
        ("Feedback", {"fields": ("flags_link",)}),
    )
    formfield_overrides = TEXT_FIELDS

    class Media:
        js = ("js/admin_preview.js",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Scenario]:
        # Two counts over two joins: distinct, or each would multiply the other.
        return (
            super()
            .get_queryset(request)
            .annotate(
                key_point_total=Count("key_points", distinct=True),
                open_flag_count=Count(
                    "flags", filter=Q(flags__status=AnswerFlag.Status.OPEN), distinct=True
                ),
            )
        )

    def get_readonly_fields(
        self, request: HttpRequest, obj: Scenario | None = None
    ) -> tuple[str, ...]:
        # Moved to another question, its flags and past interviews would name the wrong one.
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields if obj is None else ("question", *fields)

    @admin.display(description="Key points", ordering="key_point_total")
    def key_point_count(self, scenario: WithAnnotations[Scenario, _ScenarioTotals]) -> int:
        return scenario.key_point_total

    @admin.display(description="Open flags", ordering="open_flag_count")
    def open_flags(self, scenario: WithAnnotations[Scenario, _ScenarioTotals]) -> int:
        return scenario.open_flag_count

    @admin.display(description="Flags from candidates")
    def flags_link(self, scenario: Scenario) -> SafeString:
        if scenario.pk is None:
            return format_html("{}", "None yet.")
        return _flags_link(f"scenario__id__exact={scenario.pk}", scenario.flags.all())

    @admin.display(description="Preview")
    def answer_preview(self, scenario: Scenario) -> SafeString:
        return live_answer_preview(scenario.answer)


@admin.register(AnswerFlag)
class AnswerFlagAdmin(admin.ModelAdmin):
    list_display = (
        "target_link",
        "reason",
        "short_text_shown",
        "short_comment",
        "user",
        "status",
        "created_at",
    )
    # The first column already links to the question or scenario; a link to the flag around it
    # would nest two <a> elements, which browsers split, leaving the flag itself unreachable.
    list_display_links = ("short_comment",)
    list_filter = ("status", "reason")
    list_select_related = ("question", "scenario", "user")
    search_fields = ("=question__number", "=scenario__label", "comment")
    readonly_fields = (
        "target_link",
        "user",
        "reason",
        "flagged_text",
        "comment",
        "created_at",
        "resolved_at",
        "resolved_by",
    )
    fields = readonly_fields[:6] + ("status", "reply") + readonly_fields[6:]
    actions = ("mark_resolved",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # flags come from candidates, on the question and interview pages

    @admin.display(description="Flagged answer", ordering="question__number")
    def target_link(self, flag: AnswerFlag) -> SafeString:
        """Straight to the edit form of the text the candidate flagged."""
        if flag.scenario_id is not None:
            url = reverse("admin:questions_scenario_change", args=[flag.scenario_id])
        else:
            url = reverse("admin:questions_question_change", args=[flag.question_id])
        return format_html('<a href="{}">{}</a>', url, flag.target_label)

    @admin.display(description="Answer shown")
    def short_text_shown(self, flag: AnswerFlag) -> str:
        return _shorten(flag.text_shown) or "—"

    @admin.display(description="Answer as the candidate saw it")
    def flagged_text(self, flag: AnswerFlag) -> SafeString:
        if not flag.text_shown:
            return format_html('<p class="help">{}</p>', "Not recorded: flagged before it was.")
        preview = rendered_answer(flag.text_shown)
        if flag.text_shown == (flag.scenario or flag.question).answer:
            return preview
        return format_html('{}<p class="help">{}</p>', preview, "The answer was edited since.")

    @admin.display(description="Comment")
    def short_comment(self, flag: AnswerFlag) -> str:
        return _shorten(flag.comment)

    def save_model(self, request: HttpRequest, flag: AnswerFlag, form: Any, change: bool) -> None:
        resolved = flag.status == AnswerFlag.Status.RESOLVED
        if "status" in form.changed_data and resolved:
            # The admin admits only signed-in staff; the check narrows the type for mypy.
            editor = request.user if request.user.is_authenticated else None
            flag.resolve(by=editor, now=timezone.now())
        elif "status" in form.changed_data:
            flag.reopen()
        elif "reply" in form.changed_data and resolved:
            flag.reply_dismissed_at = None  # a corrected reply is shown again
        super().save_model(request, flag, form, change)

    @admin.action(description="Mark selected flags resolved", permissions=["change"])
    def mark_resolved(self, request: HttpRequest, queryset: QuerySet[AnswerFlag]) -> None:
        count = queryset.filter(status=AnswerFlag.Status.OPEN).update(
            status=AnswerFlag.Status.RESOLVED,
            resolved_at=timezone.now(),
            resolved_by=request.user,
            reply_dismissed_at=None,
        )
        self.message_user(request, f"{count} flag(s) marked resolved.", messages.SUCCESS)
