from functools import partial

from django.contrib.auth.middleware import (
    AuthenticationMiddleware as DjangoAuthenticationMiddleware,
)
from django.contrib.auth.middleware import auser
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.backends import get_user


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, with `request.user` loaded from the session's own query (accounts.sessions)."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: get_user(request))  # type: ignore[assignment]
        request.auser = partial(auser, request)  # type: ignore[attr-defined]
