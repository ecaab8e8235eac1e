from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import DeleteAccountForm
from accounts.models import User
from accounts.services import account_delete
from billing.services import billing_status
from caseconsultant.models import Question
from metering.meter import account_usage
from metering.plans import period_name
from metering.questions import question_allowance
from metering.viewers import logout_keeping_guest

# The account page lists the latest questions; /caseconsultant/ lists them all.
ACCOUNT_PAGE_QUESTIONS = 10


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    return render(
        request,
        "accounts/account.html",
        {
            "usage": account_usage(user=user),
            "billing": billing_status(account_id=user.pk),
            "questions": Question.objects.for_asker(user)[:ACCOUNT_PAGE_QUESTIONS],
            "allowance": question_allowance(account=user),
        },
    )


@login_required
@reauthentication_required
@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    """Delete the account after a confirmation; allauth asks for the password first."""
    form = DeleteAccountForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        assert isinstance(user, User)
        logout_keeping_guest(request, logout)
        account_delete(user=user)
        messages.success(request, "Your account and its personal data were deleted.")
        return redirect("home")
    return render(request, "accounts/delete.html", {"form": form, "period": period_name()})
