from django.urls import path

from casepilot import views

app_name = "casepilot"

urlpatterns = [
    path("", views.index, name="index"),
    path("stream/", views.stream, name="stream"),
    path("answers/<int:pk>/", views.answer_page, name="answer"),
    path("answers/<int:pk>/delete/", views.delete, name="delete"),
    path("answers/<int:pk>/vote/", views.vote, name="vote"),
]
