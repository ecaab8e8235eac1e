"""CaseConsultant: a member's question to our certified coders, its thread of messages, and the
log of replies that arrived by email.

A question is only ever read through `Question.objects.visible_to(user)`: its asker's own, or
every question for a consultant. Tracking numbers (CC-2026-000123) are sequential and so
guessable; they name a thread, they never open it.
"""

import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Case, Exists, OuterRef, Prefetch, Q, Value, When
from django.urls import reverse

from common.markup import render_markdown

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser, AnonymousUser

    from metering.viewers import MeteredAccount

# Codenames of this app's own permissions (Meta.permissions of Question).
WORK_DESK = "work_desk"
PUBLISH = "publish_question"

# A question waits this many business days (Monday to Friday) for its answer.
DUE_BUSINESS_DAYS = 2


NUMBER_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve",
)  # fmt: skip


def in_words(number: int) -> str:
    """A small count in words, as the copy says it ("ten"); digits from 13 on."""
    return NUMBER_WORDS[number] if 0 <= number < len(NUMBER_WORDS) else str(number)


def business_days_in_words(days: int) -> str:
    """ "two business days", as pages and mail promise it."""
    return f"{in_words(days)} business day{'' if days == 1 else 's'}"


ANSWER_TIME = business_days_in_words(DUE_BUSINESS_DAYS)


class QuestionQuerySet(models.QuerySet["Question"]):
    def visible_to(self, user: "AbstractUser | AnonymousUser") -> "QuestionQuerySet":
        """The questions `user` may open: every one for a consultant, their own for a member,
        none for anyone else."""
        if not user.is_authenticated:
            return self.none()
        if user.has_perm(f"caseconsultant.{WORK_DESK}"):
            return self
        return self.filter(asker_id=user.pk)

    def for_thread(self) -> "QuestionQuerySet":
        """Everything the thread page shows of a question but its messages."""
        return self.select_related("asker", "assignee").prefetch_related(
            Prefetch("codes", queryset=_codes_for_listing())
        )

    def for_asker(self, user: "AbstractUser") -> "QuestionQuerySet":
        """A member's questions, newest first (their list and the account page)."""
        return self.filter(asker_id=user.pk).order_by("-submitted_at")

    def with_overdue(self, now: datetime.datetime) -> "QuestionQuerySet":
        """Each with `is_overdue`: waiting for a consultant past its due time."""
        return self.annotate(
            is_overdue=Case(
                When(status=Question.Status.OPEN, due_at__lt=now, then=Value(True)),
                default=Value(False),
                output_field=models.BooleanField(),
            )
        )

    def for_desk(self, now: datetime.datetime) -> "QuestionQuerySet":
        """The desk's queue: the oldest due first, with asker, assignee and codes."""
        return (
            self.with_overdue(now)
            .select_related("asker", "assignee")
            .prefetch_related(Prefetch("codes", queryset=_codes_for_listing()))
            .order_by("due_at", "pk")
        )

    def desk_filtered(
        self,
        *,
        now: datetime.datetime,
        me: "MeteredAccount",
        status: str = "",
        assignee: str = "",
        due: str = "",
        code_set: str = "",
    ) -> "QuestionQuerySet":
        """The desk's queue under its filters (values of caseconsultant.forms.DeskFilterForm):
        status "waiting" (the default), "answered", "closed" or "all"; assignee "me", "nobody"
        or a consultant's id; due "overdue", "today" (before tomorrow, UTC) or "week"; a code
        set's slug."""
        queue = self.for_desk(now)
        match status or "waiting":
            case "waiting":
                queue = queue.filter(status=Question.Status.OPEN)
            case "answered":
                queue = queue.filter(status=Question.Status.ANSWERED)
            case "closed":
                queue = queue.filter(status=Question.Status.CLOSED)
        if assignee == "me":
            queue = queue.filter(assignee_id=me.pk)
        elif assignee == "nobody":
            queue = queue.filter(assignee__isnull=True)
        elif assignee:
            queue = queue.filter(assignee_id=int(assignee))
        if due:
            tomorrow = datetime.datetime.combine(
                now.astimezone(datetime.UTC).date() + datetime.timedelta(days=1),
                datetime.time(),
                tzinfo=datetime.UTC,
            )
            limit = {"overdue": now, "today": tomorrow, "week": now + datetime.timedelta(days=7)}
            queue = queue.filter(status=Question.Status.OPEN, due_at__lt=limit[due])
        if code_set:
            queue = queue.with_code_set(code_set)
        return queue

    def with_code_set(self, slug: str) -> "QuestionQuerySet":
        """Questions about at least one code of the set `slug`."""
        through = Question.codes.through
        return self.filter(
            Exists(through.objects.filter(question_id=OuterRef("pk"), code__code_set__slug=slug))
        )


def _codes_for_listing() -> Any:
    from codes.models import Code

    return Code.objects.for_listing().order_by("code_set__position", "identifier")


