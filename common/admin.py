"""Failed tasks, visible to staff: django-tasks-db's read-only list of task rows, with a filter
that tells tries that were retried from tasks that gave up, and an action to try those again."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from common.queue import RETRIED, task_enqueue_again


class OutcomeFilter(admin.SimpleListFilter):
    title = "outcome"
    parameter_name = "outcome"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("gave_up", "Gave up (needs a look)"),
            ("retried", "Failed, tried again later"),
            ("waiting", "Waiting or running"),
            ("done", "Done"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        match self.value():
            case "gave_up":
                return queryset.filter(status="FAILED").exclude(exception_class_path=RETRIED)
            case "retried":
                return queryset.filter(status="FAILED", exception_class_path=RETRIED)
            case "waiting":
                return queryset.filter(Q(status="READY") | Q(status="RUNNING"))
            case "done":
                return queryset.filter(status="SUCCESSFUL")
        return queryset


admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class TaskResultAdmin(DBTaskResultAdmin):
    list_display = (
        "enqueued_at",
        "task_name",
        "status",
        "attempt",
        "error",
        "run_after",
        "finished_at",
        "queue_name",
    )
    list_filter = (OutcomeFilter, "status", "queue_name")  # type: ignore[assignment]
    actions = ("enqueue_again",)

    @admin.display(description="try")
    def attempt(self, obj: DBTaskResult) -> int:
        return int(obj.args_kwargs.get("kwargs", {}).get("attempt", 1))

    @admin.display(description="error")
    def error(self, obj: DBTaskResult) -> str:
        return obj.exception_class_path.rsplit(".", 1)[-1] if obj.exception_class_path else ""

    @admin.action(description="Try the selected failed tasks again")
    def enqueue_again(self, request: HttpRequest, queryset: QuerySet[DBTaskResult]) -> None:
        rows = list(queryset.filter(status="FAILED").exclude(exception_class_path=RETRIED))
        for row in rows:
            task_enqueue_again(row)
        self.message_user(request, f"{len(rows)} task(s) enqueued again.", messages.SUCCESS)
