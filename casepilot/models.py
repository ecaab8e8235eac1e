"""What CasePilot keeps: each question answered, its answer, the sources it cited and the asker's
vote. A signed-in asker sees and deletes their own; a guest's question is kept without any link to
the guest (editors still see what was asked, to find gaps in the content). A question refused by
the patient-identifier guard is never stored."""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from common.markup import render_markdown


class QuestionQuerySet(models.QuerySet["Question"]):
    def for_asker(self, user: object) -> "QuestionQuerySet":
        """An account's own questions, newest first, with what its history list prints."""
        return (
            self.filter(asker=user)
            .select_related("code__code_set")
            .only(
                "question",
                "created_at",
                "vote",
                "code__identifier",
                "code__code_set__slug",
                "code__code_set__name",
                "asker_id",
            )
            .order_by("-created_at", "-id")
        )

    def for_answer_page(self) -> "QuestionQuerySet":
        return self.select_related("code__code_set").prefetch_related("sources__code__code_set")


class Question(models.Model):
    """One question and its answer."""

    class Engine(models.TextChoices):
        RETRIEVAL = "retrieval", "Retrieval (no network)"
        LLM = "llm", "OpenAI-compatible model"
        FALLBACK = "fallback", "Retrieval after a model failure"

    class Vote(models.TextChoices):
        NONE = "", "No vote"
        HELPFUL = "helpful", "Helpful"
        NOT_HELPFUL = "not_helpful", "Not helpful"

    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,  # deleting an account deletes its questions
        related_name="casepilot_questions",
        help_text="Empty for a guest's question: guests keep no history.",
    )
    code = models.ForeignKey(
        "codes.Code",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The code page the question was asked from, if any.",
    )
    question = models.TextField()
    answer_markdown = models.TextField(help_text="The answer as composed, code links included.")
    answer_html = models.TextField(editable=False, help_text="Sanitized HTML rendered on save.")
    engine = models.CharField(max_length=10, choices=Engine, default=Engine.RETRIEVAL)
    model = models.CharField(max_length=120, blank=True, help_text="The model that wrote it.")
    note = models.CharField(
        max_length=300, blank=True, help_text="Shown above the answer, e.g. why it fell back."
    )
    vote = models.CharField(max_length=12, choices=Vote, default=Vote.NONE, blank=True)
    duration_ms = models.PositiveIntegerField(default=0, help_text="Time to answer.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(vote__in=["", "helpful", "not_helpful"]),
                name="casepilot_question_vote_valid",
            ),
            models.CheckConstraint(condition=~Q(question=""), name="casepilot_question_not_empty"),
        ]
        indexes: ClassVar = [
            # The history on /casepilot/: one account's questions, newest first.
            models.Index(fields=("asker", "-created_at"), name="casepilot_question_asker_idx"),
        ]

    def __str__(self) -> str:
        return self.question[:80]

    def save(self, *args: object, **kwargs: object) -> None:
        self.answer_html = render_markdown(self.answer_markdown)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_absolute_url(self) -> str:
        return reverse("casepilot:answer", args=[self.pk])


class Source(models.Model):
    """One numbered source an answer cites: a code page, or a part of it (a section anchor)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="sources")
    number = models.PositiveSmallIntegerField(help_text="The [n] the answer cites it by.")
    code = models.ForeignKey("codes.Code", on_delete=models.CASCADE, related_name="+")
    anchor = models.CharField(
        max_length=40, blank=True, help_text="Part of the page: section-3, official-notes…"
    )
    label = models.CharField(max_length=200)

    class Meta:
        ordering = ("question", "number")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=("question", "number"), name="casepilot_source_unique_number"
            ),
        ]
        indexes: ClassVar = [
            # The admin's filter of questions by cited code.
            models.Index(fields=("code",), name="casepilot_source_code_idx"),
        ]

    def __str__(self) -> str:
        return f"[{self.number}] {self.label}"

    def get_absolute_url(self) -> str:
        url = self.code.get_absolute_url()
        return f"{url}#{self.anchor}" if self.anchor else url
