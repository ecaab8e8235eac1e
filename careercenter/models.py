"""CareerCenter: employers (an account's organization), their job postings, the jobs coders
save, and the searches they keep as job alerts.

A posting is public once staff approved it (or at once, for an employer staff already trust) and
until it expires, 30 days later unless renewed. Every read of postings goes through a named
method of `JobQuerySet`: `live()` for what lists, feed, sitemap and alerts show;
`visible_to()` for what a job page may open; `owned_by()` for an employer's own.
"""

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from common.markup import render_markdown
from common.search import folded_search_vector

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser, AnonymousUser

# Hours a year of a full-time job (40 x 52): hourly pay is compared with yearly pay through it.
HOURS_A_YEAR = 2080

US_STATES = [
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"),
    ("CA", "California"), ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"),
    ("DC", "District of Columbia"), ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"),
    ("ID", "Idaho"), ("IL", "Illinois"), ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"),
    ("KY", "Kentucky"), ("LA", "Louisiana"), ("ME", "Maine"), ("MD", "Maryland"),
    ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"), ("MS", "Mississippi"),
    ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"),
    ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"),
    ("OR", "Oregon"), ("PA", "Pennsylvania"), ("PR", "Puerto Rico"), ("RI", "Rhode Island"),
    ("SC", "South Carolina"), ("SD", "South Dakota"), ("TN", "Tennessee"), ("TX", "Texas"),
    ("UT", "Utah"), ("VT", "Vermont"), ("VA", "Virginia"), ("WA", "Washington"),
    ("WV", "West Virginia"), ("WI", "Wisconsin"), ("WY", "Wyoming"),
]  # fmt: skip
STATE_NAMES = dict(US_STATES)


class WorkMode(models.TextChoices):
    REMOTE = "remote", "Remote"
    HYBRID = "hybrid", "Hybrid"
    ONSITE = "onsite", "On-site"


class EmploymentType(models.TextChoices):
    FULL_TIME = "full_time", "Full-time"
    PART_TIME = "part_time", "Part-time"
    CONTRACT = "contract", "Contract"
    TEMPORARY = "temporary", "Temporary"
    PER_DIEM = "per_diem", "Per diem"
    INTERNSHIP = "internship", "Internship"


class JobSetting(models.TextChoices):
    INPATIENT = "inpatient", "Inpatient"
    OUTPATIENT = "outpatient", "Outpatient"
    PROFESSIONAL_FEE = "professional_fee", "Professional fee"
    RISK_ADJUSTMENT = "risk_adjustment", "Risk adjustment"
    AUDITING = "auditing", "Auditing"
    EDUCATION = "education", "Education"


class Credential(models.TextChoices):
    """Coding credentials (AAPC, AHIMA, ACDIS) employers ask for."""

    CPC = "CPC", "CPC (Certified Professional Coder)"
    COC = "COC", "COC (Certified Outpatient Coder)"
    CIC = "CIC", "CIC (Certified Inpatient Coder)"
    CRC = "CRC", "CRC (Certified Risk Adjustment Coder)"
    CPMA = "CPMA", "CPMA (Certified Professional Medical Auditor)"
    CPB = "CPB", "CPB (Certified Professional Biller)"
    CPCO = "CPCO", "CPCO (Certified Professional Compliance Officer)"
    CCS = "CCS", "CCS (Certified Coding Specialist)"
    CCS_P = "CCS-P", "CCS-P (Certified Coding Specialist – Physician-based)"
    CCA = "CCA", "CCA (Certified Coding Associate)"
    RHIT = "RHIT", "RHIT (Registered Health Information Technician)"
    RHIA = "RHIA", "RHIA (Registered Health Information Administrator)"
    CDIP = "CDIP", "CDIP (Certified Documentation Integrity Practitioner)"
    CCDS = "CCDS", "CCDS (Certified Clinical Documentation Specialist)"


class PayPeriod(models.TextChoices):
    HOUR = "hour", "an hour"
    YEAR = "year", "a year"


