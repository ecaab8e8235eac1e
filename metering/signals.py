from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.models import User
from metering.meter import meter_carry_guest_views


@receiver(user_logged_in, dispatch_uid="metering.carry_guest_views")
def carry_guest_views(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """The views a guest used before signing in count against the account."""
    if request is not None and hasattr(request, "session"):
        meter_carry_guest_views(user=user, session=request.session)
