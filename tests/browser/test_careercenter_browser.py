"""An employer posts a job in the browser, staff approve it in the admin, and a coder finds it
by filters and saves it."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from playwright.sync_api import Page, expect

from accounts.models import User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def account(email: str, **fields) -> User:
    user = User.objects.create_user(email, PASSWORD, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def log_in(page: Page, site: str, email: str) -> None:
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")


def test_an_employer_posts_staff_approve_and_a_coder_finds_and_saves_it(browser, site):
    account("hiring@harborview.example")
    account("staff@codeahead.example", is_staff=True, is_superuser=True)
    account("coder@example.com")
    employer, staff, coder = (
        browser.new_context(viewport={"width": 1280, "height": 900}).new_page() for _ in range(3)
    )

    # The employer tells who they are, writes the job, previews and submits it.
    log_in(employer, site, "hiring@harborview.example")
    employer.get_by_role("link", name="CareerCenter").first.click()
    employer.get_by_role("link", name="Post a job").click()
    employer.get_by_label("Organization name").fill("Harborview Coding Services")
    employer.get_by_label("Website").fill("https://harborview.example")
    employer.get_by_role("button", name="Save and continue").click()
    expect(employer.get_by_role("heading", level=1)).to_have_text("Post a job")
    employer.get_by_label("Job title").fill("Remote HCC Coder for Medicare Advantage")
    employer.get_by_label("Description").fill(
        "Review **Medicare Advantage** charts for HCC capture.\n\n- MEAT criteria\n- Training paid"
    )
    employer.get_by_label("Remote").check()
    employer.get_by_label("Employment type").select_option("Full-time")
    employer.get_by_label("Setting").select_option("Risk adjustment")
    employer.get_by_label("CRC (Certified Risk Adjustment Coder)").check()
    employer.get_by_label("Years of experience").fill("1")
    employer.get_by_label("Pay from").fill("30")
    employer.get_by_label("Pay up to").fill("34")
    employer.get_by_label("an hour").check()
    employer.get_by_label("Apply link").fill("https://harborview.example/apply/hcc")
    employer.get_by_role("button", name="Preview").click()
    preview = employer.locator(".preview-page")
    expect(preview.locator("strong")).to_have_text("Medicare Advantage")
    expect(preview).to_contain_text("$30–$34 an hour")
    employer.get_by_role("button", name="Submit the job").first.click()
    expect(employer.get_by_text("is waiting for approval")).to_be_visible()
    posting = employer.locator(".posting", has_text="Remote HCC Coder for Medicare Advantage")
    expect(posting).to_contain_text("Waiting for approval")

    # Nobody else sees it yet.
    coder.goto(f"{site}/careers/?q=HCC")
    expect(coder.locator(".job-item").first).to_be_visible()  # the demo's HCC jobs
    expect(coder.locator(".job-item", has_text="Harborview")).to_have_count(0)

    # Staff approve it in the admin: pending postings come first.
    log_in(staff, site, "staff@codeahead.example")
    staff.goto(f"{site}/admin/careercenter/job/")
    row = staff.locator("#result_list tbody tr").first
    expect(row).to_contain_text("Remote HCC Coder for Medicare Advantage")
    row.locator("input.action-select").check()
    staff.locator("select[name=action]").select_option("approve")
    staff.get_by_role("button", name="Run").click()
    expect(staff.get_by_text("1 posting(s) approved; each employer is emailed.")).to_be_visible()
    assert [m.to for m in mail.outbox if "is live" in m.subject] == [["hiring@harborview.example"]]

    # A coder finds it by three filters and saves it.
    log_in(coder, site, "coder@example.com")
    coder.get_by_role("link", name="CareerCenter").first.click()
    filters = coder.get_by_role("search", name="Filter jobs")
    filters.get_by_label("Remote").check()
    filters.get_by_label("Credential").select_option("CRC")
    filters.get_by_label("Minimum pay").select_option("60000")
    filters.get_by_role("button", name="Show jobs").click()
    expect(coder).to_have_url(re.compile(r"work_mode=remote.*credential=CRC.*min_pay=60000"))
    found = coder.locator(".job-item", has_text="Remote HCC Coder for Medicare Advantage")
    expect(found).to_contain_text("Harborview Coding Services")
    expect(found).to_contain_text("$30–$34 an hour")
    found.get_by_role("link", name="Remote HCC Coder for Medicare Advantage").click()
    expect(coder.get_by_role("heading", level=1)).to_have_text(
        "Remote HCC Coder for Medicare Advantage"
    )
    apply = coder.get_by_role("link", name="Apply on the employer's site")
    assert apply.get_attribute("rel") == "nofollow ugc noopener"
    coder.get_by_role("button", name="Save this job").click()
    expect(coder.get_by_text("Saved. Find it under Saved jobs.")).to_be_visible()
    coder.goto(f"{site}/careers/saved/")
    expect(coder.locator(".job-item")).to_contain_text("Remote HCC Coder for Medicare Advantage")

    # The employer sees the coder's two openings of the page (before and after saving it).
    employer.goto(f"{site}/careers/mine/")
    posting = employer.locator(".posting", has_text="Remote HCC Coder for Medicare Advantage")
    expect(posting).to_contain_text("Open")
    expect(posting.locator("dd").first).to_have_text("2")  # views
    for page in (employer, staff, coder):
        page.context.close()
