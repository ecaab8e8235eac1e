"""CasePilot's rules: who may ask, what an answer is made of, what is kept.

`answer_stream()` is the whole of asking: the per-plan quota is charged (one conditional
statement in the database, metering.questions), the passages the asker may read are retrieved,
the engine writes, the answer is finished (casepilot/finish.py: only codes that exist, linked)
and stored. The question has passed the patient-identifier guard before it gets here (the form);
a refused question reaches none of this.

The quota is charged in its own short transaction before the engine runs, so a model that takes
its time holds no lock; every charged question gets an answer (a failing model falls back to the
default engine), so no question is counted without being answered.
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.http import HttpRequest

from casepilot.engines import Draft, current_engine
from casepilot.finish import SourceLink, finish
from casepilot.models import Question, Source
from casepilot.retrieval import retrieve
from codes.models import Code
from metering.models import QuestionQuota
from metering.questions import QuestionAllowance, asker_allowance, question_charge_viewer
from metering.viewers import Viewer, viewer_for

PRODUCT = QuestionQuota.Product.CASEPILOT


class QuotaExhausted(Exception):
    """No CasePilot question left this period; `allowance` says where the asker stands."""

    def __init__(self, allowance: QuestionAllowance) -> None:
        super().__init__("no CasePilot question left")
        self.allowance = allowance


@dataclass(frozen=True, slots=True)
class ShownSource:
    number: int
    label: str
    url: str


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    html: str
    markdown: str
    sources: list[ShownSource]
    note: str
    engine: str
    stored: Question
    allowance: QuestionAllowance | None = None  # where the asker stands after asking


def allowance_for(request: HttpRequest) -> QuestionAllowance:
    """Where the request's asker stands this period (one query)."""
    return asker_allowance(viewer=viewer_for(request), product=PRODUCT)


def question_charge(*, viewer: Viewer) -> QuestionAllowance:
    """Count one question against the asker's plan allowance, or raise QuotaExhausted."""
    allowance = question_charge_viewer(viewer=viewer, product=PRODUCT)
    if allowance is None:
        raise QuotaExhausted(asker_allowance(viewer=viewer, product=PRODUCT))
    return allowance


def answer_stream(
    *, request: HttpRequest, question: str, context: Code | None, stream: bool = True
) -> Iterator[str | Answer]:
    """Charge, retrieve, write and keep an answer: yields the text as it is written, then the
    Answer. Raises QuotaExhausted before anything else when no question is left."""
    started = time.monotonic()
    viewer = viewer_for(request, create_guest=True)
    allowance = question_charge(viewer=viewer)
    retrieved = retrieve(viewer=viewer, question=question, context=context)
    draft: Draft | None = None
    for item in current_engine().answer_stream(retrieved, stream=stream):
        if isinstance(item, Draft):
            draft = item
        else:
            yield item
    assert draft is not None
    links = [
        SourceLink(number=number, url=passage.url)
        for number, passage in enumerate(draft.sources, start=1)
    ]
    finished = finish(draft.markdown, sources=links, from_model=draft.engine == Question.Engine.LLM)
    user = request.user
    with transaction.atomic():
        stored = Question.objects.create(
            asker=user if user.is_authenticated else None,
            code=context,
            question=question,
            answer_markdown=finished.markdown,
            engine=draft.engine,
            model=draft.model,
            note=draft.note,
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        Source.objects.bulk_create(
            Source(
                question=stored,
                number=number,
                code=passage.code,
                anchor=passage.anchor,
                label=passage.label[:200],
            )
            for number, passage in enumerate(draft.sources, start=1)
        )
    yield Answer(
        question=question,
        html=stored.answer_html,
        markdown=stored.answer_markdown,
        sources=[
            ShownSource(number=n, label=p.label, url=p.url)
            for n, p in enumerate(draft.sources, start=1)
        ],
        note=draft.note,
        engine=draft.engine,
        stored=stored,
        allowance=allowance,
    )


def answer(*, request: HttpRequest, question: str, context: Code | None) -> Answer:
    """The whole answer at once (the form without JavaScript, the judged set)."""
    for item in answer_stream(request=request, question=question, context=context, stream=False):
        if isinstance(item, Answer):
            return item
    raise AssertionError("the answer stream ended without an answer")


def shown_sources(question: Question) -> list[ShownSource]:
    return [
        ShownSource(number=s.number, label=s.label, url=s.get_absolute_url())
        for s in question.sources.all()
    ]


def question_delete(*, question: Question) -> None:
    question.delete()


def question_vote(*, question: Question, vote: str) -> None:
    Question.objects.filter(pk=question.pk).update(vote=vote)
