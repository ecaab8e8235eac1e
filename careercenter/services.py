"""CareerCenter's rules: employers and their postings, moderation, renewing and closing, the
counters of views and apply clicks, saved jobs and job alerts.

Each change is one transaction; a change someone should hear about (staff approved, rejected or
removed a posting; an alert found new jobs) enqueues its mail in that same transaction, so a
change that rolls back sends nothing and one that commits is never left without its mail.
Counters change by `F()` updates, never read-modify-write, and store nothing about who clicked.
"""

import datetime
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import Count, F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from careercenter.filters import JobFilter, as_query_dict
from careercenter.models import EmployerProfile, Job, JobAlert, SavedJob
from careercenter.tasks import send_job_alert, send_moderation_mail

logger = logging.getLogger(__name__)

# Statuses in which the employer may still edit a posting.
EDITABLE = (Job.Status.PENDING, Job.Status.APPROVED, Job.Status.REJECTED)
# Alerts an account may keep, and jobs one alert mail lists (it links to the rest).
MAX_ALERTS = 10
ALERT_MAIL_JOBS = 20
UNSUBSCRIBE_SALT = "careercenter.alert-unsubscribe"

APPROVED = "approved"
REJECTED = "rejected"
REMOVED = "removed"


class Account(Protocol):
    """What the rules need of an account (or a staff member): its id."""

    @property
    def pk(self) -> Any: ...


class NotEditable(Exception):
    """The posting is closed or removed: it can no longer change."""


class TooManyAlerts(Exception):
    """The account keeps MAX_ALERTS alerts already."""


@dataclass(frozen=True, slots=True, kw_only=True)
class JobData:
    """What an employer writes in a posting (careercenter.forms.JobForm's cleaned data)."""

    title: str
    description_markdown: str
    work_mode: str
    city: str
    state: str
    employment_type: str
    setting: str
    credentials: list[str]
    experience_years: int
    pay_min: Decimal
    pay_max: Decimal
    pay_period: str
    apply_url: str
    apply_email: str


def posting_lifetime() -> datetime.timedelta:
    return datetime.timedelta(days=settings.CAREERS_POSTING_DAYS)


# Employers


@transaction.atomic
def employer_profile_save(*, account: Account, organization: str, website: str) -> EmployerProfile:
    """Create or change the account's employer profile; its jobs carry the new name."""
    profile, _ = EmployerProfile.objects.update_or_create(
        account_id=account.pk, defaults={"organization": organization, "website": website}
    )
    Job.objects.filter(employer=profile).exclude(organization=organization).update(
        organization=organization
    )
    return profile


def employer_is_trusted(*, employer: EmployerProfile) -> bool:
    """Whether the employer's postings go live without waiting: staff approved at least
    CAREERS_TRUSTED_AFTER of them and removed none."""
    counts = Job.objects.filter(employer=employer).aggregate(
        approved=Count("pk", filter=Q(published_at__isnull=False) & ~Q(status=Job.Status.REMOVED)),
        removed=Count("pk", filter=Q(status=Job.Status.REMOVED)),
    )
    return counts["removed"] == 0 and counts["approved"] >= settings.CAREERS_TRUSTED_AFTER


# Postings


@transaction.atomic
def job_submit(
    *, employer: EmployerProfile, data: JobData, now: datetime.datetime | None = None
) -> Job:
    """A new posting: live at once for a trusted employer, else waiting for staff."""
    now = now or timezone.now()
    # One submission at a time per employer, so two at once cannot both count as trusted.
    EmployerProfile.objects.select_for_update().filter(pk=employer.pk).first()
    job = Job(employer=employer, organization=employer.organization, created_at=now, **asdict(data))
    if employer_is_trusted(employer=employer):
        job.status = Job.Status.APPROVED
        job.published_at = now
        job.expires_at = now + posting_lifetime()
    job.save()
    return job


@transaction.atomic
def job_update(*, job: Job, data: JobData) -> Job:
    """The employer's edit. A rejected posting goes back to staff; so does an approved one of an
    employer staff do not trust yet (an approved text cannot be swapped for another unseen)."""
    locked = Job.objects.select_for_update().select_related("employer").get(pk=job.pk)
    if locked.status not in EDITABLE:
        raise NotEditable
    for name, value in asdict(data).items():
        setattr(locked, name, value)
    if locked.status == Job.Status.REJECTED:
        locked.status = Job.Status.PENDING
        locked.rejection_reason = ""
    elif locked.status == Job.Status.APPROVED and not employer_is_trusted(employer=locked.employer):
        locked.status = Job.Status.PENDING
    locked.save()
    return locked


