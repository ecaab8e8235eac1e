from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.http import HttpRequest

from metering.meter import meter_carry_guest_views
from metering.viewers import MeteredAccount, meter_key_retire


@receiver(user_logged_in, dispatch_uid="metering.carry_guest_views")
def carry_guest_views(
    sender: Any, request: HttpRequest | None, user: MeteredAccount, **kwargs: Any
) -> None:
    """The views a guest used before signing in count against the account."""
    if request is not None and hasattr(request, "session"):
        meter_carry_guest_views(user=user, request=request)


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="metering.retire_key")
def retire_meter_key(sender: Any, instance: Any, **kwargs: Any) -> None:
    """However an account is deleted (its owner, an admin), its meter stays with its address."""
    if instance.meter_key:
        meter_key_retire(email=instance.email, meter_key=instance.meter_key)
