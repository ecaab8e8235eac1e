from django.urls import path

from billing import views

app_name = "billing"
urlpatterns = [
    path("checkout/", views.checkout, name="checkout"),
    path("portal/", views.portal, name="portal"),
    path("done/", views.done, name="done"),
    path("stripe/webhook/", views.webhook, name="stripe_webhook"),
]