def job_renew(*, job: Job, now: datetime.datetime | None = None) -> bool:
    """Another CAREERS_POSTING_DAYS from now for an approved posting, open or expired."""
    now = now or timezone.now()
    renewed = Job.objects.filter(pk=job.pk, status=Job.Status.APPROVED)
    return bool(renewed.update(expires_at=now + posting_lifetime()))


def job_close(*, job: Job) -> bool:
    """The employer takes a pending or approved posting down (the position is filled)."""
    open_ = Job.objects.filter(pk=job.pk, status__in=[Job.Status.PENDING, Job.Status.APPROVED])
    return bool(open_.update(status=Job.Status.CLOSED))


# One statement per hit: the counter row is made by the first, raised in place by the others.
_COUNT = """
INSERT INTO careercenter_jobcounter (job_id, views, apply_clicks) VALUES (%s, {views}, {clicks})
ON CONFLICT (job_id) DO UPDATE SET {column} = careercenter_jobcounter.{column} + 1
"""
_COUNT_VIEW = _COUNT.format(views=1, clicks=0, column="views")
_COUNT_APPLY = _COUNT.format(views=0, clicks=1, column="apply_clicks")


def job_count_view(*, job_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_VIEW, [job_id])


def job_count_apply(*, job_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_APPLY, [job_id])


# Moderation (staff, in the admin)


