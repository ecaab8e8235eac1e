"""CasePilot in a real browser: asked from the 0439T page with JavaScript (the answer is
written in place, then replaced by the server's sanitized answer) and without (the form posts
and the answer is the next page); the answer page and a member's history pass axe-core and
never scroll sideways on a phone."""

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from metering.models import Plan
from tests.browser.test_accessibility import axe_violations, member, signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUESTION = "Is 0439T an add-on code, and what do I report it with?"


def no_sideways_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def ask_from_the_code_page(page: Page, site: str) -> None:
    page.goto(f"{site}/codes/cpt/0439T/")
    box = page.locator(".casepilot-box")
    box.get_by_label("Your question about 0439T").fill(QUESTION)
    box.get_by_role("button", name="Ask CasePilot").click()


@pytest.mark.parametrize("width", [1280, 390])
def test_with_javascript_the_answer_is_written_in_place(browser, site, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[Any] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    ask_from_the_code_page(page, site)

    answer = page.locator("#casepilot-box-answer")
    expect(answer.locator(".answer-text")).to_contain_text("is an add-on code", timeout=15000)
    assert page.url == f"{site}/codes/cpt/0439T/"  # no navigation: answered in place
    expect(answer.get_by_role("link", name="93306").first).to_have_attribute(
        "href", "/codes/cpt/93306/"
    )
    expect(answer.locator(".answer-sources li").first).to_contain_text("CPT® 0439T")
    expect(answer).to_contain_text("Verify with the official guidelines")
    assert no_sideways_scroll(page)
    assert errors == []  # the CSP let the script run, and it ran cleanly
    context.close()


def test_without_javascript_the_form_posts_and_the_answer_is_the_next_page(browser, site):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 900})
    page = context.new_page()

    ask_from_the_code_page(page, site)

    page.wait_for_url(f"{site}/casepilot/")
    expect(page.locator(".answer-text")).to_contain_text("is an add-on code")
    expect(page.get_by_role("heading", name=QUESTION)).to_be_visible()
    assert no_sideways_scroll(page)
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_a_members_answer_and_history_are_accessible(browser, site, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    signed_in(context, site, member("pilot-a11y@example.com", Plan.FREE))
    page = context.new_page()
    page.goto(f"{site}/casepilot/")
    question = "What's the difference between 93306 and 93307?"
    page.get_by_role("textbox", name="Your question").fill(question)
    page.get_by_role("button", name="Ask CasePilot").click()
    expect(page.locator("#casepilot-answer .answer-text")).to_contain_text("side by side")

    assert axe_violations(page) == []
    assert no_sideways_scroll(page)
    page.goto(f"{site}/casepilot/")
    history = page.get_by_role("region", name="Your earlier questions")
    history.get_by_role("link", name=question).click()
    expect(page.get_by_role("button", name="Helpful", exact=True)).to_be_visible()
    assert axe_violations(page) == []
    assert no_sideways_scroll(page)
    page.get_by_role("button", name="Not helpful").click()
    expect(page.get_by_role("button", name="Not helpful")).to_have_attribute("aria-pressed", "true")
    context.close()
