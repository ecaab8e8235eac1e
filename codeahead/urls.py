from django.contrib import admin
from django.urls import include, path

from pages import views as pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("search/", pages.search, name="search"),
    path("casepilot/", pages.coming_soon, {"feature": "casepilot"}, name="casepilot"),
    path(
        "caseconsultant/", pages.coming_soon, {"feature": "caseconsultant"}, name="caseconsultant"
    ),
    path("careers/", pages.coming_soon, {"feature": "careercenter"}, name="careercenter"),
    path("accounts/login/", pages.coming_soon, {"feature": "login"}, name="login"),
    path("accounts/signup/", pages.coming_soon, {"feature": "signup"}, name="signup"),
    path("", include("codes.urls")),
    path("admin/", admin.site.urls),
]
