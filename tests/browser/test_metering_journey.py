"""The metering journey in the browser: a guest's one view, registering, a free account's six."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple 7"
EMAIL = "journey@example.com"

REGISTERED_TITLES = [
    "Summary of the Procedure",
    "Clinical Responsibility",
    "Billing Guidelines",
    "Modifiers",
    "Related and Similar Codes",
]
PREMIUM_TITLES = ["ICD-10-CM Crosswalk", "Medicare Payment (RVUs)"]
SECTION_TITLES = [*REGISTERED_TITLES, *PREMIUM_TITLES]
GUEST_NOTE = "Guest accounts are limited to 1 page view. Register free account to get 5 more views."


def open_code(page: Page, site: str, identifier: str) -> None:
    response = page.goto(f"{site}/codes/cpt/{identifier}/")
    assert response is not None
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(f"CPT® Code {identifier}")


def banner(page: Page):
    return page.locator(".meter-banner")


def section(page: Page, title: str):
    """A content section's card, found by its heading (premium headings also say "Premium")."""
    return page.locator(".content-section").filter(
        has=page.get_by_role("heading", level=2, name=re.compile(rf"^{re.escape(title)}"))
    )


def expect_unlocked(page: Page) -> None:
    expect(page.get_by_role("heading", name="Official Description")).to_be_visible()
    expect(page.get_by_role("heading", name="Common Language Description")).to_be_visible()
    expect(page.locator(".locked-page")).to_have_count(0)


def expect_locked(page: Page) -> None:
    expect(page.locator(".locked-page")).to_be_visible()
    expect(page.get_by_role("heading", name="Official Description")).to_have_count(0)
    expect(page.get_by_role("heading", name="Common Language Description")).to_have_count(0)
    expect(page.locator(".content-section")).to_have_count(0)
    for title in SECTION_TITLES:
        expect(page.get_by_role("heading", name=title)).to_have_count(0)


def test_guest_registers_and_uses_up_the_free_allowance(page, site):
    # 1. A guest's one view of the month: the page opens; each section says what unlocks it
    #    (a free account for registered sections, Premium for premium ones).
    open_code(page, site, "0439T")
    expect_unlocked(page)
    expect(banner(page)).to_contain_text("0 code page views remaining.")
    expect(banner(page)).to_contain_text(GUEST_NOTE)
    expect(page.locator(".content-section")).to_have_count(len(SECTION_TITLES))
    for title in SECTION_TITLES:
        card = section(page, title)
        expect(card).to_have_count(1)
        if title in PREMIUM_TITLES:
            expect(card).to_contain_text("Upgrade to view content")
            expect(card).not_to_contain_text("Register to view content")
        else:
            expect(card).to_contain_text("Register to view content")
            expect(card).not_to_contain_text("Upgrade to view content")
    expect(page.locator(".content-section .prose")).to_have_count(0)

    # 2. A second code is locked: title, banner and a call to action, nothing else.
    open_code(page, site, "93306")
    expect_locked(page)
    expect(banner(page)).to_contain_text("0 code page views remaining.")
    expect(banner(page)).to_contain_text(GUEST_NOTE)
    locked = page.locator(".locked-page")
    expect(locked.get_by_role("heading", level=2)).to_have_text("Register to view CPT® Code 93306")
    expect(locked).to_contain_text("5 more code page views every month")

    # 3. Register through the call to action, verify the address, come back to the code.
    locked.get_by_role("link", name="Register free account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register free account")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create free account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert mail.outbox[-1].to == [EMAIL]
    link = re.search(r"http://\S+/accounts/confirm-email/\S+", str(mail.outbox[-1].body)).group(0)
    page.goto(link.replace("http://testserver", site))
    page.get_by_role("button", name="Confirm").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/confirm-email/"))
    expect(page.locator(".user-menu")).to_be_visible()

    open_code(page, site, "93306")
    expect_unlocked(page)
    # The guest's 0439T view was carried into the account, and 93306 is its second view.
    expect(banner(page)).to_contain_text("4 code page views remaining.")
    expect(banner(page)).not_to_contain_text("Guest accounts")
    for title in REGISTERED_TITLES:
        card = section(page, title)
        expect(card).to_have_count(1)
        expect(card.locator(".prose")).to_be_visible()
        expect(card.locator(".prose")).not_to_be_empty()
        expect(card).not_to_contain_text("Register to view content")
        expect(card).not_to_contain_text("Upgrade to view content")
    expect(section(page, "Summary of the Procedure").locator(".prose")).to_contain_text(
        "complete echo"
    )
    for title in PREMIUM_TITLES:
        card = section(page, title)
        expect(card).to_have_count(1)
        expect(card).to_contain_text("Upgrade to view content")
        expect(card).not_to_contain_text("Register to view content")
        expect(card.locator(".prose")).to_have_count(0)

    # 4. Four more new codes use up the free allowance; the next one asks for an upgrade.
    for identifier, remaining in [("99202", 3), ("99203", 2), ("99204", 1), ("99205", 0)]:
        open_code(page, site, identifier)
        expect_unlocked(page)
        views = "view" if remaining == 1 else "views"
        expect(banner(page)).to_contain_text(f"{remaining} code page {views} remaining.")

    open_code(page, site, "99211")
    expect_locked(page)
    expect(banner(page)).to_contain_text("0 code page views remaining.")
    locked = page.locator(".locked-page")
    expect(locked.get_by_role("heading", level=2)).to_have_text("Upgrade to view CPT® Code 99211")
    expect(locked.get_by_role("link", name="Upgrade to Premium")).to_be_visible()
    expect(locked.get_by_role("link", name="Register free account")).to_have_count(0)

    # Re-opening a code viewed this month is free.
    open_code(page, site, "0439T")
    expect_unlocked(page)
    expect(banner(page)).to_contain_text("0 code page views remaining.")

    # 5. The account page lists the codes viewed and no views left.
    page.goto(f"{site}/accounts/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    usage = page.get_by_role("region", name=re.compile(r"^Code page views this"))
    expect(usage).to_contain_text("0 of 6")
    viewed = usage.locator(".code-list a")
    expect(viewed).to_have_count(6)
    for identifier in ["0439T", "93306", "99202", "99203", "99204", "99205"]:
        expect(usage.locator(f'.code-list a[href="/codes/cpt/{identifier}/"]')).to_have_count(1)
    expect(usage.locator('.code-list a[href="/codes/cpt/99211/"]')).to_have_count(0)
