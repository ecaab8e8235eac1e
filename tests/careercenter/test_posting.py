"""Employers: the profile, the posting form with its preview and checks, approval for new
employers, rate limits, editing, renewing and closing, and "My postings"."""

import datetime

import pytest
from django.core.cache import cache

from careercenter.models import EmployerProfile, Job, JobCounter
from tests.careercenter.conftest import DAY, NOW, make_account, make_employer, make_job

pytestmark = pytest.mark.django_db

FORM = {
    "action": "submit",
    "title": "Remote Risk Adjustment Coder",
    "description": "Review **Medicare Advantage** charts.\n\n- MEAT criteria\n- 2 charts an hour",
    "work_mode": "remote",
    "city": "",
    "state": "",
    "employment_type": "full_time",
    "setting": "risk_adjustment",
    "credentials": ["CRC", "CPC"],
    "experience_years": "2",
    "pay_min": "27",
    "pay_max": "32",
    "pay_period": "hour",
    "apply_url": "https://employer.example/apply",
    "apply_email": "",
}


def listed(client) -> list[str]:
    return [job.title for job in client.get("/careers/").context["page"].object_list]


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()


def test_guests_are_sent_to_log_in_and_unverified_accounts_to_verify(client, frozen):
    assert client.get("/careers/post/")["Location"] == "/accounts/login/?next=/careers/post/"
    client.force_login(make_account("new@example.com", verified=False))

    response = client.get("/careers/post/")

    assert response.status_code == 403
    assert "Verify your email address first" in response.content.decode()


def test_any_verified_account_becomes_an_employer_with_a_profile_first(client, coder, frozen):
    client.force_login(coder)

    first = client.get("/careers/post/")
    saved = client.post(
        "/careers/employer/",
        {"organization": "Harborview Coding", "website": "harborview.example",
         "next": "/careers/post/"},
    )  # fmt: skip

    assert first.status_code == 302 and first["Location"].startswith("/careers/employer/")
    assert saved["Location"] == "/careers/post/"
    profile = EmployerProfile.objects.get(account=coder)
    assert (profile.organization, profile.website) == (
        "Harborview Coding", "https://harborview.example",
    )  # fmt: skip
    assert client.get("/careers/post/").status_code == 200


def test_renaming_the_organization_renames_it_on_every_job(employer_client, employer, frozen):
    job = make_job(employer)

    employer_client.post("/careers/employer/", {"organization": "Riverside Health"})

    job.refresh_from_db()
    assert job.organization == "Riverside Health"


