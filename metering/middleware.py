from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from metering.viewers import GUEST_COOKIE, GUEST_COOKIE_SALT, GUEST_COOKIE_SECONDS


class GuestCookieMiddleware:
    """Sets the signed cookie of a guest the meter has just met (metering.viewers.guest_id)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        guest = getattr(request, "codeahead_guest_new", None)
        if guest is not None:
            response.set_signed_cookie(
                GUEST_COOKIE,
                guest,
                salt=GUEST_COOKIE_SALT,
                max_age=GUEST_COOKIE_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
