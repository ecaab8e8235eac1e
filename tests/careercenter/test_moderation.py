"""Staff moderate postings in the admin: pending first; approve, reject or remove with a reason,
in bulk; each employer is emailed through the task queue; any posting can be edited."""

import re

import pytest
from django.core import mail
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from careercenter import services
from careercenter.models import Job
from tests.careercenter.conftest import (
    DAY,
    NOW,
    make_account,
    make_employer,
    make_job,
    moderators_group,
)
from tests.conftest import html_of

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/careercenter/job/"


@pytest.fixture
def moderator(db):
    user = make_account("moderator@codeahead.example", is_staff=True)
    user.groups.add(moderators_group())
    return user


@pytest.fixture
def staff_client(client, moderator):
    client.force_login(moderator)
    return client


def act(client, action: str, jobs: list[Job], **extra: str):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [job.pk for job in jobs], **extra},
    )


def test_pending_postings_come_first_in_the_admin(staff_client, frozen):
    make_job(title="Approved earlier", posted=NOW - DAY)
    make_job(title="Waiting longest", status=Job.Status.PENDING, posted=NOW - 3 * DAY)
    make_job(title="Rejected", status=Job.Status.REJECTED)
    make_job(title="Waiting newest", status=Job.Status.PENDING, posted=NOW - DAY)

    html = staff_client.get(CHANGELIST).content.decode()

    order = re.findall(r'class="field-title"><a href="[^"]+">([^<]+)</a>', html)
    assert order[:2] == ["Waiting newest", "Waiting longest"]
    assert set(order[2:]) == {"Approved earlier", "Rejected"}


def test_approving_in_bulk_publishes_for_thirty_days_and_mails_each_employer(
    staff_client, moderator, frozen
):
    first = make_job(make_employer("hr@one.example", "One"), status=Job.Status.PENDING,
                     title="Coder one")  # fmt: skip
    second = make_job(make_employer("hr@two.example", "Two"), status=Job.Status.PENDING,
                      title="Coder two")  # fmt: skip
    live = make_job(title="Already live", posted=NOW - 5 * DAY)

    response = act(staff_client, "approve", [first, second, live])

    assert response.status_code == 302
    for job in (first, second):
        job.refresh_from_db()
        assert (job.status, job.published_at, job.expires_at) == ("approved", NOW, NOW + 30 * DAY)
        assert job.moderated_by == moderator
    live.refresh_from_db()
    assert live.published_at == NOW - 5 * DAY  # untouched
    assert sorted(m.to[0] for m in mail.outbox) == ["hr@one.example", "hr@two.example"]
    message = next(m for m in mail.outbox if m.to == ["hr@one.example"])
    assert message.subject == "Your job posting is live: Coder one"
    assert f"http://127.0.0.1:8000{first.get_absolute_url()}" in message.body
    assert "April 2, 2026" in message.body
    listed = staff_client.get(CHANGELIST + "?status__exact=approved").content.decode()
    assert "Coder one" in listed


def test_rejecting_asks_for_a_reason_then_mails_it(staff_client, frozen):
    jobs = [make_job(status=Job.Status.PENDING, title=f"Posting {n}") for n in range(2)]

    asked = act(staff_client, "reject", jobs)
    empty = act(staff_client, "reject", jobs, reason="  ")
    done = act(staff_client, "reject", jobs, reason="State the pay range, please.")

    assert asked.status_code == 200
    assert 'name="reason"' in asked.content.decode() and "Posting 0" in asked.content.decode()
    assert empty.status_code == 200 and "This field is required" in empty.content.decode()
    assert done.status_code == 302
    for job in jobs:
        job.refresh_from_db()
        assert (job.status, job.rejection_reason) == ("rejected", "State the pay range, please.")
    assert len(mail.outbox) == 2
    assert mail.outbox[0].subject.startswith("Your job posting was not approved: Posting")
    assert "State the pay range, please." in mail.outbox[0].body
    assert "State the pay range, please." in html_of(mail.outbox[0])
    assert "/edit/" in mail.outbox[0].body


def test_removing_makes_the_page_gone_and_mails_the_employer(staff_client, client, frozen):
    job = make_job(title="Not a coding job")

    act(staff_client, "remove", [job], reason="This is not a coding job.")

    job.refresh_from_db()
    assert job.status == Job.Status.REMOVED
    assert mail.outbox[0].subject == "Your job posting was removed: Not a coding job"
    assert "This is not a coding job." in mail.outbox[0].body
    staff_client.logout()
    assert client.get(job.get_absolute_url()).status_code == 410