class EmployerProfile(models.Model):
    """The organization an account posts jobs for. Any verified account may have one."""

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="employer_profile"
    )
    organization = models.CharField(
        "organization name", max_length=150, help_text="Shown as the employer of its jobs."
    )
    website = models.URLField(blank=True, help_text="The organization's own site.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("organization",)

    def __str__(self) -> str:
        return self.organization

    def get_absolute_url(self) -> str:
        return reverse("careercenter:employer")


class JobQuerySet(models.QuerySet["Job"]):
    def live(self, now: datetime.datetime) -> "JobQuerySet":
        """Approved and not expired: the jobs lists, the feed, the sitemap and alerts show."""
        return self.filter(status=Job.Status.APPROVED, expires_at__gt=now)

    def for_list(self) -> "JobQuerySet":
        """What a list entry shows, newest first; no relation is read."""
        return self.only(
            "pk", "slug", "title", "organization", "work_mode", "city", "state",
            "employment_type", "setting", "credentials", "experience_years", "pay_min",
            "pay_max", "pay_period", "published_at", "expires_at", "status",
        ).order_by("-published_at", "-pk")  # fmt: skip

    def best_paid_first(self) -> "JobQuerySet":
        return self.order_by(F("annual_pay_max").desc(), "-published_at", "-pk")

    def visible_to(self, user: "AbstractUser | AnonymousUser") -> "JobQuerySet":
        """The postings whose page `user` may open: every approved or removed one, and every
        closed one that was published first (an expired or closed job says so; a removed one
        answers 410), plus, for its employer, their own pending, rejected and never published
        closed ones; staff see all. (A posting closed while pending was never moderated.)"""
        if user.is_authenticated and user.is_staff:
            return self
        public = Q(status__in=[Job.Status.APPROVED, Job.Status.REMOVED]) | Q(
            status=Job.Status.CLOSED, published_at__isnull=False
        )
        if user.is_authenticated:
            public |= Q(employer__account_id=user.pk)
        return self.filter(public)

    def owned_by(self, user: "AbstractUser | AnonymousUser") -> "JobQuerySet":
        """An employer's own postings; nobody else's, whatever their status."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(employer__account_id=user.pk)

    def with_lifecycle(self, now: datetime.datetime) -> "JobQuerySet":
        """Each with `lifecycle`: its status, or "expired" for an approved job past its expiry."""
        return self.annotate(
            lifecycle=Case(
                When(status=Job.Status.APPROVED, expires_at__lte=now, then=Value("expired")),
                default=F("status"),
                output_field=models.CharField(),
            )
        )

    def with_counts(self) -> "JobQuerySet":
        """Each with `views` and `apply_clicks` (0 before the first)."""
        return self.annotate(
            views=Coalesce(F("counter__views"), 0),
            apply_clicks=Coalesce(F("counter__apply_clicks"), 0),
        )

    def published_between(
        self, since: datetime.datetime, until: datetime.datetime
    ) -> "JobQuerySet":
        """First published after `since`, up to `until` (a job alert's new matches)."""
        return self.filter(published_at__gt=since, published_at__lte=until)


class Job(models.Model):
    """A job posting. `status` is what staff and the employer decided; whether an approved job
    is still open depends on `expires_at` (see `lifecycle_at`)."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        CLOSED = "closed", "Closed"
        REMOVED = "removed", "Removed by staff"

    employer = models.ForeignKey(EmployerProfile, on_delete=models.CASCADE, related_name="jobs")
    organization = models.CharField(
        max_length=150,
        editable=False,
        help_text="The employer's organization name, kept with the job for search and lists.",
    )
    title = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, editable=False)
    description_markdown = models.TextField(
        "description", help_text="Markdown: paragraphs, lists, **bold**. Raw HTML is removed."
    )
    description_html = models.TextField(
        editable=False, help_text="Sanitized HTML, rendered when saved."
    )
    work_mode = models.CharField(max_length=10, choices=WorkMode)
    city = models.CharField(
        max_length=80, blank=True, help_text="Where the work is done; empty for remote jobs."
    )
    state = models.CharField(
        max_length=2,
        blank=True,
        choices=US_STATES,
        help_text="On-site and hybrid: the job's state. Remote: the only state applicants may "
        "live in, or empty for anywhere in the United States.",
    )
    employment_type = models.CharField(max_length=12, choices=EmploymentType)
    setting = models.CharField(max_length=20, choices=JobSetting)
    credentials = ArrayField(
        models.CharField(max_length=8, choices=Credential),
        default=list,
        blank=True,
        help_text="Credentials the employer accepts; empty when none is required.",
    )
    experience_years = models.PositiveSmallIntegerField(
        default=0, help_text="Years of coding experience asked for; 0 for entry level."
    )
    pay_min = models.DecimalField(max_digits=9, decimal_places=2)
    pay_max = models.DecimalField(
        max_digits=9, decimal_places=2, help_text="Equal to the minimum for a single figure."
    )
    pay_period = models.CharField(max_length=4, choices=PayPeriod)
    # The top of the pay range in dollars a year, for the minimum-pay filter and the pay sort.
    annual_pay_max = models.GeneratedField(
        expression=Case(
            When(pay_period=PayPeriod.HOUR, then=F("pay_max") * Value(HOURS_A_YEAR)),
            default=F("pay_max"),
        ),
        output_field=models.DecimalField(max_digits=12, decimal_places=2),
        db_persist=True,
    )
    apply_url = models.URLField(
        "apply link", max_length=500, blank=True, help_text="The employer's application page."
    )
    apply_email = models.EmailField(
        blank=True, help_text="Where applications go by email, instead of a link."
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    rejection_reason = models.TextField(
        blank=True, help_text="Why staff rejected or removed it; mailed to the employer."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was first approved: the job's posting date."
    )
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="It leaves the lists then, unless renewed."
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The staff member who last approved, rejected or removed it.",
    )
    # Words of the title and employer (weight A) and description (B), accents folded; kept by
    # PostgreSQL itself. Read by careercenter.filters (the words search of the list).
    search_vector = models.GeneratedField(
        expression=folded_search_vector(
            ("title", "A"), ("organization", "A"), ("description_markdown", "B")
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ("-published_at", "-pk")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected", "closed", "removed"]),
                name="careercenter_job_status_valid",
            ),
            # Somewhere to work: remote, or a city and state.
            models.CheckConstraint(
                condition=Q(work_mode="remote") | (~Q(city="") & ~Q(state="")),
                name="careercenter_job_location_or_remote",
            ),
            # One way to apply: a link or an address.
            models.CheckConstraint(
                condition=(~Q(apply_url="") & Q(apply_email=""))
                | (Q(apply_url="") & ~Q(apply_email="")),
                name="careercenter_job_one_way_to_apply",
            ),
            models.CheckConstraint(
                condition=Q(pay_min__gt=0) & Q(pay_max__gte=F("pay_min")),
                name="careercenter_job_pay_range",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved")
                | (Q(published_at__isnull=False) & Q(expires_at__isnull=False)),
                name="careercenter_job_approved_has_dates",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="careercenter_job_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(experience_years__lte=50), name="careercenter_job_experience_range"
            ),
        ]
        indexes: ClassVar = [
            # The list, feed and sitemap: approved jobs, newest first (expiry checked per row).
            models.Index(
                F("published_at").desc(),
                F("id").desc(),
                name="cc_job_live_newest_idx",
                condition=Q(status="approved"),
            ),
            # The list sorted by pay, and the minimum-pay filter.
            models.Index(
                F("annual_pay_max").desc(),
                name="cc_job_live_pay_idx",
                condition=Q(status="approved"),
            ),
            # The list's count: every equality filter, with what the others and the count read,
            # so counting the matches of a search is an index-only scan. (Job rows change
            # seldom: the counters that change on every view live in JobCounter.)
            models.Index(
                fields=("work_mode", "setting", "employment_type", "state"),
                include=("annual_pay_max", "expires_at", "credentials", "id"),
                name="cc_job_live_filters_idx",
                condition=Q(status="approved"),
            ),
            # The list's words search (careercenter.filters).
            GinIndex(fields=("search_vector",), name="cc_job_search_idx"),
            # The credential filter (array containment).
            GinIndex(fields=("credentials",), name="cc_job_credentials_idx"),
            # Moderation in the admin (pending first) and "My postings".
            models.Index(fields=("status", "created_at"), name="cc_job_status_created_idx"),
            models.Index(fields=("employer", "-created_at"), name="cc_job_employer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.organization})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.description_html = render_markdown(self.description_markdown)
        self.slug = job_slug(self.title)
        fields = kwargs.get("update_fields")
        if fields is not None:
            kwargs["update_fields"] = {*fields, "description_html", "slug"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("careercenter:job", kwargs={"pk": self.pk, "slug": self.slug})

    def lifecycle_at(self, now: datetime.datetime) -> str:
        """The status, or "expired" for an approved job whose time is up."""
        if self.status == self.Status.APPROVED and self.expires_at and self.expires_at <= now:
            return "expired"
        return str(self.status)

    def is_live(self, now: datetime.datetime) -> bool:
        """Approved and not expired: what `JobQuerySet.live` selects."""
        return self.lifecycle_at(now) == self.Status.APPROVED

    @property
    def location(self) -> str:
        """Where the job is, as a reader says it: "Austin, TX", "Remote (US)", "Remote (TX)"."""
        if self.work_mode == WorkMode.REMOTE:
            return f"Remote ({STATE_NAMES[self.state]} only)" if self.state else "Remote (US)"
        place = f"{self.city}, {self.state}"
        return f"{place} (hybrid)" if self.work_mode == WorkMode.HYBRID else place

    @property
    def pay_text(self) -> str:
        """ "$24–$28 an hour", "$58,000 a year"."""
        cents = any(a != a.to_integral_value() for a in (self.pay_min, self.pay_max))
        low, high = money(self.pay_min, cents=cents), money(self.pay_max, cents=cents)
        figure = low if self.pay_min == self.pay_max else f"{low}–{high}"
        return f"{figure} {self.get_pay_period_display()}"


# What an employer reads for each state of a posting ("My postings").
LIFECYCLE_LABELS = {
    "pending": "Waiting for approval",
    "approved": "Open",
    "expired": "Expired",
    "rejected": "Rejected",
    "closed": "Closed",
    "removed": "Removed by staff",
}


class JobCounter(models.Model):
    """How often a job's page was opened and its apply button clicked, and nothing about who.
    A row of its own, raised by one upsert per hit (careercenter.services), so that a page view
    never rewrites the job's row, which the list reads by an index-only scan."""

    job = models.OneToOneField(
        Job, on_delete=models.CASCADE, primary_key=True, related_name="counter"
    )
    views = models.PositiveIntegerField(default=0)
    apply_clicks = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "job counter"

    def __str__(self) -> str:
        return f"{self.job_id}: {self.views} views, {self.apply_clicks} apply clicks"

    def get_absolute_url(self) -> str:
        return self.job.get_absolute_url()


def job_slug(title: str) -> str:
    return slugify(title)[:80].strip("-") or "job"


def money(amount: Decimal, *, cents: bool = False) -> str:
    """$24, $24.50, $58,000 (with `cents`, $24.00)."""
    if cents or amount != amount.to_integral_value():
        return f"${amount:,.2f}"
    return f"${int(amount):,}"


class SavedJobQuerySet(models.QuerySet["SavedJob"]):
    def for_account(self, account_id: int) -> "SavedJobQuerySet":
        """An account's saved jobs that may still be shown (never a removed one), newest first."""
        return (
            self.filter(
                account_id=account_id, job__status__in=[Job.Status.APPROVED, Job.Status.CLOSED]
            )
            .select_related("job")
            .order_by("-saved_at", "-pk")
        )


class SavedJob(models.Model):
    """A job a coder keeps to come back to."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_jobs"
    )
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="+")
    saved_at = models.DateTimeField()

    objects = SavedJobQuerySet.as_manager()

    class Meta:
        ordering = ("-saved_at",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("account", "job"), name="careercenter_saved_once"),
        ]
        indexes: ClassVar = [
            # The saved-jobs page.
            models.Index(fields=("account", "-saved_at"), name="cc_saved_account_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id} saved by {self.account_id}"

    def get_absolute_url(self) -> str:
        return reverse("careercenter:saved")


class JobAlert(models.Model):
    """A saved search mailed daily or weekly with the jobs published since the last check.

    `checked_through` is the moment up to which published jobs were already considered: each
    mail covers (checked_through, now], so no job is mailed twice and none is skipped.
    `last_period` names the day or ISO week already handled, which makes sending idempotent.
    """

    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="job_alerts"
    )
    filters = models.JSONField(
        default=dict, help_text="The list's filters, as careercenter.filters reads them."
    )
    frequency = models.CharField(max_length=6, choices=Frequency, default=Frequency.WEEKLY)
    created_at = models.DateTimeField()
    checked_through = models.DateTimeField()
    last_period = models.CharField(
        max_length=10, blank=True, help_text="The day (2026-03-03) or week (2026-W10) handled."
    )
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(frequency__in=["daily", "weekly"]),
                name="careercenter_alert_frequency_valid",
            ),
        ]
        indexes: ClassVar = [
            # The alerts page.
            models.Index(fields=("account", "-created_at"), name="cc_alert_account_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_frequency_display()} alert of {self.account_id}"

    def get_absolute_url(self) -> str:
        return reverse("careercenter:alerts")
