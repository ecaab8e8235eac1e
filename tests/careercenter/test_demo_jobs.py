"""The demo jobs in fixtures/careers/: written by us, varied across every filter, loaded by
`make demo` (manage.py load_demo_jobs), idempotent, and checked whole before anything is written."""

import io

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command

from accounts.models import User
from careercenter.models import (
    Credential,
    EmployerProfile,
    EmploymentType,
    Job,
    JobSetting,
    WorkMode,
)
from tests.careercenter.conftest import DAY, NOW

pytestmark = pytest.mark.django_db


def load(*args: str) -> str:
    out = io.StringIO()
    call_command("load_demo_jobs", *args, stdout=out)
    return out.getvalue()


def test_the_demo_has_open_expired_closed_pending_and_rejected_jobs(frozen):
    assert load().startswith("Demo jobs loaded. employers: 6 created")

    open_jobs = list(Job.objects.live(NOW))
    assert Job.objects.count() >= 25
    assert len(open_jobs) >= 20
    assert Job.objects.filter(status="approved", expires_at__lte=NOW).count() >= 2
    assert Job.objects.filter(status="pending").count() >= 2
    assert Job.objects.filter(status="rejected").exists()
    assert Job.objects.filter(status="closed").exists()


def test_the_open_demo_jobs_cover_every_filter(frozen):
    load()
    jobs = list(Job.objects.live(NOW))

    assert {job.work_mode for job in jobs} == set(WorkMode.values)
    assert {job.employment_type for job in jobs} == set(EmploymentType.values)
    assert {job.setting for job in jobs} == set(JobSetting.values)
    assert {c for job in jobs for c in job.credentials} == set(Credential.values)
    assert len({job.state for job in jobs if job.state}) >= 5
    assert {job.pay_period for job in jobs} == {"hour", "year"}
    assert any(job.work_mode == "remote" and job.state for job in jobs)
    assert any(job.apply_email for job in jobs) and any(job.apply_url for job in jobs)


def test_demo_employers_are_verified_and_cannot_log_in(frozen):
    load()

    employers = User.objects.filter(employer_profile__isnull=False)
    assert employers.count() == 6
    assert all(not user.has_usable_password() for user in employers)
    verified = EmailAddress.objects.filter(user__in=employers, verified=True)
    assert verified.count() == 6


def test_loading_again_changes_nothing_and_update_moves_the_dates(frozen):
    load()
    Job.objects.filter(title="Coding Intern").update(title="Edited in the admin")

    again = load()
    frozen.shift(3 * DAY)
    updated = load("--update")

    assert "jobs: 1 created, 0 updated, 30 unchanged" in again  # the renamed one is new again
    assert "jobs: 0 created, 31 updated" in updated
    intern = Job.objects.get(title="Coding Intern")
    assert intern.published_at == NOW + 3 * DAY - 12 * DAY  # posted_days_ago = 12, from now


def test_update_gives_an_employers_other_jobs_the_files_organization_name(frozen):
    load()
    own = Job.objects.get(title="Coding Intern")
    name = own.organization
    EmployerProfile.objects.filter(pk=own.employer_id).update(organization="Old name")
    Job.objects.filter(employer_id=own.employer_id).update(organization="Old name")
    Job.objects.filter(pk=own.pk).update(title="Posted by the employer")  # not in the file

    load("--update")

    own.refresh_from_db()
    assert own.title == "Posted by the employer"
    assert own.organization == name


def test_a_broken_file_loads_nothing_and_names_every_problem(tmp_path, frozen):
    broken = tmp_path / "jobs.toml"
    broken.write_text(
        """
[[employers]]
key = "a"
email = "a@a.example"
organization = "A"

[[jobs]]
employer = "a"
title = "Bad"
status = "live"
description = "x"
work_mode = "onsite"
employment_type = "forever"
setting = "inpatient"
credentials = ["XYZ"]
pay_min = 40
pay_max = 30
pay_period = "hour"

[[jobs]]
employer = "nobody"
title = "Orphan"
status = "pending"
description = "x"
work_mode = "remote"
employment_type = "full_time"
setting = "inpatient"
pay_min = 10
pay_period = "hour"
apply_url = "https://a.example"
""",
        encoding="utf-8",
    )
    err = io.StringIO()

    with pytest.raises(CommandError, match="problem"):
        call_command("load_demo_jobs", "--file", str(broken), stderr=err)

    problems = err.getvalue()
    for text in (
        "status must be one of",
        "employment_type 'forever'",
        "unknown credentials ['XYZ']",
        "needs city and state",
        "exactly one of apply_url and apply_email",
        "pay_min <= pay_max",
        "no employer 'nobody'",
    ):
        assert text in problems, text
    assert not Job.objects.exists() and not User.objects.filter(email="a@a.example").exists()
