from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from careercenter.sitemaps import JobSitemap
from codeahead.views import healthz, healthz_queue, mailgun_inbound
from pages import views as pages

# The admin signs in through allauth's login, with its rate limits, never its own form.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "CodeAhead administration"
admin.site.site_title = "CodeAhead admin"

SITEMAPS = {"jobs": JobSitemap}

urlpatterns = [
    path("", pages.home, name="home"),
    path("plans/", pages.plans, name="plans"),
    path("robots.txt", pages.robots_txt, name="robots_txt"),
    path("healthz", healthz, name="healthz"),
    path("healthz/queue", healthz_queue, name="healthz_queue"),
    path("casepilot/", include("casepilot.urls")),
    path("caseconsultant/", include("caseconsultant.urls")),
    # Inbound mail from Mailgun (Anymail's webhook: its signature checked, then the
    # caseconsultant.inbound receiver).
    path("anymail/mailgun/inbound/", mailgun_inbound, name="mailgun_inbound"),
    path("careers/", include("careercenter.urls")),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("billing/", include("billing.urls")),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("", include("codes.urls")),
    path("admin/", admin.site.urls),
]

handler500 = "codeahead.views.server_error"