def test_a_decision_only_applies_to_postings_in_a_state_it_fits(moderator, frozen):
    pending = make_job(status=Job.Status.PENDING)
    closed = make_job(status=Job.Status.CLOSED)
    removed = make_job(status=Job.Status.REMOVED)

    rejected = services.jobs_reject(
        job_ids=[pending.pk, closed.pk, removed.pk], moderator=moderator, reason="No."
    )
    approved = services.jobs_approve(job_ids=[closed.pk, removed.pk], moderator=moderator)

    assert (rejected, approved) == ([pending.pk], [])
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("decide", [services.jobs_reject, services.jobs_remove])
def test_a_rejection_or_removal_without_a_reason_changes_nothing(moderator, frozen, decide):
    job = make_job(status=Job.Status.PENDING)

    with pytest.raises(ValueError, match="needs a reason"):
        decide(job_ids=[job.pk], moderator=moderator, reason=" \n ")

    job.refresh_from_db()
    assert (job.status, job.rejection_reason, job.moderated_at) == (Job.Status.PENDING, "", None)
    assert len(mail.outbox) == 0


def test_a_reason_is_kept_without_its_surrounding_blanks(moderator, frozen):
    job = make_job(status=Job.Status.PENDING)

    services.jobs_remove(job_ids=[job.pk], moderator=moderator, reason="  Spam.\n")

    job.refresh_from_db()
    assert (job.status, job.rejection_reason) == (Job.Status.REMOVED, "Spam.")


def test_an_approval_after_a_rejection_keeps_nothing_of_the_reason(moderator, frozen):
    job = make_job(status=Job.Status.REJECTED, rejection_reason="Missing pay.")

    services.jobs_approve(job_ids=[job.pk], moderator=moderator)

    job.refresh_from_db()
    assert (job.status, job.rejection_reason) == ("approved", "")


def test_the_mail_is_a_task_enqueued_with_the_decision(moderator, frozen, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}
    }
    kept = make_job(status=Job.Status.PENDING)
    undone = make_job(status=Job.Status.PENDING)

    services.jobs_approve(job_ids=[kept.pk], moderator=moderator)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.jobs_approve(job_ids=[undone.pk], moderator=moderator)
        raise RuntimeError("the admin request failed after deciding")

    rows = list(DBTaskResult.objects.values_list("task_path", "args_kwargs"))
    assert rows == [
        (
            "careercenter.tasks.send_moderation_mail",
            {"args": [], "kwargs": {"job_id": kept.pk, "decision": "approved"}},
        )
    ]
    assert mail.outbox == []  # the worker sends it, never the request
    undone.refresh_from_db()
    assert undone.status == Job.Status.PENDING


def test_staff_edit_any_posting_and_the_markdown_is_rendered_again(staff_client, frozen):
    job = make_job(description_markdown="Old text.")
    form = staff_client.get(f"{CHANGELIST}{job.pk}/change/")
    data = {
        field.name: field.value()
        for field in form.context["adminform"].form
        if field.name not in ("credentials",)
    }
    data |= {"credentials": "CRC,CPC", "description_markdown": "New **text** <script>x</script>"}
    data = {k: ("" if v is None else v) for k, v in data.items()}

    response = staff_client.post(f"{CHANGELIST}{job.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    job.refresh_from_db()
    assert "<strong>text</strong>" in job.description_html
    assert "<script" not in job.description_html


def test_postings_are_removed_never_deleted_and_never_added_in_the_admin(staff_client, frozen):
    job = make_job()

    assert staff_client.get(f"{CHANGELIST}{job.pk}/delete/").status_code == 403
    assert staff_client.get(f"{CHANGELIST}add/").status_code == 403
    assert "delete_selected" not in staff_client.get(CHANGELIST).content.decode()


def test_only_staff_with_the_permission_moderate(client, frozen):
    job = make_job(status=Job.Status.PENDING)
    client.force_login(make_account("editor@codeahead.example", is_staff=True))

    assert client.get(CHANGELIST).status_code == 403
    act(client, "approve", [job])
    job.refresh_from_db()
    assert job.status == Job.Status.PENDING
    client.force_login(make_employer("hr@x.example", "X").account)
    assert client.get(CHANGELIST).status_code == 302  # to the login page


def test_renaming_an_employer_in_the_admin_renames_it_on_every_job(client, frozen):
    employer = make_employer(organization="Riverside Clinic")
    job = make_job(employer, title="Inpatient coder")
    client.force_login(make_account("admin@codeahead.example", is_staff=True, is_superuser=True))

    response = client.post(
        f"/admin/careercenter/employerprofile/{employer.pk}/change/",
        {"organization": "Harborview Health", "website": ""},
    )

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.organization == "Harborview Health"
    client.logout()
    found = client.get("/careers/?q=harborview").context["page"].object_list
    assert [j.title for j in found] == ["Inpatient coder"]
    assert list(client.get("/careers/?q=riverside").context["page"].object_list) == []
