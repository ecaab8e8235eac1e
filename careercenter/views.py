"""CareerCenter's pages: the job list and job pages for everyone; saved jobs and alerts for
coders; the profile, the posting form (with preview) and "My postings" for employers. Access is
decided in careercenter.access, rules in careercenter.services, filters in careercenter.filters.
"""

from dataclasses import asdict
from math import ceil
from typing import Any

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseRedirectBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from careercenter import services
from careercenter.access import (
    account_of,
    employer_of,
    is_employer_of,
    job_page_or_404,
    own_job_or_404,
    verified_required,
)
from careercenter.filters import JobFilter, alert_filters, as_query_string, describe
from careercenter.forms import AlertForm, EmployerProfileForm, JobForm
from careercenter.models import (
    LIFECYCLE_LABELS,
    Job,
    JobAlert,
    JobCounter,
    JobQuerySet,
    SavedJob,
)
from careercenter.structured_data import job_posting
from codeahead.ratelimit import rate_limit_hit
from common.markup import json_script_text, render_markdown
from metering.access import is_speculative
from metering.viewers import account_is_verified

PAGE_SIZE = 20
# The list pages through the first thousand matches at most: past them a coder narrows the
# search, and counting every match of a broad one was most of the list's time.
LIST_CAP = 1000


class CappedPaginator(Paginator):
    """Counts at most `cap` + 1 matches (one unordered, limited subquery, which PostgreSQL stops
    early) and pages through the first `cap`; `capped` says there are more."""

    def __init__(self, jobs: JobQuerySet, per_page: int, *, cap: int) -> None:
        super().__init__(jobs, per_page)
        self.jobs = jobs
        self.cap = cap

    @cached_property
    def count(self) -> int:
        return self.jobs.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @cached_property
    def num_pages(self) -> int:
        return max(1, ceil(min(self.count, self.cap) / self.per_page))

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.cap, self.count)
        return Page(self.jobs[bottom:top], number, self)


class RedirectToApply(HttpResponseRedirectBase):
    """A redirect to the employer's application page, or to a mailto: address."""

    status_code = 302
    allowed_schemes = ["http", "https", "mailto"]  # noqa: RUF012 - Django's own attribute


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@require_safe
def job_list(request: HttpRequest) -> HttpResponse:
    """Open jobs, newest first, under the filters of the URL; unknown values are form errors
    (400), never ignored."""
    now = timezone.now()
    found = JobFilter(request.GET, queryset=Job.objects.live(now).for_list())
    valid = found.is_valid()
    kept = request.GET.copy()
    kept.pop("page", None)
    context: dict[str, object] = {"form": found.form, "filter_query": kept.urlencode()}
    if valid:
        paginator = CappedPaginator(found.qs, PAGE_SIZE, cap=LIST_CAP)
        context["page"] = paginator.get_page(request.GET.get("page"))
        search = alert_filters(found.form.cleaned_data)
        context["search"] = describe(search) if search else ""
        user = request.user
        if user.is_authenticated and account_is_verified(account_of(request)):
            context["alert_form"] = AlertForm(initial={"search": as_query_string(search)})
    return render(request, "careercenter/job_list.html", context, status=200 if valid else 400)


@require_safe
def job_detail(request: HttpRequest, pk: int, slug: str = "") -> HttpResponse:
    """The job page. Open: everything with its JobPosting markup, counted as a view. Expired or
    closed: says so, without markup or apply button. Removed by staff: 410."""
    job = job_page_or_404(request, pk)
    if job.status == Job.Status.REMOVED:
        return render(request, "careercenter/gone.html", {"job": job}, status=410)
    if slug != job.slug:
        return redirect(job, permanent=True)
    now = timezone.now()
    lifecycle = job.lifecycle_at(now)
    owner = is_employer_of(request, job)
    live = job.is_live(now)
    if live and not owner and not is_speculative(request):
        services.job_count_view(job_id=job.pk)
    user = request.user
    context = {
        "job": job,
        "lifecycle": lifecycle,
        "is_owner": owner,
        "structured_data": json_script_text(
            job_posting(
                job,
                url=request.build_absolute_uri(job.get_absolute_url()),
                website=job.employer.website,
            )
        )
        if live
        else "",
        "saved": user.is_authenticated
        and SavedJob.objects.filter(account_id=user.pk, job_id=job.pk).exists(),
        "counts": JobCounter.objects.filter(job_id=job.pk).first() if owner else None,
    }
    return render(request, "careercenter/job_detail.html", context)


