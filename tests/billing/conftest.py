import pytest

from ops.fake_stripe import FakeStripe

WEBHOOK_SECRET = "whsec_test_codeahead"


@pytest.fixture
def fake_stripe(settings):
    """A local stand-in for Stripe's API, with billing switched on and pointed at it."""
    fake = FakeStripe(webhook_secret=WEBHOOK_SECRET).start()
    settings.STRIPE_SECRET_KEY = "sk_test_codeahead"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_PRICE_MONTHLY = "price_premium_monthly"
    settings.STRIPE_PRICE_YEARLY = "price_premium_yearly"
    settings.STRIPE_API_BASE = fake.base
    settings.BILLING_ENABLED = True
    yield fake
    fake.stop()
