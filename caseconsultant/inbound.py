"""Replies by email. Mailgun forwards each mail sent to a reply address of ours to Anymail's
inbound webhook (/anymail/mailgun/inbound/), which checks Mailgun's signature (an HMAC of the
timestamp and token with our webhook signing key; a bad one is answered 400 and logged by
Django's security logger) and hands the parsed message here.

A reply is added to its thread only when all of these hold, else it is refused and logged (a row
of InboundMail without the text, and a warning):
- it was sent to a genuine signed reply address (caseconsultant.addresses);
- it comes from the address of the account that address was made for;
- that account may still take part (the asker, or a consultant);
- the thread is open, or closed for less than 30 days;
- it has text once the quoted history is cut;
- the text passes the patient-identifier guard (the sender is told why it was refused).
A delivery Mailgun sends again (same token) is ignored.
"""

import datetime
import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any

from anymail.inbound import AnymailInboundMessage
from anymail.signals import AnymailInboundEvent, inbound
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import timezone

from caseconsultant.access import is_consultant
from caseconsultant.addresses import parse_reply_address
from caseconsultant.mail import REPLY_ABOVE
from caseconsultant.models import InboundMail, Message, Question
from caseconsultant.services import IdentifiersFound, question_follow_up, question_reply
from common.tasks import send_email

logger = logging.getLogger(__name__)

# A closed thread takes replies by email for this long; after it, a new question is needed.
CLOSED_REPLY_DAYS = 30

# Where the quoted history of a reply begins: our own marker, "On <date>, <someone> wrote:",
# Outlook's header block, or a line of ">" quotes.
_QUOTE_STARTS = [
    re.compile(re.escape(REPLY_ABOVE)),
    re.compile(r"^\s*On\b.{0,200}\bwrote:\s*$", re.MULTILINE | re.DOTALL),
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}", re.MULTILINE | re.IGNORECASE),
    re.compile(r"^\s*From:\s.+\n\s*(Sent|Date):\s", re.MULTILINE),
    re.compile(r"^\s*>", re.MULTILINE),
]
_SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)


def strip_quoted(text: str) -> str:
    """The new part of a reply: everything before its quoted history and signature."""
    cut = len(text)
    for pattern in [*_QUOTE_STARTS, _SIGNATURE]:
        match = pattern.search(text)
        if match is not None:
            cut = min(cut, match.start())
    return text[:cut].strip()


@dataclass(frozen=True, slots=True)
class Outcome:
    added: Message | None
    reason: str = ""


def _our_address(message: AnymailInboundMessage) -> tuple[str, tuple[int, int] | None]:
    candidates = [message.envelope_recipient or ""]
    candidates += [address.addr_spec for address in [*message.to, *message.cc]]
    for address in candidates:
        parsed = parse_reply_address(address) if address else None
        if parsed is not None:
            return address, parsed
    return next((address for address in candidates if address), ""), None


def inbound_reply(
    *, message: AnymailInboundMessage, event_id: str, now: datetime.datetime | None = None
) -> Outcome:
    """Add the reply `message` to its thread, or refuse it (see the module docstring)."""
    now = now or timezone.now()
    event_id = event_id or f"no-id-{uuid.uuid4().hex}"
    sender = message.from_email.addr_spec if message.from_email else ""
    recipient, parsed = _our_address(message)
    record: dict[str, Any] = {
        "event_id": event_id[:100],
        "received_at": now,
        "sender": sender[:254],
        "recipient": recipient[:254],
    }
    if InboundMail.objects.filter(event_id=record["event_id"]).exists():
        return Outcome(None, "already received")

    def refuse(reason: str, question: Question | None = None) -> Outcome:
        logger.warning(
            "inbound mail %s from %s to %s refused: %s", event_id, sender, recipient, reason
        )
        _record(record | {"outcome": InboundMail.Outcome.REFUSED, "reason": reason,
                          "question": question})  # fmt: skip
        return Outcome(None, reason)

    if parsed is None:
        return refuse("not sent to a signed reply address")
    question_id, user_id = parsed
    question = Question.objects.filter(pk=question_id).first()
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if question is None or user is None:
        return refuse("the thread or the account no longer exists")
    if sender.lower() != user.email.lower():
        return refuse("the sender is not the account this address was made for", question)
    asker = question.asker_id == user.pk
    if not asker and not is_consultant(user):
        return refuse("the account no longer takes part in this thread", question)
    if (
        question.is_closed
        and question.closed_at is not None
        and question.closed_at < now - datetime.timedelta(days=CLOSED_REPLY_DAYS)
    ):
        return refuse(f"the thread was closed more than {CLOSED_REPLY_DAYS} days ago", question)
    text = strip_quoted(message.stripped_text or message.text or "")
    if not text:
        return refuse("no text above the quoted history", question)
    try:
        with transaction.atomic():
            if asker:
                added = question_follow_up(
                    question=question, asker=user, body=text, via=Message.Via.EMAIL, now=now
                )
            else:
                added = question_reply(
                    question=question, consultant=user, body=text, via=Message.Via.EMAIL, now=now
                )
            _record(record | {"outcome": InboundMail.Outcome.ADDED, "question": question,
                              "message": added})  # fmt: skip
    except IdentifiersFound as refusal:
        send_email.enqueue(
            subject=f"[{question.tracking}] Your reply was not added",
            body=f"Your email reply to {question.tracking} was not added to the thread.\n\n"
            f"{refusal}\n\nOpen the thread: {settings.SITE_URL}{question.get_absolute_url()}",
            to=[user.email],
        )
        return refuse("patient identifiers", question)
    except IntegrityError:  # the same delivery, handled by a parallel request meanwhile
        return Outcome(None, "already received")
    logger.info("inbound mail %s added to %s", event_id, question.tracking)
    return Outcome(added)


def _record(fields: dict[str, Any]) -> None:
    InboundMail.objects.create(**fields)


@receiver(inbound, dispatch_uid="caseconsultant.inbound_reply")
def receive_reply(sender: Any, event: AnymailInboundEvent, esp_name: str, **kwargs: Any) -> None:
    inbound_reply(message=event.message, event_id=event.event_id or "")
