"""The Stripe client: one per process and settings."""

from billing import stripe_api


def test_calls_share_one_client(settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9/"

    assert stripe_api.client() is stripe_api.client()


def test_changed_settings_get_a_client_of_their_own(settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9/"
    first = stripe_api.client()

    settings.STRIPE_API_BASE = "http://127.0.0.1:10/"
    second = stripe_api.client()
    settings.STRIPE_TIMEOUT_SECONDS = 3
    third = stripe_api.client()

    assert len({id(first), id(second), id(third)}) == 3
    assert stripe_api.client() is third
