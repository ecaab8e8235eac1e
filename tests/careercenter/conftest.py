"""CareerCenter fixtures: employers, coders and jobs at a fixed moment, so that every date (when a
job was posted, when it expires, which day or week an alert is in) is the same on any day the
tests run."""

import datetime
import itertools
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from accounts.models import User
from careercenter import services
from careercenter.models import EmployerProfile, Job
from tests.conftest import PASSWORD

# A Tuesday morning, UTC, in ISO week 10 of 2026.
NOW = datetime.datetime(2026, 3, 3, 9, 30, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)

_numbers = itertools.count(1)


@pytest.fixture
def frozen():
    """The clock stands at NOW (tests move it with `frozen.move_to(...)`)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def make_account(email: str, *, verified: bool = True, **fields: Any) -> User:
    user = User.objects.create_user(email, PASSWORD, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    return user


def make_employer(
    email: str = "hr@employer.example", organization: str = "Riverside Clinic", **fields: Any
) -> EmployerProfile:
    account = make_account(email)
    return EmployerProfile.objects.create(
        account=account, organization=organization, website=fields.get("website", "")
    )


def job_data(**fields: Any) -> services.JobData:
    values: dict[str, Any] = {
        "title": "Remote Risk Adjustment Coder",
        "description_markdown": "Review **Medicare Advantage** charts.\n\n- MEAT criteria",
        "work_mode": "remote",
        "city": "",
        "state": "",
        "employment_type": "full_time",
        "setting": "risk_adjustment",
        "credentials": ["CRC", "CPC"],
        "experience_years": 2,
        "pay_min": Decimal(27),
        "pay_max": Decimal(32),
        "pay_period": "hour",
        "apply_url": "https://employer.example/apply",
        "apply_email": "",
    }
    return services.JobData(**(values | fields))


def make_job(
    employer: EmployerProfile | None = None,
    *,
    status: str = Job.Status.APPROVED,
    posted: datetime.datetime | None = None,
    days_left: int = 30,
    **fields: Any,
) -> Job:
    """A job of `employer` (a new one by default), approved at `posted` (NOW by default) and
    open `days_left` days from then, unless `status` says otherwise."""
    if employer is None:
        number = next(_numbers)
        employer = make_employer(f"hr{number}@employer{number}.example", f"Employer {number}")
    data = job_data(**{k: v for k, v in fields.items() if k in services.JobData.__annotations__})
    extra = {k: v for k, v in fields.items() if k not in services.JobData.__annotations__}
    posted = posted or NOW
    job = Job(
        employer=employer,
        organization=employer.organization,
        status=status,
        created_at=posted - datetime.timedelta(hours=2),
        **vars_of(data),
        **extra,
    )
    if status in (Job.Status.APPROVED, Job.Status.CLOSED, Job.Status.REMOVED):
        job.published_at = posted
        job.expires_at = posted + days_left * DAY
    if status in (Job.Status.REJECTED, Job.Status.REMOVED) and not job.rejection_reason:
        job.rejection_reason = "Not a coding job."
    job.save()
    return job


def vars_of(data: services.JobData) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(data)


def moderators_group() -> Group:
    from importlib import import_module

    from django.apps import apps

    migration = import_module("careercenter.migrations.0002_job_moderators_group")
    migration.create_moderators(apps, None)
    return Group.objects.get(name="Job moderators")


@pytest.fixture
def employer(db):
    return make_employer()


@pytest.fixture
def coder(db):
    return make_account("coder@example.com")


@pytest.fixture
def employer_client(client, employer):
    client.force_login(employer.account)
    return client


@pytest.fixture
def coder_client(client, coder):
    client.force_login(coder)
    return client
