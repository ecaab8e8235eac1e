import sys

from anymail.webhooks.mailgun import MailgunInboundWebhookView
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from common.queue import queue_status

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


def healthz_queue(request: HttpRequest) -> HttpResponse:
    """The background task queue, for monitoring: how many tasks wait, how long the oldest has
    waited, retries, running, stale and given-up tasks. 503 when the oldest has waited longer
    than TASKS_QUEUE_MAX_AGE (no worker is running, or too few) or a worker died mid-task."""
    try:
        status = queue_status()
    except DatabaseError:
        return HttpResponse("database unreachable\n", status=503, content_type="text/plain")
    body = "\n".join(status.lines()) + "\n"
    return HttpResponse(body, status=200 if status.healthy else 503, content_type="text/plain")


@csrf_exempt
def mailgun_inbound(request: HttpRequest) -> HttpResponse:
    """Anymail's Mailgun inbound webhook, answering 404 while no signing key is configured (so
    an unconfigured site never takes mail without checking a signature)."""
    if not settings.ANYMAIL.get("MAILGUN_WEBHOOK_SIGNING_KEY"):
        raise Http404("Inbound mail is not configured.")
    response: HttpResponse = MailgunInboundWebhookView.as_view()(request)
    return response
