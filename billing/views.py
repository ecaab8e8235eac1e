import logging
from urllib.parse import urlencode

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from billing import services
from billing.stripe_api import StripeUnavailable
from codeahead.ratelimit import rate_limit_hit, rate_limit_reached
from metering.models import Plan
from metering.viewers import account_is_verified, account_viewer

logger = logging.getLogger("codeahead.billing")
User = get_user_model()


def _billing_enabled() -> None:
    if not settings.BILLING_ENABLED:
        raise Http404("Online checkout is not set up.")


def _back_to(request: HttpRequest) -> str:
    """Where to send the member afterwards: a page of ours they came from, or the account page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return target
    return reverse("accounts:account")


@login_required
@require_POST
def checkout(request: HttpRequest) -> HttpResponse:
    """Send a verified member to Stripe Checkout for a Premium subscription."""
    _billing_enabled()
    user = request.user
    assert isinstance(user, User)
    interval = request.POST.get("interval", "")
    if interval not in services.prices():
        messages.error(request, "Choose monthly or yearly billing.")
        return redirect("plans")
    if not account_is_verified(user):
        messages.error(request, "Verify your email address first; then you can upgrade.")
        return redirect("account_email")
    if rate_limit_hit(scope="billing", key=str(user.pk), rate=settings.RATE_LIMIT_BILLING):
        messages.error(request, "Too many attempts; please wait a minute and try again.")
        return redirect("plans")
    back = _back_to(request)
    done = request.build_absolute_uri(reverse("billing:done"))
    done += "?" + urlencode({"next": back}, safe="/")
    try:
        url = services.checkout_start(
            account_id=user.pk,
            email=user.email,
            interval=interval,  # type: ignore[arg-type]
            success_url=done,
            cancel_url=request.build_absolute_uri(reverse("plans")),
        )
    except StripeUnavailable:
        logger.exception("checkout for account %s", user.pk)
        messages.error(request, "Payment is unavailable right now. Please try again in a minute.")
        return redirect("plans")
    return redirect(url)


@login_required
@require_POST
def portal(request: HttpRequest) -> HttpResponse:
    """Send a member to Stripe's customer portal: card, invoices, cancellation."""
    _billing_enabled()
    user = request.user
    assert isinstance(user, User)
    if rate_limit_hit(scope="billing", key=str(user.pk), rate=settings.RATE_LIMIT_BILLING):
        messages.error(request, "Too many attempts; please wait a minute and try again.")
        return redirect("accounts:account")
    try:
        url = services.portal_start(
            account_id=user.pk,
            return_url=request.build_absolute_uri(reverse("accounts:account")),
        )
    except StripeUnavailable:
        logger.exception("portal for account %s", user.pk)
        messages.error(request, "Billing is unavailable right now. Please try again in a minute.")
        return redirect("accounts:account")
    if url is None:
        return redirect("plans")
    return redirect(url)


@login_required
@require_GET
def done(request: HttpRequest) -> HttpResponse:
    """Back from Checkout. It proves nothing: the plan changes when Stripe's webhook says so."""
    user = request.user
    assert isinstance(user, User)
    on_premium = account_viewer(user).plan.slug == Plan.PREMIUM
    return render(
        request, "billing/done.html", {"next": _back_to(request), "on_premium": on_premium}
    )


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's webhook. 400 for anything not signed by Stripe with our secret; 503 when Stripe
    cannot be asked for the subscription's state (Stripe sends the event again later)."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise Http404
    # Only refusals count: Stripe's own bursts are never limited, forgers soon are.
    client = get_adapter(request).get_client_ip(request)
    refused = {"scope": "stripe-webhook-refused", "key": client,
               "rate": settings.RATE_LIMIT_WEBHOOK_REFUSED}  # fmt: skip
    if rate_limit_reached(**refused):
        return JsonResponse({"error": "too many invalid requests"}, status=429)
    try:
        result = services.webhook_receive(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except ValueError as error:
        rate_limit_hit(**refused)
        logger.warning("stripe webhook refused from %s: %s", client, error)
        return JsonResponse({"error": "invalid payload or signature"}, status=400)
    except StripeUnavailable as error:
        logger.warning("stripe webhook postponed: %s", error)
        response = JsonResponse({"error": "try again"}, status=503)
        response["Retry-After"] = "30"
        return response
    return JsonResponse({"outcome": result.outcome, "event": result.event_id})