class Question(models.Model):
    """A member's question and the state of its thread."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a consultant"
        ANSWERED = "answered", "Answered"
        CLOSED = "closed", "Closed"

    class Setting(models.TextChoices):
        PROFESSIONAL = "professional", "Professional (physician or other clinician)"
        OUTPATIENT = "outpatient", "Outpatient facility"
        INPATIENT = "inpatient", "Inpatient"

    class Payer(models.TextChoices):
        MEDICARE = "medicare", "Medicare"
        MEDICARE_ADVANTAGE = "medicare_advantage", "Medicare Advantage"
        MEDICAID = "medicaid", "Medicaid"
        COMMERCIAL = "commercial", "Commercial insurance"
        TRICARE = "tricare", "TRICARE or VA"
        WORKERS_COMP = "workers_comp", "Workers' compensation"
        SELF_PAY = "self_pay", "Self-pay"
        OTHER = "other", "Other or not sure"

    tracking = models.CharField(
        max_length=20, unique=True, editable=False, help_text="CC-<year>-<number>."
    )
    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consultant_questions"
    )
    subject = models.CharField(max_length=150)
    setting = models.CharField(max_length=20, choices=Setting)
    payer_type = models.CharField(max_length=20, choices=Payer)
    codes = models.ManyToManyField(
        "codes.Code", blank=True, related_name="+", help_text="Codes the question is about."
    )
    status = models.CharField(max_length=10, choices=Status, default=Status.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_consultant_questions",
        help_text="The consultant answering it.",
    )
    submitted_at = models.DateTimeField()
    due_at = models.DateTimeField(
        help_text="Two business days after it last started waiting for a consultant."
    )
    last_activity_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The asker's rating of the answer, 1 to 5."
    )
    published_sections = models.ManyToManyField(
        "codes.ContentSection",
        blank=True,
        related_name="+",
        help_text="Consultant Q&A sections made from this thread.",
    )

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ("-submitted_at",)
        permissions: ClassVar = [
            (WORK_DESK, "Can work in the consultants' desk"),
            (PUBLISH, "Can publish a thread as a Consultant Q&A section"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="caseconsultant_question_rating_range",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "answered", "closed"]),
                name="caseconsultant_question_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(status="closed"),
                name="caseconsultant_question_closed_at_only_closed",
            ),
        ]
        indexes: ClassVar = [
            # The desk: the queue by status, oldest due first.
            models.Index(fields=("status", "due_at"), name="cc_question_status_due_idx"),
            # A member's list and the account page.
            models.Index(fields=("asker", "-submitted_at"), name="cc_question_asker_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.tracking}: {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("caseconsultant:thread", args=[self.tracking])

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class MessageQuerySet(models.QuerySet["Message"]):
    def for_thread(self, *, internal: bool) -> "MessageQuerySet":
        """A thread's messages in order; internal notes only when `internal` (consultants)."""
        messages = self.select_related("author").order_by("created_at", "pk")
        return messages if internal else messages.exclude(kind=Message.Kind.NOTE)


class Message(models.Model):
    """One entry of a thread: the question, a follow-up, a consultant's reply or an internal
    note (which only consultants ever see)."""

    class Kind(models.TextChoices):
        QUESTION = "question", "Question"
        FOLLOW_UP = "follow_up", "Follow-up"
        REPLY = "reply", "Consultant's answer"
        NOTE = "note", "Internal note"

    class Via(models.TextChoices):
        WEB = "web", "the website"
        EMAIL = "email", "email"

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind)
    via = models.CharField(max_length=5, choices=Via, default=Via.WEB)
    body_markdown = models.TextField("body", help_text="Markdown; raw HTML is removed.")
    body_html = models.TextField(editable=False, help_text="Sanitized HTML rendered on save.")
    created_at = models.DateTimeField()

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ("created_at", "pk")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(kind__in=["question", "follow_up", "reply", "note"]),
                name="caseconsultant_message_kind_valid",
            ),
        ]
        indexes: ClassVar = [
            # The thread page: a question's messages in order.
            models.Index(fields=("question", "created_at"), name="cc_message_thread_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.question_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.body_html = render_markdown(self.body_markdown)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return f"{self.question.get_absolute_url()}#message-{self.pk}"

    @property
    def is_note(self) -> bool:
        return self.kind == self.Kind.NOTE


class InboundMail(models.Model):
    """A reply that arrived by email, and what became of it. The body is never kept here: a
    refused mail may hold what must not be stored."""

    class Outcome(models.TextChoices):
        ADDED = "added", "Added to the thread"
        REFUSED = "refused", "Refused"

    event_id = models.CharField(
        max_length=100, unique=True, help_text="The provider's id of the delivery (Mailgun token)."
    )
    received_at = models.DateTimeField()
    sender = models.CharField(max_length=254)
    recipient = models.CharField(max_length=254)
    outcome = models.CharField(max_length=8, choices=Outcome)
    reason = models.CharField(max_length=200, blank=True)
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("-received_at",)
        verbose_name = "inbound mail"
        verbose_name_plural = "inbound mail"

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M} {self.sender}: {self.get_outcome_display()}"

    def get_absolute_url(self) -> str:
        return reverse("admin:caseconsultant_inboundmail_change", args=[self.pk])
