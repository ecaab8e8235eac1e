from typing import Any, ClassVar

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse

from metering.models import Plan
from metering.viewers import meter_key_for_new_account


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
        "metering.Plan",
        on_delete=models.PROTECT,
        related_name="users",
        limit_choices_to=~Q(slug="guest"),
        help_text="Staff members get the staff plan whatever is set here.",
    )
    plan_ends_on = models.DateField(
        null=True,
        blank=True,
        help_text="Last day of a paid plan; afterwards the account is on the Free plan.",
    )

    meter_key = models.CharField(
        max_length=64,
        unique=True,
        editable=False,
        help_text="The key this account's code page views are counted under; set once, when the "
        "account is created, and kept when its address changes (metering.viewers).",
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
        if not self.meter_key:
            self.meter_key = meter_key_for_new_account(email=self.email)
        super().save(*args, **kwargs)


class Session(AbstractBaseSession):
    """A session, with the account it is signed in to (if any), so that one query loads a
    signed-in request's session and user together (accounts.sessions). Deleting an account
    deletes its sessions."""

    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="sessions"
    )

    class Meta(AbstractBaseSession.Meta):
        db_table = "accounts_session"

    @classmethod
    def get_session_store_class(cls) -> type["SessionBase"]:
        from accounts.sessions import SessionStore

        return SessionStore
