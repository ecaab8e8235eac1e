"""Who hears about each step of a thread. Each mail is its own task (one thread step, one
recipient), enqueued in the step's transaction and sent by a worker with retries; the task reads
the thread when it runs, so the request only writes a row.

- the question: its asker ("received") and every consultant ("new question");
- a follow-up: the assigned consultant, or every consultant while nobody has claimed it;
- a consultant's answer: the asker;
- closing: the asker;
- an internal note: nobody.
"""

from caseconsultant.access import consultants
from caseconsultant.models import Message, Question
from caseconsultant.tasks import send_thread_mail

RECEIVED = "received"
NEW_QUESTION = "new_question"
FOLLOW_UP = "follow_up"
ANSWERED = "answered"
CLOSED = "closed"


def _consultant_ids(question: Question) -> list[int]:
    if question.assignee_id is not None:
        return [question.assignee_id]
    return list(consultants().values_list("pk", flat=True))


def notify_message(message: Message) -> None:
    """Enqueue the mail that `message` calls for."""
    question = message.question
    sends: list[tuple[int, str]] = []
    match message.kind:
        case Message.Kind.QUESTION:
            sends.append((question.asker_id, RECEIVED))
            sends += [(pk, NEW_QUESTION) for pk in _consultant_ids(question)]
        case Message.Kind.FOLLOW_UP:
            sends += [(pk, FOLLOW_UP) for pk in _consultant_ids(question)]
        case Message.Kind.REPLY:
            sends.append((question.asker_id, ANSWERED))
        case Message.Kind.NOTE:
            return
    for recipient_id, event in sends:
        send_thread_mail.enqueue(
            question_id=question.pk, message_id=message.pk, recipient_id=recipient_id, event=event
        )


def notify_closed(question: Question) -> None:
    send_thread_mail.enqueue(
        question_id=question.pk, message_id=None, recipient_id=question.asker_id, event=CLOSED
    )
