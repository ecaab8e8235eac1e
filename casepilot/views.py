"""CasePilot's pages. Asking is one service call (casepilot.services.answer_stream); without
JavaScript the form posts here and the answer is the next page, with it the same form posts to
the stream endpoint and the answer is written in place. A signed-in asker's earlier answers open
only for them (anyone else gets 404)."""

import itertools
import json
from collections.abc import Iterator
from typing import Any

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.contrib import messages
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from casepilot import services
from casepilot.forms import AskForm, VoteForm, code_context
from casepilot.models import Question
from codeahead.ratelimit import rate_limit_hit

EXAMPLES = [
    ("Is 0439T an add-on code, and what do I report it with?", "cpt/0439T"),
    ("Can modifier 25 go on 99213?", "cpt/99213"),
    ("What replaced 0501T?", ""),
    ("What's the difference between 93306 and 93307?", ""),
    ("Which codes cover a laparoscopic gallbladder removal?", ""),
    ("Does E11.9 need an additional code?", ""),
]
HISTORY_SIZE = 50
TOO_FAST = "You have asked several questions in a short time; please wait a few minutes."


def _no_questions_left(allowance: services.QuestionAllowance) -> str:
    text = f"You have used this {allowance.period}'s CasePilot questions"
    if allowance.plan_slug == "guest":
        return text + ". Create a free account to ask more."
    if allowance.upgrade_helps:
        return text + ". Premium gives you more."
    return text + f"; they renew on {allowance.resets_on:%B %-d}."


def _too_fast(request: HttpRequest) -> bool:
    ip = get_adapter(request).get_client_ip(request)
    return rate_limit_hit(scope="casepilot-ip", key=ip, rate=settings.RATE_LIMIT_CASEPILOT)


def _page_context(
    request: HttpRequest, form: AskForm, allowance: services.QuestionAllowance | None = None
) -> dict[str, Any]:
    user = request.user
    raw = form["code"].value() or ""
    return {
        "form": form,
        "allowance": allowance or services.allowance_for(request),
        "examples": EXAMPLES,
        "history": list(Question.objects.for_asker(user)[:HISTORY_SIZE])
        if user.is_authenticated
        else None,
        "context_code": code_context(str(raw)),
    }


def _initial(request: HttpRequest) -> AskForm:
    """An unbound form, taking the code context from `?code=cpt/0439T` when it names one."""
    code = request.GET.get("code", "").replace(":", "/")[:24]
    form = AskForm(initial={"code": code, "question": request.GET.get("q", "")[:1000]})
    return form


def _ask_refusal(request: HttpRequest) -> tuple[str, int] | None:
    """Why a valid question may not be asked now (rate limit), else None."""
    if _too_fast(request):
        return TOO_FAST, 429
    return None


@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        form = _initial(request)
        return render(request, "casepilot/index.html", _page_context(request, form))
    form = AskForm(request.POST)
    status = 400
    allowance = None
    if form.is_valid():
        refusal = _ask_refusal(request)
        if refusal is None:
            try:
                answer = services.answer(
                    request=request,
                    question=form.cleaned_data["question"],
                    context=form.cleaned_data["code"],
                )
            except services.QuotaExhausted as exhausted:
                allowance = exhausted.allowance
                form.add_error(None, _no_questions_left(allowance))
                status = 403
            else:
                return render(
                    request,
                    "casepilot/answer.html",
                    {
                        "answer": answer,
                        "question": answer.stored,
                        "owned": request.user.is_authenticated,
                        "allowance": answer.allowance,
                        "form": AskForm(initial={"code": _code_field(answer.stored)}),
                    },
                )
        else:
            form.add_error(None, refusal[0])
            status = refusal[1]
    context = _page_context(request, form, allowance)
    return render(request, "casepilot/index.html", context, status=status)


def _code_field(question: Question) -> str:
    code = question.code
    return f"{code.code_set.slug}/{code.identifier}" if code else ""


def _errors(form: AskForm) -> list[str]:
    return [str(error) for errors in form.errors.values() for error in errors]


@require_POST
def stream(request: HttpRequest) -> HttpResponseBase:
    """The same question, answered as newline-delimited JSON: {"type": "text", "text": …} while
    it is written, then {"type": "done", "html": …} with the finished, sanitized answer. A refusal
    is one JSON object {"type": "error", "errors": […]} with its status."""
    form = AskForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"type": "error", "errors": _errors(form)}, status=400)
    refusal = _ask_refusal(request)
    if refusal is not None:
        return JsonResponse({"type": "error", "errors": [refusal[0]]}, status=refusal[1])
    items = services.answer_stream(
        request=request, question=form.cleaned_data["question"], context=form.cleaned_data["code"]
    )
    try:
        first = next(items)
    except services.QuotaExhausted as exhausted:
        message = _no_questions_left(exhausted.allowance)
        return JsonResponse({"type": "error", "errors": [message]}, status=403)
    owned = request.user.is_authenticated

    def events() -> Iterator[str]:
        for item in itertools.chain([first], items):
            if isinstance(item, services.Answer):
                html = render(
                    request,
                    "casepilot/includes/answer_body.html",
                    {"answer": item, "question": item.stored, "owned": owned},
                ).content.decode()
                yield json.dumps({"type": "done", "html": html}) + "\n"
            else:
                yield json.dumps({"type": "text", "text": item}) + "\n"

    response = StreamingHttpResponse(events(), content_type="application/x-ndjson")
    response["Cache-Control"] = "no-store"
    response["X-Accel-Buffering"] = "no"  # a proxy in front must not hold the answer back
    return response


def _own_question(request: HttpRequest, pk: int) -> Question:
    """The signed-in asker's question `pk`; 404 for anyone else's, a guest's, or none."""
    user = request.user
    question = (
        Question.objects.for_answer_page().filter(pk=pk, asker_id=user.pk).first()
        if user.is_authenticated
        else None
    )
    if question is None:
        raise Http404("No such question.")
    return question


def answer_page(request: HttpRequest, pk: int) -> HttpResponse:
    question = _own_question(request, pk)
    answer = services.Answer(
        question=question.question,
        html=question.answer_html,
        markdown=question.answer_markdown,
        sources=services.shown_sources(question),
        note=question.note,
        engine=question.engine,
        stored=question,
    )
    return render(
        request,
        "casepilot/answer.html",
        {
            "answer": answer,
            "question": question,
            "owned": True,
            "allowance": services.allowance_for(request),
            "form": AskForm(initial={"code": _code_field(question)}),
        },
    )


@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    question = _own_question(request, pk)
    services.question_delete(question=question)
    messages.success(request, "The question and its answer were deleted.")
    return redirect("casepilot:index")


@require_POST
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    question = _own_question(request, pk)
    form = VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose helpful or not helpful.")
        return redirect(question)
    services.question_vote(question=question, vote=form.cleaned_data["vote"])
    messages.success(request, "Thank you: your vote helps our editors improve the guidance.")
    return redirect(question)
