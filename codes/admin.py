"""The editorial admin: code sets, sections, codes and their content sections, with history."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from codes.embeddings import sync_embeddings
from codes.models import (
    Code,
    CodeSet,
    ContentSection,
    SearchSynonym,
    Section,
    compact_identifier,
)


@admin.register(CodeSet)
class CodeSetAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "owner", "release_year", "is_public_domain", "position")
    search_fields = ("name", "slug", "full_name")
    ordering = ("position",)


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ("title", "code_range", "code_set", "parent")
    list_filter = ("code_set",)
    list_select_related = ("code_set", "parent")
    search_fields = ("title", "slug", "range_start")
    autocomplete_fields = ("parent",)
    ordering = ("code_set", "position", "range_start")


class TopSectionFilter(admin.SimpleListFilter):
    """Chapters of the chosen code set; picking one shows the codes anywhere beneath it."""

    title = "chapter or section"
    parameter_name = "under"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        code_set = request.GET.get("code_set__id__exact", "")
        if not code_set.isdigit():
            return []
        sections = Section.objects.filter(code_set_id=int(code_set), parent=None).order_by(
            "position", "range_start"
        )
        return [(str(s.pk), f"{s.code_range} {s.title}") for s in sections]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Code]) -> QuerySet[Code]:
        if not self.value() or not str(self.value()).isdigit():
            return queryset
        return queryset.filter(section__in=Section.objects.subtree_ids(int(str(self.value()))))


class ContentSectionInline(admin.StackedInline):
    model = ContentSection
    extra = 0
    fields = (("position", "kind", "access"), "title", "body_markdown")
    ordering = ("position",)
    show_change_link = True  # each section's own history lives on its change page


@admin.register(Code)
class CodeAdmin(SimpleHistoryAdmin):
    list_display = ("identifier", "title", "code_set", "section_title", "status", "is_add_on")
    list_display_links = ("identifier", "title")
    list_filter = ("code_set", TopSectionFilter, "status", "is_add_on", "is_sample")
    list_select_related = ("code_set", "section")
    list_per_page = 50
    search_fields = ("identifier", "title")
    search_help_text = "A code in any spelling (0439t, e119) or words from its title."
    autocomplete_fields = ("section", "replaced_by", "primary_codes")
    inlines = (ContentSectionInline,)
    history_list_display = ("status",)
    fieldsets = (
        (None, {"fields": ("code_set", "identifier", "section", "title", "status")}),
        ("Descriptions", {"fields": ("official_description", "plain_description")}),
        (
            "Add-on codes and replacement",
            {"fields": ("is_add_on", "primary_codes", "replaced_by")},
        ),
        ("Dates and flags", {"fields": ("effective_date", "end_date", "is_sample", "popularity")}),
    )

    class Media:
        # Names for the autocomplete widgets' controls, which the bundled Select2 leaves unnamed.
        js = ("admin/codeahead-autocomplete-a11y.js",)

    @admin.display(description="Section", ordering="section__title")
    def section_title(self, code: Code) -> str:
        # The title alone: with its range the column pushed the table past a 1280 px screen.
        return code.section.title if code.section else "—"

    def save_model(self, request: HttpRequest, obj: Code, form: Any, change: bool) -> None:
        """Saved, and its vector follows its title (an edit or a revert from the history), in
        the same transaction: semantic search must not keep finding it for words it lost."""
        super().save_model(request, obj, form, change)
        sync_embeddings(codes=Code.objects.filter(pk=obj.pk))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Code], search_term: str
    ) -> tuple[QuerySet[Code], bool]:
        """An identifier in any spelling matches that code (and codes it starts), before words."""
        compact = compact_identifier(search_term)
        if compact:
            by_identifier = queryset.by_compact_prefix(compact)  # type: ignore[attr-defined]
            if by_identifier.exists():
                return by_identifier, False
        return super().get_search_results(request, queryset, search_term)


@admin.register(ContentSection)
class ContentSectionAdmin(SimpleHistoryAdmin):
    list_display = ("title", "code", "kind", "access", "position")
    list_filter = ("kind", "access", "code__code_set")
    list_select_related = ("code__code_set",)
    search_fields = ("title", "code__identifier")
    autocomplete_fields = ("code",)
    fields = ("code", ("position", "kind", "access"), "title", "body_markdown")


@admin.register(SearchSynonym)
class SearchSynonymAdmin(SimpleHistoryAdmin):
    """The words people type and the official wording they stand for (codes/search.py reads it
    on every query, so a change applies at once)."""

    list_display = ("term", "alternatives", "kind", "updated_at")
    list_filter = ("kind",)
    search_fields = ("term", "alternatives")
    search_help_text = "A term or any of its alternatives."
    fields = ("term", "alternatives", "kind")
    ordering = ("term",)
