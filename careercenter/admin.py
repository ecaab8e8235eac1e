"""Moderation in the admin: postings waiting for approval first; approve, reject with a reason,
or remove with a reason, one or many at once (each employer is emailed through the task queue);
edit any posting. A posting is never deleted here: removing it makes its page answer 410."""

import datetime
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Case, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format

from careercenter import services
from careercenter.models import EmployerProfile, Job

PENDING_FIRST = Case(When(status=Job.Status.PENDING, then=Value(0)), default=Value(1))


def _day(moment: datetime.datetime | None) -> str:
    """A date the list can fit: "Mar 3, 2026" (times are on the posting's page)."""
    return date_format(moment, "M j, Y") if moment else "–"


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
        max_length=2000,
        help_text="Mailed to each employer as it is written here.",
    )


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = (
        "title", "organization", "lifecycle", "submitted", "posted", "expires", "views",
        "apply_clicks",
    )  # fmt: skip
    list_filter = ("status", "work_mode", "setting", "employment_type")
    search_fields = ("title", "organization", "employer__account__email")
    ordering = (PENDING_FIRST.asc(), "-created_at")
    actions = ("approve", "reject", "remove")
    readonly_fields = (
        "employer", "organization", "status", "rejection_reason", "created_at", "published_at",
        "expires_at", "moderated_at", "moderated_by", "views", "apply_clicks",
    )  # fmt: skip
    fieldsets = (
        ("Moderation", {"fields": ("status", "rejection_reason", "moderated_at", "moderated_by")}),
        (
            "Posting",
            {
                "fields": (
                    "employer",
                    "organization",
                    "title",
                    "description_markdown",
                    "work_mode",
                    "city",
                    "state",
                    "employment_type",
                    "setting",
                    "credentials",
                    "experience_years",
                    "pay_min",
                    "pay_max",
                    "pay_period",
                    "apply_url",
                    "apply_email",
                )
            },
        ),
        (
            "Dates and counts",
            {
                "fields": (
                    "created_at",
                    "published_at",
                    "expires_at",
                    "views",
                    "apply_clicks",
                )
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Job]:
        return super().get_queryset(request).with_counts()  # type: ignore[attr-defined]

    @admin.display(description="submitted", ordering="created_at")
    def submitted(self, job: Job) -> str:
        return _day(job.created_at)

    @admin.display(description="posted", ordering="published_at")
    def posted(self, job: Job) -> str:
        return _day(job.published_at)

    @admin.display(description="expires", ordering="expires_at")
    def expires(self, job: Job) -> str:
        return _day(job.expires_at)

    @admin.display(description="views", ordering="views")
    def views(self, job: Job) -> int:
        return job.views  # type: ignore[attr-defined]

    @admin.display(description="apply clicks", ordering="apply_clicks")
    def apply_clicks(self, job: Job) -> int:
        return job.apply_clicks  # type: ignore[attr-defined]

    @admin.display(description="status")
    def lifecycle(self, job: Job) -> str:
        lifecycle = job.lifecycle_at(timezone.now())
        return "Expired" if lifecycle == "expired" else job.get_status_display()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # employers post on the site

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # "Remove" keeps the row, so its page answers 410 Gone

    @admin.action(description="Approve selected postings", permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        done = services.jobs_approve(
            job_ids=list(queryset.values_list("pk", flat=True)), moderator=request.user
        )
        self._report(request, queryset, done, "approved")

    @admin.action(description="Reject selected postings, with a reason…", permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Job]) -> HttpResponse | None:
        return self._with_reason(
            request, queryset, action="reject", title="Reject postings",
            decide=services.jobs_reject, verb="rejected",
        )  # fmt: skip

    @admin.action(description="Remove selected postings, with a reason…", permissions=["change"])
    def remove(self, request: HttpRequest, queryset: QuerySet[Job]) -> HttpResponse | None:
        return self._with_reason(
            request, queryset, action="remove", title="Remove postings",
            decide=services.jobs_remove, verb="removed",
        )  # fmt: skip

    def _with_reason(
        self,
        request: HttpRequest,
        queryset: QuerySet[Job],
        *,
        action: str,
        title: str,
        decide: Callable[..., list[int]],
        verb: str,
    ) -> HttpResponse | None:
        """Ask for the reason on a page of its own, then decide every selected posting."""
        form = ReasonForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            done = decide(
                job_ids=list(queryset.values_list("pk", flat=True)),
                moderator=request.user,
                reason=form.cleaned_data["reason"],
            )
            self._report(request, queryset, done, verb)
            return None
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": title,
            "form": form,
            "jobs": list(queryset.order_by("pk")),
            "action": action,
            "verb": verb,
            "opts": self.model._meta,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/careercenter/job/reason.html", context)

    def _report(
        self, request: HttpRequest, queryset: QuerySet[Job], done: list[int], verb: str
    ) -> None:
        skipped = queryset.count() - len(done)
        self.message_user(
            request, f"{len(done)} posting(s) {verb}; each employer is emailed.", messages.SUCCESS
        )
        if skipped:
            self.message_user(
                request,
                f"{skipped} posting(s) left as they were: not in a state that can be {verb}.",
                messages.WARNING,
            )


@admin.register(EmployerProfile)
class EmployerProfileAdmin(admin.ModelAdmin):
    list_display = ("organization", "account", "website", "created_at")
    search_fields = ("organization", "account__email")
    list_select_related = ("account",)
    readonly_fields = ("account", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: EmployerProfile, form: forms.ModelForm, change: bool
    ) -> None:
        """Through the service, so the profile's jobs carry the organization's new name."""
        services.employer_profile_save(
            account=obj.account, organization=obj.organization, website=obj.website
        )