@require_safe
def job_apply(request: HttpRequest, pk: int) -> HttpResponse:
    """The apply button: counts the click (nobody's identity is kept) and sends the reader on
    to the employer's page or mail program. A job no longer open sends them back to its page."""
    job = Job.objects.live(timezone.now()).filter(pk=pk).first()
    if job is None:
        # Back to its page, which says why; a posting the reader may not see stays unknown
        # (its address would tell its title).
        gone = Job.objects.visible_to(request.user).filter(pk=pk).only("pk", "slug").first()
        if gone is None:
            raise Http404("No such job.")
        return redirect(gone)
    if not is_speculative(request):
        services.job_count_apply(job_id=job.pk)
    return RedirectToApply(job.apply_url or f"mailto:{job.apply_email}")


@verified_required
@require_POST
def job_save(request: HttpRequest, pk: int) -> HttpResponse:
    """Save an open job, or (`remove`) forget one saved earlier."""
    account = account_of(request)
    if request.POST.get("remove"):
        services.job_unsave(account=account, job_id=pk)
        messages.success(request, "Removed from your saved jobs.")
    else:
        job = Job.objects.live(timezone.now()).filter(pk=pk).first()
        if job is None:
            raise Http404("No such open job.")
        services.job_save(account=account, job=job)
        messages.success(request, "Saved. Find it under Saved jobs.")
    return redirect(_back(request, reverse("careercenter:saved")))


