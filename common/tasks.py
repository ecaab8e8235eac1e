"""Background work every product shares: sending an email, and trying again when it fails.

Tasks use Django's tasks API. In production the backend is django-tasks-db: `enqueue()` writes a
row in the same transaction as the data it is about (a question that rolls back takes its mail
with it), and `manage.py db_worker` sends it later, so no request ever waits on a mail server.

django-tasks-db has no retries of its own. A task that meets a passing failure (the mail server
down or slow) enqueues its next try, from its own result (`TaskContext`): the same task with the
same keyword arguments and `attempt + 1`, to run after the next delay of
`TASKS_RETRY_DELAYS`, and ends with `RetryScheduled`, so each try keeps its own row and traceback
in the admin. After the last delay the error itself is raised: that row is a final failure, which
the admin's "Gave up" filter and `manage.py queue_status` show to staff.
"""

import logging
import smtplib
from datetime import timedelta
from typing import Any, NoReturn

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.tasks import TaskContext, task
from django.utils import timezone

logger = logging.getLogger(__name__)

EMAIL_QUEUE = "email"


class RetryScheduled(Exception):
    """This try failed for a passing reason; the next one is enqueued."""


def is_transient(error: Exception) -> bool:
    """Whether trying again later may succeed: a connection refused or cut, a timeout, a 4xx
    answer of the mail server. A 5xx refusal (no such mailbox) will not change."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, smtplib.SMTPException | OSError)


def retry_later(context: TaskContext, *, error: Exception) -> NoReturn:
    """Enqueue the next try of the task that `context` runs, with every keyword argument it ran
    with and `attempt` one more, after the next delay, and raise RetryScheduled; past the last
    delay, re-raise `error` (the task has failed for good)."""
    result = context.task_result
    retry = result.task
    attempt = int(result.kwargs.get("attempt", 1))
    delays = settings.TASKS_RETRY_DELAYS
    if attempt > len(delays) or not is_transient(error):
        logger.error("%s gave up after %d tries: %r", retry.name, attempt, error)
        raise error
    delay = delays[attempt - 1]
    # A backend that cannot defer (the immediate one of the tests) runs the next try at once.
    later = (
        retry.using(run_after=timezone.now() + timedelta(seconds=delay))
        if retry.get_backend().supports_defer
        else retry
    )
    following = later.enqueue(*result.args, **{**result.kwargs, "attempt": attempt + 1})
    logger.warning(
        "%s try %d failed (%r); try %d is task %s, in %d s",
        retry.name,
        attempt,
        error,
        attempt + 1,
        following.id,
        delay,
    )
    raise RetryScheduled(
        f"try {attempt} failed: {error!r}; try {attempt + 1} is task {following.id}"
    ) from error


def deliver(message: EmailMessage, *, context: TaskContext) -> None:
    """Send `message` now; on a passing failure, leave it to the next try of the task that
    `context` runs (a task declared with `takes_context=True` and an `attempt` argument)."""
    try:
        message.send()
    except Exception as error:
        retry_later(context, error=error)


@task(queue_name=EMAIL_QUEUE, takes_context=True)
def send_email(
    context: TaskContext,
    *,
    subject: str,
    body: str,
    to: list[str],
    html: str | None = None,
    from_email: str | None = None,
    reply_to: list[str] | None = None,
    headers: dict[str, str] | None = None,
    attempt: int = 1,
) -> dict[str, Any]:
    """Send an email already written (subject, text, HTML) from a worker, with retries."""
    message = EmailMultiAlternatives(
        subject, body, from_email, to, reply_to=reply_to or [], headers=headers or {}
    )
    if html:
        message.attach_alternative(html, "text/html")
    deliver(message, context=context)
    return {"to": to, "attempt": attempt}


def email_enqueue(message: EmailMessage) -> None:
    """Hand `message`, rendered in the request, to the worker. Only what mail of ours uses
    travels: text, HTML alternative, sender, recipients, Reply-To and extra headers."""
    if message.attachments or message.cc or message.bcc:
        raise ValueError("attachments, cc and bcc do not travel through the mail task")
    html = next(
        (str(content) for content, mimetype in getattr(message, "alternatives", [])
         if mimetype == "text/html"),
        None,
    )  # fmt: skip
    body = str(message.body)
    if message.content_subtype == "html":  # an HTML-only message
        html, body = body, ""
    send_email.enqueue(
        subject=str(message.subject),
        body=body,
        html=html,
        from_email=message.from_email,
        to=list(message.to),
        reply_to=list(message.reply_to) or None,
        headers={key: str(value) for key, value in (message.extra_headers or {}).items()} or None,
    )
