"""What metering keeps: the plans, one meter per viewer and period, one row per code a viewer
opened in it, the day's fingerprint key, and the meter keys of deleted accounts.

No personal data is stored: viewers are keyed by a random guest id, an account's meter key (a
keyed hash of the address it registered with), or a keyed hash of a network fingerprint whose
key is thrown away every day.
"""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse


class Plan(models.Model):
    """What a kind of viewer gets: code page views per period and which sections they may read.

    Rows, not code: editors change allowances in the admin. The slugs below are fixed because the
    site picks plans by them (guests, new accounts, staff).
    """

    GUEST = "guest"
    FREE = "free"
    PREMIUM = "premium"
    STAFF = "staff"

    class Access(models.TextChoices):
        NONE = "none", "No content sections"
        REGISTERED = "registered", "Registered sections"
        PREMIUM = "premium", "Registered and premium sections"

    slug = models.SlugField(unique=True, max_length=20)
    name = models.CharField(max_length=40)
    views_per_period = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Code pages a viewer may open per period; empty means unlimited.",
    )
    access = models.CharField(
        max_length=12,
        choices=Access,
        help_text="Which content sections this plan may read.",
    )
    description = models.CharField(max_length=200, blank=True)
    consultant_questions_per_period = models.PositiveIntegerField(
        "CaseConsultant questions per period",
        null=True,
        blank=True,
        default=0,
        help_text="Questions to our certified coders an account may send per period; empty "
        "means unlimited, 0 none.",
    )
    casepilot_questions_per_period = models.PositiveIntegerField(
        "CasePilot questions per period",
        null=True,
        blank=True,
        default=0,
        help_text="Questions a viewer may ask the coding assistant per period; empty means "
        "unlimited, 0 none.",
    )

    class Meta:
        ordering = ("views_per_period", "slug")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(access__in=["none", "registered", "premium"]),
                name="metering_plan_access_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("plans")

    @property
    def is_unlimited(self) -> bool:
        return self.views_per_period is None


class Meter(models.Model):
    """How many code pages one viewer has opened in one period, against its allowance."""

    class Scope(models.TextChoices):
        ACCOUNT = "account", "Account (its meter key)"
        GUEST = "guest", "Guest (random id kept in the session)"
        NETWORK = "network", "Network and browser fingerprint (guests, per day)"
        NETWORK_CAP = "netcap", "Network, whatever the browser (guests, per day)"

    scope = models.CharField(max_length=8, choices=Scope)
    key = models.CharField(max_length=64)
    period_start = models.DateField(help_text="First day of the period this meter counts.")
    used = models.PositiveIntegerField(default=0)
    allowance = models.PositiveIntegerField(
        null=True, blank=True, help_text="Views allowed in the period; empty means unlimited."
    )
    touched_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-period_start", "scope", "key")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=("scope", "key", "period_start"), name="metering_meter_unique_viewer_period"
            ),
            models.CheckConstraint(
                condition=Q(allowance__isnull=True) | Q(used__lte=F("allowance")),
                name="metering_meter_used_within_allowance",
            ),
        ]
        indexes: ClassVar = [
            # Pruning old periods (prune_meters).
            models.Index(fields=("period_start",), name="metering_meter_period_idx"),
        ]

    def __str__(self) -> str:
        limit = "∞" if self.allowance is None else self.allowance
        return f"{self.scope} {self.key[:8]}… {self.period_start:%Y-%m-%d}: {self.used}/{limit}"


class MeterView(models.Model):
    """A code a viewer has opened in the meter's period: reopening it is free."""

    meter = models.ForeignKey(Meter, on_delete=models.CASCADE, related_name="views")
    code = models.ForeignKey("codes.Code", on_delete=models.CASCADE, related_name="+")
    viewed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-viewed_at",)
        constraints: ClassVar = [
            # The unique (viewer, code, period) rule: the meter carries viewer and period.
            models.UniqueConstraint(fields=("meter", "code"), name="metering_view_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.meter_id}: {self.code_id}"


class NetworkKey(models.Model):
    """Today's secret for hashing network fingerprints; older keys are deleted (prune_meters),
    after which yesterday's fingerprints can no longer be linked to any address."""

    day = models.DateField(unique=True)
    secret = models.BinaryField(max_length=32)

    class Meta:
        ordering = ("-day",)

    def __str__(self) -> str:
        return f"network key for {self.day}"


class RetiredAccountKey(models.Model):
    """The meter key of a deleted account, under a keyed hash of its last address: registering
    that address again finds the same meter, so deleting an account restores no views."""

    address_hash = models.CharField(max_length=64, unique=True)
    meter_key = models.CharField(max_length=64)
    retired_on = models.DateField(
        help_text="When the account was deleted; pruned after the retention period."
    )

    class Meta:
        ordering = ("-retired_on",)

    def __str__(self) -> str:
        return f"{self.address_hash[:8]}… → {self.meter_key[:8]}…"


class PlanChange(models.Model):
    """One change of an account's plan or its end date, with what caused it (a Stripe event, an
    editor in the admin). Kept when the account is deleted, without it."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="plan_changes"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    from_plan = models.ForeignKey(Plan, null=True, on_delete=models.PROTECT, related_name="+")
    from_ends_on = models.DateField(null=True, blank=True)
    to_plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    to_ends_on = models.DateField(null=True, blank=True)
    cause = models.CharField(
        max_length=200, help_text='What made the change: "stripe evt_… (invoice.paid)", "admin: …".'
    )

    class Meta:
        ordering = ("-changed_at", "-id")
        indexes: ClassVar = [
            # The admin's list of one account's changes.
            models.Index(fields=("account", "-changed_at"), name="metering_planchange_acct_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.from_plan} → {self.to_plan} ({self.cause})"


class QuestionQuota(models.Model):
    """How many questions one asker has sent to one product (CaseConsultant, CasePilot) in one
    period, against its plan's allowance. Charged by one conditional statement
    (metering.questions), backed by the check constraint."""

    class Product(models.TextChoices):
        CONSULTANT = "consultant", "CaseConsultant"
        CASEPILOT = "casepilot", "CasePilot"

    product = models.CharField(max_length=12, choices=Product, default=Product.CONSULTANT)
    key = models.CharField(
        max_length=64, help_text="The account's meter key, or a guest's random id."
    )
    period_start = models.DateField(help_text="First day of the period this row counts.")
    used = models.PositiveIntegerField(default=0)
    allowance = models.PositiveIntegerField(
        null=True, blank=True, help_text="Questions allowed in the period; empty means unlimited."
    )
    touched_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("-period_start", "product", "key")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=("product", "key", "period_start"),
                name="metering_questionquota_unique_product_period",
            ),
            models.CheckConstraint(
                condition=Q(allowance__isnull=True) | Q(used__lte=F("allowance")),
                name="metering_questionquota_used_within_allowance",
            ),
        ]

    def __str__(self) -> str:
        limit = "∞" if self.allowance is None else self.allowance
        return f"{self.product} {self.key[:8]}… {self.period_start:%Y-%m-%d}: {self.used}/{limit}"