@verified_required
def saved_jobs(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    saved = list(SavedJob.objects.for_account(account_of(request).pk))
    entries = [(entry.job, entry.job.lifecycle_at(now)) for entry in saved]
    return render(request, "careercenter/saved.html", {"entries": entries})


@verified_required
@require_http_methods(["GET", "POST"])
def alerts(request: HttpRequest) -> HttpResponse:
    """An account's alerts; POST keeps the list's current filters as a new one."""
    account = account_of(request)
    if request.method == "POST":
        form = AlertForm(request.POST)
        found = JobFilter(QueryDict(form.data.get("search", "")), queryset=Job.objects.none())
        if form.is_valid() and found.is_valid():
            try:
                services.alert_create(
                    account=account,
                    filters=alert_filters(found.form.cleaned_data),
                    frequency=form.cleaned_data["frequency"],
                )
            except services.TooManyAlerts:
                messages.error(
                    request, f"You keep {services.MAX_ALERTS} alerts already: delete one first."
                )
            else:
                messages.success(request, "Alert saved: we will email you new jobs of this search.")
            return redirect("careercenter:alerts")
        messages.error(request, "That search could not be kept as an alert.")
        return redirect("careercenter:alerts")
    kept = JobAlert.objects.filter(account_id=account.pk).order_by("-created_at")
    entries = [(alert, describe(alert.filters), as_query_string(alert.filters)) for alert in kept]
    return render(request, "careercenter/alerts.html", {"entries": entries})


@verified_required
@require_POST
def alert_delete(request: HttpRequest, pk: int) -> HttpResponse:
    if services.alert_delete(account=account_of(request), alert_id=pk):
        messages.success(request, "Alert deleted: no more mail for it.")
    return redirect("careercenter:alerts")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The signed link of an alert mail; no login needed. GET asks (a mail scanner following
    links must not unsubscribe anyone); POST, from that page or a mail program's one-click
    button (RFC 8058), deletes the alert. The signature is the authority, so no CSRF token."""
    alert_id = services.alert_for_token(token)
    if alert_id is None:
        raise Http404("Not a link of ours.")
    if request.method == "POST":
        services.alert_unsubscribe(alert_id=alert_id)
        return render(request, "careercenter/unsubscribe.html", {"done": True})
    exists = JobAlert.objects.filter(pk=alert_id).first()
    context = {
        "done": exists is None,
        "search": describe(exists.filters) if exists else "",
        "frequency": exists.get_frequency_display().lower() if exists else "",
    }
    return render(request, "careercenter/unsubscribe.html", context)


# Employers


@verified_required
@require_http_methods(["GET", "POST"])
def employer(request: HttpRequest) -> HttpResponse:
    """The employer profile: the organization the account posts jobs for."""
    profile = employer_of(request)
    if request.method == "POST":
        form = EmployerProfileForm(request.POST)
        if form.is_valid():
            services.employer_profile_save(account=account_of(request), **form.cleaned_data)
            messages.success(request, "Employer profile saved.")
            return redirect(_back(request, reverse("careercenter:mine")))
    else:
        initial = (
            {"organization": profile.organization, "website": profile.website} if profile else {}
        )
        form = EmployerProfileForm(initial=initial)
    return render(
        request,
        "careercenter/employer.html",
        {"form": form, "profile": profile, "next": request.GET.get("next", "")},
        status=400 if form.errors else 200,
    )


def _preview(form: JobForm, organization: str) -> Job:
    """The job as its page will show it, made from the form; nothing is stored."""
    data = form.job_data()
    job = Job(organization=organization, **asdict(data))
    job.description_html = render_markdown(data.description_markdown)
    return job


def _posting_form(
    request: HttpRequest, *, form: JobForm, job: Job | None, status: int = 200, **extra: object
) -> HttpResponse:
    return render(
        request,
        "careercenter/post.html",
        {"form": form, "job": job, "days": settings.CAREERS_POSTING_DAYS, **extra},
        status=status,
    )


def _posting_rate_limited(request: HttpRequest) -> bool:
    """A new posting counts against the account's and the client address's limits."""
    by_account = rate_limit_hit(
        scope="job-posting", key=str(request.user.pk), rate=settings.RATE_LIMIT_JOB_POSTING
    )
    client = get_adapter(request).get_client_ip(request)
    by_address = rate_limit_hit(
        scope="job-posting-ip", key=client, rate=settings.RATE_LIMIT_JOB_POSTING_IP
    )
    return by_account or by_address


@verified_required
@require_http_methods(["GET", "POST"])
def job_post(request: HttpRequest) -> HttpResponse:
    """A new posting. "Preview" shows it as its page will look; "Submit" stores it (waiting
    for staff, unless staff already trust the employer)."""
    profile = employer_of(request)
    if profile is None:
        messages.info(request, "First tell applicants who you are: your organization.")
        return redirect(reverse("careercenter:employer") + "?next=" + reverse("careercenter:post"))
    if request.method != "POST":
        return _posting_form(request, form=JobForm(initial={"experience_years": 0}), job=None)
    form = JobForm(request.POST)
    if not form.is_valid():
        return _posting_form(request, form=form, job=None, status=400)
    if request.POST.get("action") == "preview":
        return _posting_form(
            request, form=form, job=None, preview=_preview(form, profile.organization)
        )
    if _posting_rate_limited(request):
        form.add_error(None, "You have posted many jobs in a short time. Please try again later.")
        return _posting_form(request, form=form, job=None, status=429)
    job = services.job_submit(employer=profile, data=form.job_data())
    if job.status == Job.Status.APPROVED:
        messages.success(request, f"“{job.title}” is live on the job board.")
    else:
        messages.success(
            request,
            f"“{job.title}” is waiting for approval. We will email you when our staff have "
            "looked at it, usually within one business day.",
        )
    return redirect("careercenter:mine")


@verified_required
@require_http_methods(["GET", "POST"])
def job_edit(request: HttpRequest, pk: int) -> HttpResponse:
    job = own_job_or_404(request, pk)
    if job.status not in services.EDITABLE:
        messages.error(request, "A closed or removed posting can no longer change.")
        return redirect("careercenter:mine")
    if request.method != "POST":
        return _posting_form(request, form=JobForm(initial=JobForm.initial_for(job)), job=job)
    form = JobForm(request.POST)
    if not form.is_valid():
        return _posting_form(request, form=form, job=job, status=400)
    if request.POST.get("action") == "preview":
        return _posting_form(request, form=form, job=job, preview=_preview(form, job.organization))
    try:
        job = services.job_update(job=job, data=form.job_data())
    except services.NotEditable:
        messages.error(request, "A closed or removed posting can no longer change.")
        return redirect("careercenter:mine")
    if job.status == Job.Status.PENDING:
        messages.success(request, f"“{job.title}” is saved and waits for approval again.")
    else:
        messages.success(request, f"“{job.title}” is saved.")
    return redirect("careercenter:mine")


@verified_required
def my_postings(request: HttpRequest) -> HttpResponse:
    """The employer's postings with their state, views and apply clicks."""
    now = timezone.now()
    jobs = (
        Job.objects.owned_by(request.user)
        .with_lifecycle(now)
        .with_counts()
        .order_by("-created_at", "-pk")
    )
    entries = [(job, LIFECYCLE_LABELS[job.lifecycle]) for job in jobs]  # type: ignore[attr-defined]
    return render(
        request,
        "careercenter/my_postings.html",
        {
            "entries": entries,
            "profile": employer_of(request),
            "editable": services.EDITABLE,
            "days": settings.CAREERS_POSTING_DAYS,
        },
    )


@verified_required
@require_POST
def job_renew(request: HttpRequest, pk: int) -> HttpResponse:
    job = own_job_or_404(request, pk)
    if services.job_renew(job=job):
        messages.success(
            request, f"“{job.title}” is renewed for {settings.CAREERS_POSTING_DAYS} days."
        )
    else:
        messages.error(request, "Only an approved posting can be renewed.")
    return redirect("careercenter:mine")


@verified_required
@require_POST
def job_close(request: HttpRequest, pk: int) -> HttpResponse:
    job = own_job_or_404(request, pk)
    if services.job_close(job=job):
        messages.success(request, f"“{job.title}” is closed: it left the job board.")
    else:
        messages.error(request, "That posting is not open.")
    return redirect("careercenter:mine")
