"""Editors read what coders ask CasePilot, what it answered from, and the votes: the questions
answered "not helpful", or citing nothing, show where the guidance is missing."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from casepilot.models import Question, Source


class SourceInline(admin.TabularInline):
    model = Source
    extra = 0
    fields = ("number", "code", "anchor", "label")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "short_question",
        "code",
        "vote",
        "engine",
        "source_count",
        "duration_ms",
    )
    # By the code an answer cites, offering only codes some answer cites.
    list_filter = (
        "vote",
        "engine",
        ("sources__code", admin.RelatedOnlyFieldListFilter),
        "created_at",
    )
    search_fields = ("question", "answer_markdown", "code__identifier", "sources__label")
    list_select_related = ("code__code_set",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "created_at",
        "asker",
        "code",
        "question",
        "answer_markdown",
        "engine",
        "model",
        "note",
        "vote",
        "duration_ms",
    )
    fields = readonly_fields
    inlines = (SourceInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Question]:
        from django.db.models import Count

        return super().get_queryset(request).annotate(n_sources=Count("sources"))

    @admin.display(description="question")
    def short_question(self, obj: Question) -> str:
        return obj.question[:90]

    @admin.display(description="sources", ordering="n_sources")
    def source_count(self, obj: Question) -> int:
        return obj.n_sources  # type: ignore[attr-defined]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # coders ask on the site

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
