from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import User
from billing.services import billing_account_exists, offers
from codes.models import Code, CodeSet
from metering.models import Plan
from metering.plans import period_name, plans_on_offer
from metering.viewers import account_is_verified, account_viewer

# Apply buttons count clicks and alert links unsubscribe: no crawler should follow them.
ROBOTS_TXT = """User-agent: *
Disallow: /accounts/
Disallow: /admin/
Disallow: /search/suggest/
Disallow: /careers/apply/
Disallow: /careers/alerts/

Sitemap: {site_url}/sitemap.xml
"""


def robots_txt(request: HttpRequest) -> HttpResponse:
    """Crawlers may read code pages (and get what a guest gets) and jobs, not account or admin
    pages. It touches no database, which also makes it the benchmark's floor."""
    return HttpResponse(ROBOTS_TXT.format(site_url=settings.SITE_URL), content_type="text/plain")


def home(request: HttpRequest) -> HttpResponse:
    code_sets = CodeSet.objects.with_counts()
    return render(
        request,
        "pages/home.html",
        {"code_sets": code_sets, "popular_codes": Code.objects.popular()},
    )


def plans(request: HttpRequest) -> HttpResponse:
    account = request.user if isinstance(request.user, User) else None
    return render(
        request,
        "pages/plans.html",
        {
            "plans": plans_on_offer(),
            "period": period_name(),
            "offers": offers(),
            "verified": account is not None and account_is_verified(account),
            "on_premium": account is not None and account_viewer(account).plan.slug == Plan.PREMIUM,
            "has_billing": account is not None and billing_account_exists(account_id=account.pk),
            "next": request.GET.get("next", ""),
        },
    )
