"""CaseConsultant's slow work: each thread step's mail, one task per recipient, sent by a worker
with retries (common.tasks)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.tasks import TaskContext, task

from caseconsultant.models import Message, Question
from common.tasks import EMAIL_QUEUE, deliver


@task(queue_name=EMAIL_QUEUE, takes_context=True)
def send_thread_mail(
    context: TaskContext,
    *,
    question_id: int,
    message_id: int | None,
    recipient_id: int,
    event: str,
    attempt: int = 1,
) -> dict[str, Any]:
    """Write and send one thread step's mail to one recipient. Nothing is sent when the thread,
    the message or the recipient is gone (a deleted account), or for an internal note."""
    from caseconsultant.mail import thread_email

    question = Question.objects.filter(pk=question_id).first()
    message = (
        Message.objects.select_related("author").filter(pk=message_id).first()
        if message_id is not None
        else None
    )
    email = get_user_model().objects.filter(pk=recipient_id).values_list("email", flat=True).first()
    if question is None or email is None or (message_id is not None and message is None):
        return {"sent": False, "reason": "gone"}
    if message is not None and message.is_note:
        return {"sent": False, "reason": "internal note"}
    mail = thread_email(
        question=question, message=message, recipient_id=recipient_id, email=email, event=event
    )
    deliver(mail, context=context)
    return {"sent": True, "attempt": attempt}
