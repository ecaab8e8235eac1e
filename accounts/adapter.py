from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from metering.viewers import logout_keeping_guest


class AccountAdapter(DefaultAccountAdapter):
    def logout(self, request: HttpRequest) -> None:
        """Logging out never hands out fresh guest views: the guest id stays in the session."""
        logout_keeping_guest(request, super().logout)
