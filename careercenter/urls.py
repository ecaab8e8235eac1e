from django.urls import path

from careercenter import views
from careercenter.feeds import JobFeed

app_name = "careercenter"

urlpatterns = [
    path("", views.job_list, name="list"),
    path("feed/", JobFeed(), name="feed"),
    path("<int:pk>-<slug:slug>/", views.job_detail, name="job"),
    path("<int:pk>/", views.job_detail, name="job_short"),
    path("<int:pk>/save/", views.job_save, name="save"),
    path("apply/<int:pk>/", views.job_apply, name="apply"),
    path("saved/", views.saved_jobs, name="saved"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:pk>/delete/", views.alert_delete, name="alert_delete"),
    path("alerts/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("employer/", views.employer, name="employer"),
    path("post/", views.job_post, name="post"),
    path("mine/", views.my_postings, name="mine"),
    path("<int:pk>/edit/", views.job_edit, name="edit"),
    path("<int:pk>/renew/", views.job_renew, name="renew"),
    path("<int:pk>/close/", views.job_close, name="close"),
]