def test_preview_shows_the_job_as_its_page_will_and_stores_nothing(employer_client, frozen):
    response = employer_client.post("/careers/post/", FORM | {"action": "preview"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Preview: this is how applicants will see it" in html
    assert "<strong>Medicare Advantage</strong>" in html
    assert "$27–$32 an hour" in html and "Remote (US)" in html and "Riverside Clinic" in html
    assert 'value="Remote Risk Adjustment Coder"' in html  # the form, filled in again
    assert Job.objects.count() == 0


def test_a_new_employers_posting_waits_for_approval(employer_client, employer, frozen):
    response = employer_client.post("/careers/post/", FORM)

    job = Job.objects.get()
    assert response["Location"] == "/careers/mine/"
    assert job.status == Job.Status.PENDING
    assert (job.employer, job.organization) == (employer, "Riverside Clinic")
    assert job.published_at is None and job.expires_at is None
    assert job.credentials == ["CRC", "CPC"]
    assert listed(employer_client) == []


def test_an_employer_staff_trust_publishes_at_once_for_thirty_days(
    employer_client, employer, frozen, settings
):
    settings.CAREERS_TRUSTED_AFTER = 2
    make_job(employer, title="First", posted=NOW - 60 * DAY)
    make_job(employer, title="Second", posted=NOW - 50 * DAY, status=Job.Status.CLOSED)

    employer_client.post("/careers/post/", FORM)

    job = Job.objects.get(title=FORM["title"])
    assert job.status == Job.Status.APPROVED
    assert job.published_at == NOW
    assert job.expires_at == NOW + 30 * DAY


def test_one_removed_posting_costs_an_employer_the_trust(employer_client, employer, frozen):
    make_job(employer, title="First", posted=NOW - 60 * DAY)
    make_job(employer, title="Second", posted=NOW - 50 * DAY)
    make_job(employer, title="Spam", posted=NOW - 40 * DAY, status=Job.Status.REMOVED)

    employer_client.post("/careers/post/", FORM)

    assert Job.objects.get(title=FORM["title"]).status == Job.Status.PENDING


def test_the_description_is_markdown_through_the_sanitizer(employer_client, frozen):
    description = 'Hello <script>alert(1)</script> **world** <a href="javascript:x()">x</a>'

    employer_client.post("/careers/post/", FORM | {"description": description})

    html = Job.objects.get().description_html
    assert "<strong>world</strong>" in html
    assert "<script" not in html and "javascript:" not in html


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"pay_min": "40", "pay_max": "30"}, "pay_max", "at least the bottom"),
        ({"pay_min": "0"}, "pay_min", "more than zero"),
        ({"pay_min": "-5", "pay_max": ""}, "pay_min", "more than zero"),
        ({"pay_max": "-1"}, "pay_max", "more than zero"),
        ({"pay_min": "abc"}, "pay_min", "Enter a number"),
        ({"pay_min": "600", "pay_max": "700"}, "pay_max", "more than $500 an hour"),
        ({"work_mode": "onsite"}, "city", "Give the city"),
        ({"work_mode": "hybrid", "city": "Austin"}, "state", "Give the state"),
        ({"work_mode": ""}, "work_mode", "This field is required"),
        ({"apply_url": ""}, "apply_url", "Give an apply link or an email address"),
        ({"apply_email": "jobs@employer.example"}, "apply_email", "not both"),
        ({"apply_url": "javascript:alert(1)"}, "apply_url", "Enter a valid URL"),
        ({"apply_url": "ftp://employer.example/apply"}, "apply_url", "Enter a valid URL"),
        ({"credentials": ["CPC", "XYZ"]}, "credentials", "Select a valid choice"),
        ({"state": "ZZ"}, "state", "Select a valid choice"),
        ({"title": ""}, "title", "This field is required"),
    ],
)
def test_the_form_refuses_what_cannot_be_posted(employer_client, frozen, changes, field, message):
    response = employer_client.post("/careers/post/", FORM | changes)

    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors.get(field, [])), response.context[
        "form"
    ].errors
    assert Job.objects.count() == 0


def test_a_single_pay_figure_and_on_site_jobs_are_fine(employer_client, frozen):
    employer_client.post(
        "/careers/post/",
        FORM | {"pay_min": "58000", "pay_max": "", "pay_period": "year",
                "work_mode": "onsite", "city": "Dayton", "state": "OH",
                "apply_url": "", "apply_email": "jobs@employer.example"},
    )  # fmt: skip

    job = Job.objects.get()
    assert (job.pay_min, job.pay_max, job.location) == (58000, 58000, "Dayton, OH")
    assert job.apply_email == "jobs@employer.example"


def test_a_remote_job_keeps_no_city(employer_client, frozen):
    employer_client.post("/careers/post/", FORM | {"city": "Ignored", "state": "TX"})

    job = Job.objects.get()
    assert (job.city, job.state, job.location) == ("", "TX", "Remote (Texas only)")


def test_posting_is_rate_limited_per_account(employer_client, frozen, settings):
    settings.RATE_LIMIT_JOB_POSTING = "2/h"

    codes = [employer_client.post("/careers/post/", FORM).status_code for _ in range(3)]

    assert codes == [302, 302, 429]
    assert Job.objects.count() == 2


