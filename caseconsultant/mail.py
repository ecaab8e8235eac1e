"""The mail of a thread step, written for one recipient: plain text and HTML, a link to the
thread, a signed reply address, and headers that keep a thread's mail together in the
recipient's mail program. Internal notes are never written into mail."""

from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from caseconsultant.addresses import reply_address
from caseconsultant.models import ANSWER_TIME, Message, Question
from common.mail import templated_email

# Everything below this line in a reply is the quoted history (caseconsultant.inbound cuts it).
REPLY_ABOVE = "-- Reply above this line to add to the thread --"


@dataclass(frozen=True, slots=True)
class Wording:
    subject: str
    intro: str


WORDING = {
    "received": Wording(
        "We received your question",
        "Thank you: your question reached our certified coders. You will hear from us by email "
        f"when they answer, within {ANSWER_TIME}.",
    ),
    "new_question": Wording(
        "New question",
        "A member asked a new question. Claim it in the desk to answer it.",
    ),
    "follow_up": Wording("Follow-up", "The member added a follow-up to their question."),
    "answered": Wording(
        "Answer to your question",
        "A certified coder answered your question. If something is unclear, reply to this email "
        "or add a follow-up on the thread.",
    ),
    "closed": Wording(
        "Your question is closed",
        "Your question is closed. If you need more, add a follow-up on the thread and it opens "
        "again.",
    ),
}


def thread_email(
    *, question: Question, message: Message | None, recipient_id: int, email: str, event: str
) -> EmailMultiAlternatives:
    if message is not None and message.kind == Message.Kind.NOTE:
        raise ValueError("internal notes are never mailed")
    wording = WORDING[event]
    reply_to = reply_address(question_id=question.pk, user_id=recipient_id)
    domain = settings.SITE_DOMAIN
    context = {
        "question": question,
        "message": message,
        "intro": wording.intro,
        "author": "You" if message and message.author_id == recipient_id else None,
        "thread_url": settings.SITE_URL + question.get_absolute_url(),
        "desk_url": settings.SITE_URL + reverse("caseconsultant:desk"),
        "for_consultant": event in {"new_question", "follow_up"},
        "reply_by_email": reply_to is not None,
        "reply_above": REPLY_ABOVE,
    }
    subject = f"[{question.tracking}] {wording.subject}: {question.subject}"
    thread_id = f"<cc.{question.tracking.lower()}@{domain}>"
    step = message.pk if message is not None else "closed"
    return templated_email(
        template="caseconsultant/email/thread_step",
        context=context,
        to=[email],
        subject=subject,
        reply_to=[reply_to] if reply_to else None,
        headers={
            # One id per step and recipient: a mail delivered twice is recognisable as such.
            "Message-ID": f"<cc.{question.tracking.lower()}.{step}.{recipient_id}@{domain}>",
            "In-Reply-To": thread_id,
            "References": thread_id,
            "X-CodeAhead-Thread": question.tracking,
        },
    )
