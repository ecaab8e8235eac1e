"""A free member upgrades from a locked premium section: the plans page, Stripe Checkout (the local
stand-in's page), the webhook, and back to the section, now readable."""

import re

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from accounts.models import User
from ops.fake_stripe import FakeStripe
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

SECRET = "whsec_browser"


@pytest.fixture
def stripe_stand_in(settings, site):
    fake = FakeStripe(webhook_url=f"{site}/billing/stripe/webhook/", webhook_secret=SECRET).start()
    settings.STRIPE_SECRET_KEY = "sk_test_browser"
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    settings.STRIPE_PRICE_MONTHLY = "price_premium_monthly"
    settings.STRIPE_PRICE_YEARLY = ""
    settings.BILLING_PRICE_TEXT_MONTHLY = "$19 a month"
    settings.STRIPE_API_BASE = fake.base
    settings.BILLING_ENABLED = True
    # The browser follows the checkout form's redirect to the stand-in, as it would to Stripe.
    settings.SECURE_CSP = settings.SECURE_CSP | {
        "form-action": [*settings.SECURE_CSP["form-action"], fake.base]
    }
    yield fake
    fake.stop()


def test_a_member_upgrades_from_a_locked_premium_section(page, site, stripe_stand_in):
    user = User.objects.create_user("upgrade@example.com", PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto(f"{site}/codes/cpt/0439T/")
    crosswalk = page.get_by_role("region", name=re.compile("ICD-10-CM Crosswalk"))
    expect(crosswalk).to_contain_text("Upgrade to view content")
    page.get_by_role("region", name="Unlock the guidance").get_by_role(
        "link", name="See Premium"
    ).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Plans")
    page.get_by_role("button", name="Pay monthly · $19 a month").click()

    # Stripe's page (here the stand-in's): CodeAhead never sees the card.
    expect(page).to_have_url(re.compile(rf"^{re.escape(stripe_stand_in.base)}/checkout/cs_test_"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Test checkout")
    page.get_by_role("button", name="Pay").click()

    # Back on CodeAhead once Stripe's webhooks have been delivered.
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    expect(page.locator("main")).to_contain_text("Premium is active on your account")
    assert [status for _, status in stripe_stand_in.delivered] == [200, 200, 200]
    page.get_by_role("link", name="Continue").click()

    expect(page).to_have_url(f"{site}/codes/cpt/0439T/")
    crosswalk = page.get_by_role("region", name=re.compile("ICD-10-CM Crosswalk"))
    expect(crosswalk.locator(".prose")).to_be_visible()
    expect(crosswalk).not_to_contain_text("Upgrade to view content")
    expect(page.locator(".meter-banner")).to_have_count(0)  # Premium: nothing to count