def test_posting_is_rate_limited_per_address_across_accounts(client, frozen, settings):
    settings.RATE_LIMIT_JOB_POSTING_IP = "2/h"
    codes = []
    for number in range(3):
        client.force_login(make_employer(f"hr@e{number}.example", f"E{number}").account)
        codes.append(client.post("/careers/post/", FORM, REMOTE_ADDR="203.0.113.7").status_code)
    client.force_login(make_employer("hr@elsewhere.example", "Elsewhere").account)
    elsewhere = client.post("/careers/post/", FORM, REMOTE_ADDR="198.51.100.9").status_code

    assert codes == [302, 302, 429]
    assert elsewhere == 302


def test_previews_and_refused_forms_use_no_posting_allowance(employer_client, frozen, settings):
    settings.RATE_LIMIT_JOB_POSTING = "1/h"
    employer_client.post("/careers/post/", FORM | {"action": "preview"})
    employer_client.post("/careers/post/", FORM | {"pay_min": "abc"})

    assert employer_client.post("/careers/post/", FORM).status_code == 302


# Other employers' postings


@pytest.mark.parametrize("status", list(Job.Status.values))
def test_an_employer_can_never_edit_or_see_another_employers_posting(client, frozen, status):
    theirs = make_job(make_employer("hr@theirs.example", "Theirs"), status=status)
    mine = make_employer("hr@mine.example", "Mine")
    client.force_login(mine.account)
    before = Job.objects.filter(pk=theirs.pk).values().get()

    edit_page = client.get(f"/careers/{theirs.pk}/edit/")
    edit = client.post(f"/careers/{theirs.pk}/edit/", FORM | {"title": "Hijacked"})
    renew = client.post(f"/careers/{theirs.pk}/renew/")
    close = client.post(f"/careers/{theirs.pk}/close/")
    listed = client.get("/careers/mine/").content.decode()

    assert (edit_page.status_code, edit.status_code, renew.status_code, close.status_code) == (
        404, 404, 404, 404,
    )  # fmt: skip
    assert Job.objects.filter(pk=theirs.pk).values().get() == before
    assert theirs.title not in listed
    if status in (Job.Status.PENDING, Job.Status.REJECTED):
        assert client.get(theirs.get_absolute_url()).status_code == 404


def test_editing_a_rejected_posting_sends_it_back_to_staff(employer_client, employer, frozen):
    job = make_job(employer, status=Job.Status.REJECTED, rejection_reason="Say what the pay is.")

    form = employer_client.get(f"/careers/{job.pk}/edit/")
    employer_client.post(f"/careers/{job.pk}/edit/", FORM | {"title": "Better title"})

    job.refresh_from_db()
    assert 'value="Remote Risk Adjustment Coder"' in form.content.decode()
    assert (job.title, job.status, job.rejection_reason) == ("Better title", "pending", "")
    assert job.slug == "better-title"


def test_an_untrusted_employers_edit_of_a_live_posting_waits_for_staff_again(
    employer_client, employer, frozen
):
    job = make_job(employer, posted=NOW - DAY)

    employer_client.post(f"/careers/{job.pk}/edit/", FORM | {"title": "Now something else"})

    job.refresh_from_db()
    assert job.status == Job.Status.PENDING
    assert job.published_at == NOW - DAY  # its posting date stays when staff approve it again


def test_a_trusted_employers_edit_stays_live(employer_client, employer, frozen):
    make_job(employer, title="Earlier one", posted=NOW - 90 * DAY)
    job = make_job(employer, posted=NOW - DAY)

    employer_client.post(f"/careers/{job.pk}/edit/", FORM | {"title": "Clarified title"})

    job.refresh_from_db()
    assert (job.title, job.status) == ("Clarified title", "approved")


@pytest.mark.parametrize("status", [Job.Status.CLOSED, Job.Status.REMOVED])
def test_closed_and_removed_postings_no_longer_change(employer_client, employer, frozen, status):
    job = make_job(employer, status=status)

    response = employer_client.post(f"/careers/{job.pk}/edit/", FORM | {"title": "Changed"})

    job.refresh_from_db()
    assert response["Location"] == "/careers/mine/"
    assert job.title != "Changed"


