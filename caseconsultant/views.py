"""CaseConsultant's pages. Threads open only through caseconsultant.access (404 for anyone but
the asker and consultants); every change is one service call; mail is left to the worker."""

from typing import TYPE_CHECKING, Any

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from caseconsultant import services
from caseconsultant.access import can_publish, consultants, is_consultant, question_or_404
from caseconsultant.forms import (
    AskForm,
    AssignForm,
    DeskFilterForm,
    FollowUpForm,
    PublishForm,
    RateForm,
    ReplyForm,
)
from caseconsultant.models import ANSWER_TIME, Message, Question
from codeahead.ratelimit import rate_limit_hit
from metering.questions import question_allowance

if TYPE_CHECKING:
    from metering.viewers import MeteredAccount

DESK_PAGE_SIZE = 50


def _member(request: HttpRequest) -> "MeteredAccount":
    """The signed-in account of a request that required one."""
    user = request.user
    assert user.is_authenticated
    return user


def index(request: HttpRequest) -> HttpResponse:
    """A member's questions and what they may still ask; guests are invited to register."""
    user = request.user
    if not user.is_authenticated:
        return render(request, "caseconsultant/invite.html", {"answer_time": ANSWER_TIME})
    return render(
        request,
        "caseconsultant/index.html",
        {
            "questions": Question.objects.for_asker(user),
            "allowance": question_allowance(account=_member(request)),
            "is_consultant": is_consultant(user),
            "answer_time": ANSWER_TIME,
        },
    )


def _too_fast(request: HttpRequest) -> bool:
    """Questions and follow-ups a member (and an address) may send in a short time, whatever the
    monthly quota (codeahead/ratelimit.py)."""
    user_key = str(request.user.pk)
    ip_key = get_adapter(request).get_client_ip(request)
    over_user = rate_limit_hit(
        scope="consultant", key=user_key, rate=settings.RATE_LIMIT_CONSULTANT
    )
    over_ip = rate_limit_hit(
        scope="consultant-ip", key=ip_key, rate=settings.RATE_LIMIT_CONSULTANT_IP
    )
    return over_user or over_ip


TOO_FAST = (
    "You have sent several messages in a short time; please wait a few minutes and try again."
)


@require_http_methods(["GET", "POST"])
def ask(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return render(request, "caseconsultant/invite.html", {"answer_time": ANSWER_TIME})
    allowance = question_allowance(account=_member(request))
    form = AskForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and _too_fast(request):
        form.add_error(None, TOO_FAST)
        return render(request, "caseconsultant/ask.html", {"form": form, "allowance": allowance},
                      status=429)  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            question = services.question_submit(
                asker=_member(request),
                subject=data["subject"],
                body=data["question"],
                codes=data["codes"],
                setting=data["setting"],
                payer_type=data["payer_type"],
            )
        except services.QuotaExhausted:
            form.add_error(None, "You have no question left this " + allowance.period + ".")
        except services.IdentifiersFound as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request,
                f"Question {question.tracking} sent. We emailed you a copy; our certified coders "
                f"answer within {ANSWER_TIME}.",
            )
            return redirect(question)
    return render(
        request,
        "caseconsultant/ask.html",
        {"form": form, "allowance": allowance},
        status=400 if form.errors else 200,
    )


def _entries(question: Question, *, viewer_is_asker: bool, internal: bool) -> list[Message]:
    """The thread's messages, each with `author_label`: the asker is "You" to themselves, a
    consultant is "CodeAhead consultant" to the asker; consultants see addresses."""
    entries = list(Message.objects.filter(question=question).for_thread(internal=internal))
    for entry in entries:
        by_asker = entry.author_id == question.asker_id
        if viewer_is_asker:
            label = "You" if by_asker else "CodeAhead consultant"
        else:
            label = entry.author.email if entry.author else ""
        entry.author_label = label  # type: ignore[attr-defined]
    return entries


def _thread(
    request: HttpRequest, question: Question, status: int = 200, **forms: Form
) -> HttpResponse:
    """The thread page, with any of its forms bound and showing errors."""
    user = request.user
    consultant = is_consultant(user)
    asker = question.asker_id == user.pk
    context: dict[str, Any] = {
        "question": question,
        "thread": _entries(question, viewer_is_asker=asker, internal=consultant),
        "codes": list(question.codes.all()),
        "is_consultant": consultant,
        "is_asker": asker,
        "now": timezone.now(),
    }
    if asker:
        context["follow_up_form"] = forms.get("follow_up") or FollowUpForm()
        context["rate_form"] = forms.get("rate") or RateForm(initial={"rating": question.rating})
        context["can_rate"] = services.question_can_rate(
            question=question, thread=context["thread"]
        )
    if consultant:
        context["reply_form"] = forms.get("reply") or ReplyForm()
        context["assign_form"] = AssignForm(
            consultants=consultants(), initial={"assignee": question.assignee_id}
        )
        context["can_publish"] = can_publish(user) and bool(question.codes.all())
        context["is_overdue"] = (
            question.status == Question.Status.OPEN and question.due_at < context["now"]
        )
    return render(request, "caseconsultant/thread.html", context, status=status)


def thread(request: HttpRequest, tracking: str) -> HttpResponse:
    return _thread(request, question_or_404(request, tracking))


