"""Rows the meter keeps: one per viewer and period, one per code a viewer opened in it.

No personal data is stored: viewers are keyed by a random guest id, a keyed hash of an account's
email address, or a keyed hash of a network fingerprint whose key is thrown away every day.
"""

from typing import ClassVar

from django.db import models
from django.db.models import F, Q


class Meter(models.Model):
    """How many code pages one viewer has opened in one period, against its allowance."""

    class Scope(models.TextChoices):
        ACCOUNT = "account", "Account (keyed hash of the email address)"
        GUEST = "guest", "Guest (random id kept in the session)"
        NETWORK = "network", "Network fingerprint (guests, per day)"

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
