"""Staff see questions, their messages and every reply that came by email (added or refused,
and why) in the admin; the work itself happens in the desk."""

from django.contrib import admin
from django.http import HttpRequest

from caseconsultant.models import InboundMail, Message, Question


class MessageInline(admin.StackedInline):
    model = Message
    extra = 0
    fields = ("kind", "author", "via", "created_at", "body_markdown")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("tracking", "subject", "status", "assignee", "due_at", "rating")
    list_filter = ("status", "setting", "payer_type", "rating")
    search_fields = ("tracking", "subject", "asker__email")
    list_select_related = ("assignee",)
    readonly_fields = (
        "tracking", "asker", "subject", "setting", "payer_type", "submitted_at", "due_at",
        "last_activity_at", "closed_at", "rating", "codes", "published_sections",
    )  # fmt: skip
    fields = ("status", "assignee", *readonly_fields)
    inlines = (MessageInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # members ask on the site


@admin.register(InboundMail)
class InboundMailAdmin(admin.ModelAdmin):
    list_display = ("received_at", "sender", "outcome", "reason", "question")
    list_filter = ("outcome",)
    search_fields = ("sender", "recipient", "event_id")
    list_select_related = ("question",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
