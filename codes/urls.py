from django.urls import path

from codes import views

app_name = "codes"

urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("search/suggest/", views.search_suggestions, name="suggest"),
    path("codes/", views.code_set_list, name="code_sets"),
    path("codes/<slug:set_slug>/", views.code_set_detail, name="code_set"),
    path(
        "codes/<slug:set_slug>/sections/<slug:section_slug>/",
        views.section_detail,
        name="section",
    ),
    path("codes/<slug:set_slug>/<str:identifier>/", views.code_detail, name="code"),
    path(
        "codes/<slug:set_slug>/<str:identifier>/cc-exclusion/",
        views.cc_exclusion,
        name="cc_exclusion",
    ),
]
