import sys

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

RETRY_AFTER_SECONDS = 15


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 handler. When the database is out of reach it answers 503 with Retry-After,
    so browsers and proxies know to come back; the site recovers on its own."""
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        response = render(request, "503.html", status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return render(request, "500.html", status=500)


def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers, 503 otherwise: for load balancers and monitoring."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        response = HttpResponse("database unreachable\n", status=503, content_type="text/plain")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponse("ok\n", content_type="text/plain")
