"""A free member asks a question in the browser; a consultant answers it in the desk."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from tests.caseconsultant.conftest import make_consultant, make_member

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple 7"


def log_in(page: Page, site: str, email: str) -> None:
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")


def no_sideways_scroll(page: Page) -> bool:
    """Nothing sticks out to the right (the product menu scrolls inside itself, by design)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def too_wide(page: Page) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .map(e => e.tagName + '.' + e.className).slice(0, 5)"""
    )


def test_a_free_member_asks_and_a_consultant_answers_in_the_desk(browser, site):
    make_member("member@example.com")
    make_consultant("consultant@codeahead.example")
    member = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    consultant = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

    # The member asks.
    log_in(member, site, "member@example.com")
    member.get_by_role("link", name="CaseConsultant").first.click()
    member.get_by_role("link", name="Ask a question").click()
    expect(member.get_by_text("1 of 1 question left this month")).to_be_visible()
    member.get_by_label("Subject").fill("Modifier 25 with a same-day minor procedure")
    member.get_by_label("Question").fill(
        "A 58-year-old man had 10060 and an office visit for a new problem. Can 99213 take **25**?"
    )
    member.get_by_label("Related codes").fill("99213, 10060")
    member.get_by_label("Professional (physician or other clinician)").check()
    member.get_by_label("Payer type").select_option("Medicare")
    member.get_by_role("button", name="Send question").click()

    expect(member.get_by_role("heading", level=1)).to_have_text(
        "Modifier 25 with a same-day minor procedure"
    )
    tracking = re.search(r"CC-\d{4}-\d{6}", member.url).group(0)
    expect(member.get_by_text(f"Question {tracking} sent.")).to_be_visible()
    expect(member.get_by_role("link", name=re.compile("99213"))).to_be_visible()

    # The consultant claims and answers it in the desk.
    log_in(consultant, site, "consultant@codeahead.example")
    consultant.goto(f"{site}/caseconsultant/desk/")
    item = consultant.locator(".queue-item", has_text=tracking)
    expect(item).to_contain_text("Waiting for a consultant")
    item.get_by_role("button", name="Claim").click()
    expect(consultant.get_by_text(f"{tracking} is yours.")).to_be_visible()
    consultant.get_by_role("link", name=re.compile(tracking)).click()
    consultant.get_by_label("Your answer or note").fill(
        "Check the NCCI edits first; it is an internal reminder."
    )
    consultant.get_by_role("button", name="Save internal note").click()
    expect(consultant.get_by_text("Internal note saved.")).to_be_visible()
    consultant.get_by_label("Your answer or note").fill(
        "Yes: append **modifier 25** to 99213 when the visit is significant and separate."
    )
    consultant.get_by_role("button", name="Send answer to the member").click()
    expect(consultant.get_by_text("Answer sent to the member.")).to_be_visible()

    # The member reads the answer, never the note.
    member.reload()
    answer = member.locator(".message-reply")
    expect(answer).to_contain_text("append modifier 25 to 99213")
    expect(answer.locator("strong")).to_have_text("modifier 25")
    expect(member.get_by_text("NCCI")).to_have_count(0)
    expect(member.locator(".badges")).to_contain_text("Answered")
    assert [m.to[0] for m in mail.outbox] == [
        "member@example.com",  # received
        "consultant@codeahead.example",  # new question
        "member@example.com",  # answered
    ]


@pytest.mark.parametrize("width", [320, 430])
def test_the_pages_fit_a_phone(browser, site, width):
    from tests.caseconsultant.conftest import ask

    member = make_member("phone@example.com")
    consultant_user = make_consultant("phone-consultant@codeahead.example")
    question = ask(member, subject="A rather long subject about modifier 59 and XU on the claim")
    page = browser.new_context(viewport={"width": width, "height": 800}).new_page()

    log_in(page, site, "phone@example.com")
    for path in ("/caseconsultant/", "/caseconsultant/ask/", question.get_absolute_url()):
        page.goto(site + path)
        assert no_sideways_scroll(page), (path, too_wide(page))
    page = browser.new_context(viewport={"width": width, "height": 800}).new_page()
    log_in(page, site, consultant_user.email)
    for path in ("/caseconsultant/desk/?status=all", question.get_absolute_url()):
        page.goto(site + path)
        assert no_sideways_scroll(page), (path, too_wide(page))
