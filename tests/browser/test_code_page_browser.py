import datetime
import re

import pytest
from playwright.sync_api import expect

from tests.codes.test_code_page import DEFAULT_TITLES

pytestmark = pytest.mark.browser


def test_0439t_page_shows_all_its_parts_in_order(page, site, time_machine):
    # Our notice carries the current year (the live server shares this process's clock); the
    # AMA's carries the data release's.
    time_machine.move_to(datetime.datetime(2027, 3, 2, 10, 0, tzinfo=datetime.UTC))
    page.goto(f"{site}/codes/cpt/0439T/")

    expect(page).to_have_title(re.compile(r"^CPT® Code 0439T"))
    expect(page.get_by_role("heading", level=1)).to_have_text("CPT® Code 0439T")
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_contain_text("Category III Codes")
    headings = page.locator("article h2").evaluate_all(
        "els => els.map(e => e.firstChild.textContent.trim())"
    )
    expected = [
        "Official Description",
        "Common Language Description",
        "Have a question about CPT® Code 0439T?",
        "Unlock the guidance",  # a guest: one call to action for every locked section
        *DEFAULT_TITLES,
        "Codes to know with 0439T",
    ]
    assert headings == expected
    official = page.get_by_role("region", name="Official Description")
    expect(official).to_contain_text(
        "© Copyright 2026 American Medical Association. All rights reserved."
    )
    expect(official).to_contain_text("Sample content.")
    expect(page.get_by_role("region", name="Common Language Description")).to_contain_text(
        "© Copyright 2027 CodeAhead. All rights reserved."
    )
    expect(page.get_by_role("list", name="Code flags")).to_contain_text("Add-on code")

    page.get_by_role("link", name=re.compile(r"^93306")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CPT® Code 93306")


def test_other_spellings_land_on_the_canonical_url(page, site):
    response = page.goto(f"{site}/codes/CPT/0439t/")

    assert page.url == f"{site}/codes/cpt/0439T/"
    assert response.request.redirected_from.response().status == 301
    expect(page.get_by_role("heading", level=1)).to_have_text("CPT® Code 0439T")


def test_unknown_code_gets_the_404_page_with_a_search_box(page, site):
    response = page.goto(f"{site}/codes/cpt/0000T/")

    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("We couldn't find that page")
    page.get_by_label("Code or keywords").fill("0439t")
    page.get_by_label("Code or keywords").press("Enter")
    expect(page).to_have_url(f"{site}/codes/cpt/0439T/")


def test_header_search_and_navigation_work_without_javascript(browser, site):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{site}/")
    page.get_by_role("searchbox", name="Search codes").fill("99213")
    page.get_by_role("searchbox", name="Search codes").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("CPT® Code 99213")
    page.get_by_role("navigation", name="Products").get_by_role("link", name="CasePilot").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask a coding question")
    # Nothing overflows the phone's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def test_an_icd10cm_page_shows_its_official_data_and_checks_a_cc_exclusion(page, site):
    from codes.imports.icd10cm import import_icd10cm

    import_icd10cm(categories={"I21"})  # I21.4 with its notes and MS-DRG facts
    page.goto(f"{site}/codes/icd10cm/I21.4/")

    notes = page.get_by_role("region", name="Official ICD-10-CM instructions")
    expect(notes).to_contain_text("Non-Q wave myocardial infarction NOS")
    expect(notes).to_contain_text("from category I21")
    drg = page.get_by_role("region", name="MS-DRG and Medicare Code Editor")
    expect(drg).to_contain_text("MCC (major complication or comorbidity)")
    page.get_by_role("link", name="Official instructions").click()  # the table of contents
    expect(page).to_have_url(re.compile(r"#official-notes$"))

    page.get_by_label("Is I21.4 excluded as a CC/MCC with this principal diagnosis?").fill("i21.01")
    page.get_by_role("button", name="Check").click()

    expect(page.locator(".cc-answer")).to_contain_text("Excluded. With I21.01")
