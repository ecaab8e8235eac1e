"""Authentication backends that take the user the session already loaded (accounts.sessions).

`get_user()` runs inside Django's `django.contrib.auth.get_user()`, which still checks the
session's backend and auth hash; these backends only save the second query for the same row.
"""

import contextvars
from typing import Any

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib import auth
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest

# The session of the request whose user is being looked up, set only around that lookup.
_session: contextvars.ContextVar[SessionBase | None] = contextvars.ContextVar(
    "codeahead_session", default=None
)


class PreloadedUserMixin:
    def get_user(self, user_id: Any) -> Any:
        session = _session.get()
        user = getattr(session, "account", None)
        if user is not None and str(user.pk) == str(user_id):
            return user if self.user_can_authenticate(user) else None  # type: ignore[attr-defined]
        return super().get_user(user_id)  # type: ignore[misc]


class ModelBackend(PreloadedUserMixin, DjangoModelBackend):
    pass


class AuthenticationBackend(PreloadedUserMixin, AllauthBackend):
    pass


def get_user(request: HttpRequest) -> Any | AnonymousUser:
    """Django's get_user(), letting the backends see this request's session."""
    token = _session.set(request.session)
    try:
        return auth.get_user(request)
    finally:
        _session.reset(token)