def _asked_by_user(request: HttpRequest, tracking: str) -> Question:
    # The asker's actions change the question and redirect: none reads what the page shows.
    question = question_or_404(request, tracking, for_thread=False)
    if question.asker_id != request.user.pk:
        raise Http404("No such question.")
    return question


def _for_consultant(request: HttpRequest, tracking: str, *, for_thread: bool = False) -> Question:
    """The question for a consultant's action; what the thread page shows only when asked."""
    if not is_consultant(request.user):
        raise Http404("No such question.")
    return question_or_404(request, tracking, for_thread=for_thread)


@require_POST
def follow_up(request: HttpRequest, tracking: str) -> HttpResponse:
    question = _asked_by_user(request, tracking)
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        return _thread(request, question, status=400, follow_up=form)
    if _too_fast(request):
        form.add_error("body", TOO_FAST)
        return _thread(request, question, status=429, follow_up=form)
    try:
        services.question_follow_up(
            question=question, asker=_member(request), body=form.cleaned_data["body"]
        )
    except services.IdentifiersFound as refusal:
        form.add_error("body", str(refusal))
        return _thread(request, question, status=400, follow_up=form)
    messages.success(request, "Follow-up sent: your question is waiting for a consultant again.")
    return redirect(question)


@require_POST
def rate(request: HttpRequest, tracking: str) -> HttpResponse:
    question = _asked_by_user(request, tracking)
    form = RateForm(request.POST)
    if not services.question_can_rate(question=question):
        form.add_error(None, "There is no answer to rate yet.")
    if not form.is_valid():
        return _thread(request, question, status=400, rate=form)
    services.question_rate(question=question, rating=form.cleaned_data["rating"])
    messages.success(request, "Thank you for rating the answer.")
    return redirect(question)


@require_POST
def reply(request: HttpRequest, tracking: str) -> HttpResponse:
    question = _for_consultant(request, tracking)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _thread(request, question, status=400, reply=form)
    internal = form.cleaned_data["kind"] == "note"
    try:
        services.question_reply(
            question=question,
            consultant=_member(request),
            body=form.cleaned_data["body"],
            internal=internal,
        )
    except services.IdentifiersFound as refusal:
        form.add_error("body", str(refusal))
        return _thread(request, question, status=400, reply=form)
    messages.success(request, "Internal note saved." if internal else "Answer sent to the member.")
    return redirect(question)


@require_POST
def claim(request: HttpRequest, tracking: str) -> HttpResponse:
    question = _for_consultant(request, tracking)
    if services.question_claim(question=question, consultant=_member(request)):
        messages.success(request, f"{question.tracking} is yours.")
    else:
        messages.warning(request, f"{question.tracking} was already claimed.")
    if request.POST.get("next") == "desk":
        return redirect("caseconsultant:desk")
    return redirect(question)


@require_POST
def assign(request: HttpRequest, tracking: str) -> HttpResponse:
    question = _for_consultant(request, tracking)
    form = AssignForm(request.POST, consultants=consultants())
    if not form.is_valid():
        messages.error(request, "Choose a consultant from the list.")
        return redirect(question)
    services.question_assign(question=question, assignee=form.cleaned_data["assignee"])
    messages.success(request, "Assignment saved.")
    return redirect(question)


@require_POST
def close(request: HttpRequest, tracking: str) -> HttpResponse:
    question = _for_consultant(request, tracking)
    services.question_close(question=question)
    messages.success(request, f"{question.tracking} is closed; the member was told.")
    return redirect(question)


@require_http_methods(["GET", "POST"])
def publish(request: HttpRequest, tracking: str) -> HttpResponse:
    """Turn the thread into an edited, de-identified premium "Consultant Q&A" section."""
    question = _for_consultant(request, tracking, for_thread=request.method == "GET")
    if not can_publish(request.user):
        raise Http404("No such question.")
    codes = question.codes.all()
    if request.method == "POST":
        form = PublishForm(request.POST, codes=codes)
        if form.is_valid():
            try:
                publication = services.question_publish(
                    question=question,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    codes=list(form.cleaned_data["codes"]),
                )
            except services.IdentifiersFound as refusal:
                form.add_error("body", str(refusal))
            else:
                count = len(publication.sections)
                messages.success(request, f"Published as a premium section on {count} code(s).")
                return redirect(question)
    else:
        thread = Message.objects.filter(question=question).for_thread(internal=False)
        form = PublishForm(
            codes=codes,
            initial={
                "title": question.subject,
                "body": services.publication_draft(question=question, thread=list(thread)),
                "codes": codes,
            },
        )
    return render(
        request,
        "caseconsultant/publish.html",
        {"question": question, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    """The consultants' queue, filtered by status, assignee, due time and code set."""
    if not is_consultant(request.user):
        raise Http404("No such page.")
    team = list(consultants())
    form = DeskFilterForm(request.GET, consultants=team)
    filters = form.cleaned_data if form.is_valid() else {}
    now = timezone.now()
    queue = Question.objects.desk_filtered(now=now, me=_member(request), **filters)
    page = Paginator(queue, DESK_PAGE_SIZE).get_page(request.GET.get("page"))
    kept = request.GET.copy()
    kept.pop("page", None)
    return render(
        request,
        "caseconsultant/desk.html",
        {"form": form, "page": page, "now": now, "filter_query": kept.urlencode()},
        status=400 if form.errors else 200,
    )
