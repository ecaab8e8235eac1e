import re

import pytest
from django.core import mail
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple 7"


def test_signup_verify_logout_and_login_in_the_browser(page, site):
    page.goto(f"{site}/")
    page.get_by_role("link", name="Register free account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register free account")
    page.get_by_label("Email").fill("browser@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create free account").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    link = re.search(r"http://\S+/accounts/confirm-email/\S+", str(mail.outbox[-1].body)).group(0)
    page.goto(link.replace("http://testserver", site))
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(f"{site}/accounts/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.get_by_role("region", name="Plan")).to_contain_text("Free")

    page.locator(".user-menu summary").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()

    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill("browser@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
