"""Who may open and change what in CareerCenter, in one place.

- A job page opens for every approved or removed posting (removed ones answer 410) and every
  closed one that was published; a pending, rejected or never published one only for its
  employer and staff: to anyone else it does not exist (404, as for a number never used).
- An employer changes only their own postings: any other answers 404, whatever its status.
- Posting, saved jobs and alerts need a signed-in account with a verified address.
"""

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from careercenter.models import EmployerProfile, Job
from metering.viewers import account_is_verified

if TYPE_CHECKING:
    from metering.viewers import MeteredAccount

View = Callable[..., HttpResponse]


def account_of(request: HttpRequest) -> "MeteredAccount":
    """The signed-in account of a request that required one."""
    user = request.user
    assert user.is_authenticated
    return user  # type: ignore[return-value]


def verified_required(view: View) -> View:
    """Guests are sent to log in (and back); an account without a verified address is told to
    verify it first."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not account_is_verified(account_of(request)):
            return render(request, "careercenter/verify.html", status=403)
        return view(request, *args, **kwargs)

    return checked


def job_page_or_404(request: HttpRequest, pk: int) -> Job:
    job = Job.objects.visible_to(request.user).select_related("employer").filter(pk=pk).first()
    if job is None:
        raise Http404("No such job.")
    return job


def own_job_or_404(request: HttpRequest, pk: int) -> Job:
    job = Job.objects.owned_by(request.user).select_related("employer").filter(pk=pk).first()
    if job is None:
        raise Http404("No such job.")
    return job


def is_employer_of(request: HttpRequest, job: Job) -> bool:
    return request.user.is_authenticated and job.employer.account_id == request.user.pk


def employer_of(request: HttpRequest) -> EmployerProfile | None:
    return EmployerProfile.objects.filter(account_id=request.user.pk).first()
