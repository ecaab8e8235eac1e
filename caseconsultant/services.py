"""CaseConsultant's rules: asking, following up, answering, notes, claiming, closing, rating and
publishing. Each is one transaction; each step that someone should hear about enqueues its mail
in that same transaction (caseconsultant.notify), so a step that rolls back sends nothing and a
step that commits is never left without its mail, whether or not a worker runs right now.
"""

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from caseconsultant.access import is_consultant
from caseconsultant.models import DUE_BUSINESS_DAYS, Message, Question
from caseconsultant.notify import notify_closed, notify_message
from codes.models import Code, ContentSection
from common.identifiers import patient_identifiers, refusal_message
from metering.questions import question_charge

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser

    from metering.viewers import MeteredAccount


class QuotaExhausted(Exception):
    """The account has no question left this period."""


class IdentifiersFound(ValueError):
    """The text seems to identify a patient: it is refused and nothing is stored."""


def due_after(
    start: datetime.datetime, *, business_days: int = DUE_BUSINESS_DAYS
) -> datetime.datetime:
    """`business_days` business days after `start`, in UTC, weekends skipped.

    From a weekday the due time keeps the time of day (Friday 15:00 -> Tuesday 15:00); a question
    sent on a weekend starts waiting on Monday at 00:00 (Saturday -> Wednesday 00:00).
    """
    moment = start.astimezone(datetime.UTC)
    if moment.weekday() >= 5:
        moment = (moment + datetime.timedelta(days=7 - moment.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
    left = business_days
    while left:
        moment += datetime.timedelta(days=1)
        if moment.weekday() < 5:
            left -= 1
    return moment


def _refuse_identifiers(*texts: str) -> None:
    kinds = [kind for text in texts for kind in patient_identifiers(text)]
    if kinds:
        raise IdentifiersFound(refusal_message(list(dict.fromkeys(kinds))))


def _next_tracking(now: datetime.datetime) -> tuple[int, str]:
    """The new question's id, taken from its sequence first so that its tracking number
    (CC-<year>-<id, six digits at least>) is written with it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('caseconsultant_question', 'id'))")
        row = cursor.fetchone()
    assert row is not None
    pk = int(row[0])
    return pk, f"CC-{now.astimezone(datetime.UTC).year}-{pk:06d}"


@transaction.atomic
def question_submit(
    *,
    asker: "MeteredAccount",
    subject: str,
    body: str,
    codes: list[Code],
    setting: str,
    payer_type: str,
    now: datetime.datetime | None = None,
) -> Question:
    """Store a member's question, counted against their plan's allowance, and tell them and the
    consultants. Refused whole (nothing stored, nothing counted) when the text seems to identify
    a patient (IdentifiersFound) or no question is left this period (QuotaExhausted)."""
    _refuse_identifiers(subject, body)
    now = now or timezone.now()
    if not question_charge(account=asker):
        raise QuotaExhausted
    pk, tracking = _next_tracking(now)
    question = Question.objects.create(
        pk=pk,
        tracking=tracking,
        asker_id=asker.pk,
        subject=subject,
        setting=setting,
        payer_type=payer_type,
        submitted_at=now,
        due_at=due_after(now),
        last_activity_at=now,
    )
    question.codes.set(codes)
    message = Message.objects.create(
        question=question, author_id=asker.pk, kind=Message.Kind.QUESTION, body_markdown=body,
        created_at=now,
    )  # fmt: skip
    notify_message(message)
    return question


@transaction.atomic
def question_follow_up(
    *,
    question: Question,
    asker: "MeteredAccount",
    body: str,
    via: str = Message.Via.WEB,
    now: datetime.datetime | None = None,
) -> Message:
    """The asker adds to their question: it waits for a consultant again (a closed one is
    reopened), due DUE_BUSINESS_DAYS business days from now."""
    _refuse_identifiers(body)
    now = now or timezone.now()
    locked = Question.objects.select_for_update().get(pk=question.pk)
    message = Message.objects.create(
        question=locked, author_id=asker.pk, kind=Message.Kind.FOLLOW_UP, via=via,
        body_markdown=body, created_at=now,
    )  # fmt: skip
    locked.status = Question.Status.OPEN
    locked.closed_at = None
    locked.due_at = due_after(now)
    locked.last_activity_at = now
    locked.save(update_fields=["status", "closed_at", "due_at", "last_activity_at"])
    notify_message(message)
    return message


@transaction.atomic
def question_reply(
    *,
    question: Question,
    consultant: "MeteredAccount",
    body: str,
    internal: bool = False,
    via: str = Message.Via.WEB,
    now: datetime.datetime | None = None,
) -> Message:
    """A consultant answers (the asker is told) or leaves an internal note (nobody is told, and
    the asker never sees it). Answering an unclaimed question claims it."""
    _refuse_identifiers(body)
    now = now or timezone.now()
    locked = Question.objects.select_for_update().get(pk=question.pk)
    kind = Message.Kind.NOTE if internal else Message.Kind.REPLY
    message = Message.objects.create(
        question=locked, author_id=consultant.pk, kind=kind, via=via, body_markdown=body,
        created_at=now,
    )  # fmt: skip
    if not internal:
        locked.status = Question.Status.ANSWERED
        locked.closed_at = None
        locked.last_activity_at = now
        if locked.assignee_id is None:
            locked.assignee_id = consultant.pk
        locked.save(update_fields=["status", "closed_at", "last_activity_at", "assignee"])
        notify_message(message)
    return message


def question_claim(*, question: Question, consultant: "MeteredAccount") -> bool:
    """Take an unclaimed question. False when another consultant was first: a conditional
    update, so two consultants claiming at once never both think it is theirs."""
    return bool(
        Question.objects.filter(pk=question.pk, assignee__isnull=True).update(assignee=consultant)
    )


def question_assign(*, question: Question, assignee: "AbstractUser | None") -> None:
    """Give the question to a consultant, or to nobody."""
    if assignee is not None and not is_consultant(assignee):
        raise ValueError(f"{assignee} is not a consultant")
    Question.objects.filter(pk=question.pk).update(assignee=assignee)


@transaction.atomic
def question_close(*, question: Question, now: datetime.datetime | None = None) -> None:
    """Close the thread and tell the asker; a follow-up reopens it."""
    now = now or timezone.now()
    updated = Question.objects.filter(pk=question.pk).exclude(status=Question.Status.CLOSED)
    if updated.update(status=Question.Status.CLOSED, closed_at=now, last_activity_at=now):
        notify_closed(question)  # reads only the question's id and its asker's


def question_can_rate(*, question: Question, thread: list[Message] | None = None) -> bool:
    """The asker may rate once a consultant has answered, whatever the status since (a
    follow-up reopens the question and the answer stays rateable; closing without an answer
    leaves nothing to rate). `thread`, the messages already read for the page, spares a query."""
    if thread is not None:
        return any(message.kind == Message.Kind.REPLY for message in thread)
    return question.messages.filter(kind=Message.Kind.REPLY).exists()


def question_rate(*, question: Question, rating: int) -> None:
    """The asker's rating of the answer, 1 to 5 (the database refuses anything else)."""
    Question.objects.filter(pk=question.pk).update(rating=rating)


@dataclass(frozen=True, slots=True)
class Publication:
    sections: list[ContentSection]


@transaction.atomic
def question_publish(
    *, question: Question, title: str, body: str, codes: list[Code]
) -> Publication:
    """A premium "Consultant Q&A" section on each of `codes`, made of the edited, de-identified
    `title` and `body` (checked by the patient-identifier guard). The thread stays private."""
    _refuse_identifiers(title, body)
    allowed = {code.pk for code in question.codes.all()}
    if not codes or any(code.pk not in allowed for code in codes):
        raise ValueError("publish on the question's own codes")
    positions = dict(
        ContentSection.objects.filter(code__in=codes)
        .values("code")
        .annotate(last=Max("position"))
        .values_list("code", "last")
    )
    sections = [
        ContentSection.objects.create(
            code=code,
            kind=ContentSection.Kind.CONSULTANT_QA,
            title=title,
            position=(positions.get(code.pk) or 0) + 1,
            access=ContentSection.Access.PREMIUM,
            body_markdown=body,
        )
        for code in codes
    ]
    question.published_sections.add(*sections)
    return Publication(sections)


def publication_draft(*, question: Question, thread: list[Message]) -> str:
    """A first draft of the published section: the question and the consultants' answers, for
    the consultant to edit into a general, de-identified text."""
    parts = []
    for message in thread:
        if message.kind in {Message.Kind.QUESTION, Message.Kind.FOLLOW_UP}:
            parts.append("**Question:** " + message.body_markdown.strip())
        elif message.kind == Message.Kind.REPLY:
            parts.append("**Answer:** " + message.body_markdown.strip())
    return "\n\n".join(parts)
