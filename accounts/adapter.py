from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest

from common.tasks import email_enqueue
from metering.viewers import logout_keeping_guest


class AccountAdapter(DefaultAccountAdapter):
    def logout(self, request: HttpRequest) -> None:
        """Logging out never hands out fresh guest views: the guest id stays in the session."""
        logout_keeping_guest(request, super().logout)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """allauth's mail (verification, password reset, notices) is rendered here, in the
        request, with its links, and sent by a worker: no request waits on the mail server, and
        a mail server that is down delays the mail instead of failing the signup. The context is
        built as DefaultAccountAdapter.send_mail builds it (allauth 65.22)."""
        request = allauth_context.request
        full_context = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            **context,
        }
        email_enqueue(self.render_mail(template_prefix, email, full_context))
