from django.urls import path, register_converter

from caseconsultant import views

app_name = "caseconsultant"


class TrackingConverter:
    """CC-<year>-<number>: CC-2026-000123."""

    regex = "CC-[0-9]{4}-[0-9]{6,12}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TrackingConverter, "tracking")

urlpatterns = [
    path("", views.index, name="index"),
    path("ask/", views.ask, name="ask"),
    path("desk/", views.desk, name="desk"),
    path("<tracking:tracking>/", views.thread, name="thread"),
    path("<tracking:tracking>/follow-up/", views.follow_up, name="follow_up"),
    path("<tracking:tracking>/rate/", views.rate, name="rate"),
    path("<tracking:tracking>/reply/", views.reply, name="reply"),
    path("<tracking:tracking>/claim/", views.claim, name="claim"),
    path("<tracking:tracking>/assign/", views.assign, name="assign"),
    path("<tracking:tracking>/close/", views.close, name="close"),
    path("<tracking:tracking>/publish/", views.publish, name="publish"),
]
