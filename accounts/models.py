import datetime
from typing import Any, ClassVar

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
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

    class Meta:
        ordering = ("views_per_period", "slug")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(access__in=["none", "registered", "premium"]),
                name="accounts_plan_access_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("accounts:account")

    @property
    def is_unlimited(self) -> bool:
        return self.views_per_period is None


class UserManager(BaseUserManager["User"]):
    """Users are identified by email; there is no username."""

    use_in_migrations = True

    def get_queryset(self) -> "models.QuerySet[User]":
        # Every signed-in request reads the user's plan: load it with the user, in one query.
        return super().get_queryset().select_related("plan")

    def _create_user(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra["is_staff"] = True
        extra["is_superuser"] = True
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A CodeAhead account. The email address is the login identifier."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True, help_text="Used to sign in.")
    plan = models.ForeignKey(
        Plan,
        on_delete=models.PROTECT,
        related_name="users",
        limit_choices_to=~Q(slug=Plan.GUEST),
        help_text="Staff members get the staff plan whatever is set here.",
    )
    plan_ends_on = models.DateField(
        null=True,
        blank=True,
        help_text="Last day of a paid plan; afterwards the account is on the Free plan.",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "user"
        verbose_name_plural = "users"
        constraints: ClassVar = [
            # One account per address, whatever its case.
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email

    def get_absolute_url(self) -> str:
        return reverse("accounts:account")

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.plan_id is None:
            self.plan = Plan.objects.get(slug=Plan.FREE)
        super().save(*args, **kwargs)

    def current_plan(self, today: datetime.date | None = None) -> Plan:
        """The plan in force: staff first, then the chosen plan unless it has ended."""
        if self.is_staff:
            return Plan.objects.get(slug=Plan.STAFF)
        today = today or datetime.datetime.now(datetime.UTC).date()
        if self.plan_ends_on is not None and self.plan_ends_on < today:
            return Plan.objects.get(slug=Plan.FREE)
        return self.plan
