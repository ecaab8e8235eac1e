import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_slash_focuses_search_and_suggestions_open_a_code(page, site):
    page.goto(f"{site}/")
    page.keyboard.press("/")
    page.keyboard.type("hyperten")

    option = page.get_by_role("option").first
    expect(option).to_contain_text("I10")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{site}/codes/icd10cm/I10/")


def test_search_page_filters_and_highlights_without_javascript(browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site}/search/?q=pain")
    page.get_by_label("Code set").select_option("icd10cm")
    page.get_by_role("button", name="Search", exact=True).last.click()

    expect(page.locator(".search-results li").first).to_contain_text("M54.50")
    expect(page.locator(".search-results mark").first).to_have_text("pain")
    context.close()