def test_renew_gives_an_approved_posting_thirty_days_from_now(employer_client, employer, frozen):
    expired = make_job(employer, title="Expired", posted=NOW - 40 * DAY)
    pending = make_job(employer, title="Pending", status=Job.Status.PENDING)

    employer_client.post(f"/careers/{expired.pk}/renew/")
    employer_client.post(f"/careers/{pending.pk}/renew/")

    expired.refresh_from_db()
    pending.refresh_from_db()
    assert expired.expires_at == NOW + 30 * DAY
    assert expired.published_at == NOW - 40 * DAY  # renewing is not a new posting
    assert pending.expires_at is None
    assert listed(employer_client) == ["Expired"]


def test_close_takes_an_open_posting_off_the_board(employer_client, employer, client, frozen):
    job = make_job(employer, title="Filled position")

    response = employer_client.post(f"/careers/{job.pk}/close/")

    job.refresh_from_db()
    assert response["Location"] == "/careers/mine/"
    assert job.status == Job.Status.CLOSED
    assert listed(employer_client) == []


def test_my_postings_lists_each_with_status_views_and_apply_clicks(
    employer_client, employer, frozen
):
    counted = make_job(employer, title="Open one")
    JobCounter.objects.create(job=counted, views=12, apply_clicks=3)
    old = make_job(employer, title="Old one", posted=NOW - 45 * DAY)
    JobCounter.objects.create(job=old, views=80, apply_clicks=9)
    make_job(employer, title="Waiting one", status=Job.Status.PENDING)
    make_job(employer, title="Refused one", status=Job.Status.REJECTED,
             rejection_reason="No pay given.")  # fmt: skip
    make_job(employer, title="Filled one", status=Job.Status.CLOSED)
    make_job(employer, title="Spam one", status=Job.Status.REMOVED, rejection_reason="Spam.")

    html = employer_client.get("/careers/mine/").content.decode()

    for title, label in [
        ("Open one", "Open"),
        ("Old one", "Expired"),
        ("Waiting one", "Waiting for approval"),
        ("Refused one", "Rejected"),
        ("Filled one", "Closed"),
        ("Spam one", "Removed by staff"),
    ]:
        entry = html[html.index(title) :].split("</li>\n  \n  <li")[0]
        assert 'class="badge badge-state-' in entry and f">{label}</span>" in entry, title
    assert "<dt>Views</dt><dd>12</dd>" in html and "<dt>Apply clicks</dt><dd>3</dd>" in html
    assert "<dt>Views</dt><dd>80</dd>" in html and "<dt>Apply clicks</dt><dd>9</dd>" in html
    assert "No pay given." in html and "Spam." in html
    assert html.count("<dt>Views</dt><dd>0</dd>") == 4  # never opened: no counter row yet


def test_expiry_is_thirty_days_after_approval_whatever_day_it_is(employer_client, employer, frozen):
    job = make_job(employer, posted=NOW)
    frozen.move_to(NOW + 30 * DAY - datetime.timedelta(seconds=1))
    assert employer_client.get(job.get_absolute_url()).context["lifecycle"] == "approved"
    frozen.move_to(NOW + 30 * DAY)
    assert employer_client.get(job.get_absolute_url()).context["lifecycle"] == "expired"


def test_a_pending_posting_closed_by_its_employer_stays_unseen(employer_client, employer, frozen):
    employer_client.post("/careers/post/", FORM)
    job = Job.objects.get()
    assert job.status == Job.Status.PENDING

    employer_client.post(f"/careers/{job.pk}/close/")

    job.refresh_from_db()
    assert job.status == Job.Status.CLOSED
    assert job.published_at is None
    assert employer_client.get(job.get_absolute_url()).status_code == 200
    employer_client.logout()
    assert employer_client.get(job.get_absolute_url()).status_code == 404
    assert employer_client.get(f"/careers/apply/{job.pk}/").status_code == 404
    employer_client.force_login(make_account("other@example.com"))
    assert employer_client.get(job.get_absolute_url()).status_code == 404
    assert employer_client.get(f"/careers/apply/{job.pk}/").status_code == 404