def _moderate(
    *,
    job_ids: Iterable[int],
    from_statuses: Iterable[str],
    decision: str,
    changes: dict[str, Any],
    moderator: Account,
    now: datetime.datetime,
    reason: str | None = None,
) -> list[int]:
    """Apply `changes` to the postings among `job_ids` still in `from_statuses` (locked, so two
    moderators at once decide each posting once) and mail each employer the decision. A
    rejection or removal gives a `reason`, which may not be blank: it is kept and mailed."""
    if reason is not None:
        if not reason.strip():
            raise ValueError(f"a {decision} posting needs a reason")
        changes = {**changes, "rejection_reason": reason.strip()}
    ids = list(
        Job.objects.select_for_update()
        .filter(pk__in=list(job_ids), status__in=list(from_statuses))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        return []
    Job.objects.filter(pk__in=ids).update(
        **changes, moderated_at=now, moderated_by_id=moderator.pk, updated_at=now
    )
    for job_id in ids:
        send_moderation_mail.enqueue(job_id=job_id, decision=decision)
    return ids


@transaction.atomic
def jobs_approve(
    *, job_ids: Iterable[int], moderator: Account, now: datetime.datetime | None = None
) -> list[int]:
    """Publish pending (or earlier rejected) postings for CAREERS_POSTING_DAYS. A posting
    approved before keeps its first publication date. Returns the ids approved."""
    now = now or timezone.now()
    return _moderate(
        job_ids=job_ids,
        from_statuses=[Job.Status.PENDING, Job.Status.REJECTED],
        decision=APPROVED,
        changes={
            "status": Job.Status.APPROVED,
            "published_at": Coalesce(F("published_at"), Value(now)),
            "expires_at": now + posting_lifetime(),
            "rejection_reason": "",
        },
        moderator=moderator,
        now=now,
    )


@transaction.atomic
def jobs_reject(
    *,
    job_ids: Iterable[int],
    moderator: Account,
    reason: str,
    now: datetime.datetime | None = None,
) -> list[int]:
    """Turn pending postings down with `reason`, which the employer is mailed and can fix."""
    return _moderate(
        job_ids=job_ids,
        from_statuses=[Job.Status.PENDING],
        decision=REJECTED,
        changes={"status": Job.Status.REJECTED},
        moderator=moderator,
        now=now or timezone.now(),
        reason=reason,
    )


@transaction.atomic
def jobs_remove(
    *,
    job_ids: Iterable[int],
    moderator: Account,
    reason: str,
    now: datetime.datetime | None = None,
) -> list[int]:
    """Take postings down for good: their pages answer 410 Gone and the employer is mailed."""
    return _moderate(
        job_ids=job_ids,
        from_statuses=[s for s in Job.Status.values if s != Job.Status.REMOVED],
        decision=REMOVED,
        changes={"status": Job.Status.REMOVED},
        moderator=moderator,
        now=now or timezone.now(),
        reason=reason,
    )


# Saved jobs


def job_save(*, account: Account, job: Job, now: datetime.datetime | None = None) -> None:
    SavedJob.objects.get_or_create(
        account_id=account.pk, job=job, defaults={"saved_at": now or timezone.now()}
    )


def job_unsave(*, account: Account, job_id: int) -> None:
    SavedJob.objects.filter(account_id=account.pk, job_id=job_id).delete()


# Job alerts


def period_key(frequency: str, moment: datetime.datetime) -> str:
    """The UTC day (2026-03-03) or ISO week (2026-W10) an alert is sent once in."""
    day = moment.astimezone(datetime.UTC).date()
    if frequency == JobAlert.Frequency.DAILY:
        return day.isoformat()
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@transaction.atomic
def alert_create(
    *,
    account: Account,
    filters: dict[str, Any],
    frequency: str,
    now: datetime.datetime | None = None,
) -> JobAlert:
    """Keep the list's filters as an alert. It is due at the next run of send_job_alerts, which
    mails the jobs published from now on (none: no mail)."""
    now = now or timezone.now()
    if JobAlert.objects.filter(account_id=account.pk).count() >= MAX_ALERTS:
        raise TooManyAlerts
    return JobAlert.objects.create(
        account_id=account.pk,
        filters=filters,
        frequency=frequency,
        created_at=now,
        checked_through=now,
        last_period="",
    )


def alert_delete(*, account: Account, alert_id: int) -> bool:
    return bool(JobAlert.objects.filter(account_id=account.pk, pk=alert_id).delete()[0])


def unsubscribe_token(*, alert_id: int) -> str:
    """The signed token of an alert's one-click unsubscribe link (keyed by SECRET_KEY)."""
    return signing.dumps(alert_id, salt=UNSUBSCRIBE_SALT)


def alert_for_token(token: str) -> int | None:
    """The alert id a genuine token was made for; None for anything else."""
    try:
        value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def alert_unsubscribe(*, alert_id: int) -> bool:
    """Delete the alert; False when it was gone already."""
    return bool(JobAlert.objects.filter(pk=alert_id).delete()[0])


@dataclass(frozen=True, slots=True)
class AlertMatches:
    jobs: list[Job]  # the newest ALERT_MAIL_JOBS
    total: int


def alert_matches(
    *,
    alert: JobAlert,
    since: datetime.datetime,
    until: datetime.datetime,
    now: datetime.datetime,
) -> AlertMatches:
    """The open jobs matching the alert's filters, first published in (since, until]."""
    jobs = Job.objects.live(now).published_between(since, until).for_list()
    found = JobFilter(as_query_dict(alert.filters), queryset=jobs)
    if not found.is_valid():
        logger.warning("alert %s keeps filters no longer understood: %s", alert.pk, found.errors)
        return AlertMatches([], 0)
    matching = found.qs
    listed = list(matching[:ALERT_MAIL_JOBS])
    total = len(listed) if len(listed) < ALERT_MAIL_JOBS else matching.count()
    return AlertMatches(listed, total)


def alerts_enqueue_due(*, now: datetime.datetime | None = None) -> int:
    """Enqueue one mail task for each alert not yet handled in the current day (daily alerts)
    or ISO week (weekly ones), covering the jobs published since its last check. Each alert is
    claimed by a locked update in the transaction that enqueues its task, so running this twice,
    or on two machines at once, handles an alert once per period. Returns how many were."""
    now = now or timezone.now()
    handled = 0
    for frequency in JobAlert.Frequency.values:
        period = period_key(frequency, now)
        due = JobAlert.objects.filter(frequency=frequency).exclude(last_period=period)
        for alert_id in due.values_list("pk", flat=True).order_by("pk").iterator():
            with transaction.atomic():
                alert = (
                    JobAlert.objects.select_for_update(skip_locked=True)
                    .filter(pk=alert_id)
                    .exclude(last_period=period)
                    .first()
                )
                if alert is None:
                    continue
                since = alert.checked_through
                alert.last_period = period
                alert.checked_through = now
                alert.save(update_fields=["last_period", "checked_through"])
                send_job_alert.enqueue(
                    alert_id=alert.pk,
                    period=period,
                    since=since.isoformat(),
                    until=now.isoformat(),
                )
                handled += 1
    return handled
