"""Loads the CareerCenter demo (fixtures/careers/jobs.toml, format in FORMAT.md beside it).

The whole file is checked before anything is written; one problem anywhere writes nothing.
Then, in one transaction, missing employers and jobs are created. Jobs that exist already (same
employer and title) are left alone unless `update=True`, which makes them match the file again,
dates included. Dates are relative to `now`, so the demo always shows open, expired and pending
jobs.
"""

import datetime
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from careercenter import services
from careercenter.models import (
    STATE_NAMES,
    Credential,
    EmployerProfile,
    EmploymentType,
    Job,
    JobSetting,
    PayPeriod,
    WorkMode,
)

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "careers" / "jobs.toml"
STATUSES = {"approved", "pending", "rejected", "closed"}
CHOICES = {
    "work_mode": set(WorkMode.values),
    "employment_type": set(EmploymentType.values),
    "setting": set(JobSetting.values),
    "pay_period": set(PayPeriod.values),
}
REQUIRED = ("employer", "title", "status", "description", "work_mode", "employment_type",
            "setting", "pay_min", "pay_period")  # fmt: skip


class DemoJobsError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Summary:
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)

    def __str__(self) -> str:
        return "; ".join(
            f"{kind}: {self.created[kind]} created, {self.updated[kind]} updated, "
            f"{self.unchanged[kind]} unchanged"
            for kind in ("employers", "jobs")
        )


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def check(data: dict[str, Any]) -> list[str]:
    """Every problem in the file, each naming its row."""
    problems = []
    employers = {row.get("key") for row in data.get("employers", [])}
    for number, row in enumerate(data.get("employers", []), 1):
        for name in ("key", "email", "organization"):
            if not row.get(name):
                problems.append(f"employer {number}: {name} is missing")
    seen: set[tuple[str, str]] = set()
    for number, row in enumerate(data.get("jobs", []), 1):
        where = f"job {number} ({row.get('title', '?')})"
        problems += [
            f"{where}: {name} is missing" for name in REQUIRED if row.get(name) in (None, "")
        ]
        if row.get("employer") not in employers:
            problems.append(f"{where}: no employer {row.get('employer')!r}")
        if (row.get("employer"), row.get("title")) in seen:
            problems.append(f"{where}: the employer has this title twice")
        seen.add((row.get("employer"), row.get("title")))
        if row.get("status") not in STATUSES:
            problems.append(f"{where}: status must be one of {sorted(STATUSES)}")
        for name, allowed in CHOICES.items():
            if name in row and row[name] not in allowed:
                problems.append(f"{where}: {name} {row[name]!r} is not one of {sorted(allowed)}")
        if row.get("state") and row["state"] not in STATE_NAMES:
            problems.append(f"{where}: no state {row['state']!r}")
        unknown = set(row.get("credentials", [])) - set(Credential.values)
        if unknown:
            problems.append(f"{where}: unknown credentials {sorted(unknown)}")
        if row.get("work_mode") != WorkMode.REMOTE and not (row.get("city") and row.get("state")):
            problems.append(f"{where}: an on-site or hybrid job needs city and state")
        if bool(row.get("apply_url")) == bool(row.get("apply_email")):
            problems.append(f"{where}: give exactly one of apply_url and apply_email")
        low, high = (
            _decimal(row.get("pay_min", "")),
            _decimal(row.get("pay_max", row.get("pay_min"))),
        )
        if low is None or high is None or low <= 0 or high < low:
            problems.append(f"{where}: pay must be positive, pay_min <= pay_max")
        if row.get("status") in {"approved", "closed"} and "posted_days_ago" not in row:
            problems.append(f"{where}: an approved or closed job needs posted_days_ago")
        if row.get("status") == "approved" and "expires_in_days" not in row:
            problems.append(f"{where}: an approved job needs expires_in_days")
        if row.get("status") == "rejected" and not row.get("rejection_reason"):
            problems.append(f"{where}: a rejected job needs rejection_reason")
    return problems


def read(path: Path = DEMO_FILE) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise DemoJobsError([f"{path.name}: {error}"]) from error
    problems = check(data)
    if problems:
        raise DemoJobsError([f"{path.name}: {problem}" for problem in problems])
    return data


def _job_fields(row: dict[str, Any], organization: str, now: datetime.datetime) -> dict[str, Any]:
    days = datetime.timedelta(days=1)
    posted = now - row["posted_days_ago"] * days if "posted_days_ago" in row else None
    expires = now + row["expires_in_days"] * days if "expires_in_days" in row else None
    if row["status"] == "closed" and expires is None and posted is not None:
        expires = posted + datetime.timedelta(days=settings.CAREERS_POSTING_DAYS)
    low = Decimal(str(row["pay_min"]))
    return {
        "organization": organization,
        "description_markdown": row["description"].strip(),
        "work_mode": row["work_mode"],
        "city": row.get("city", "") if row["work_mode"] != WorkMode.REMOTE else "",
        "state": row.get("state", ""),
        "employment_type": row["employment_type"],
        "setting": row["setting"],
        "credentials": list(row.get("credentials", [])),
        "experience_years": row.get("experience_years", 0),
        "pay_min": low,
        "pay_max": Decimal(str(row.get("pay_max", low))),
        "pay_period": row["pay_period"],
        "apply_url": row.get("apply_url", ""),
        "apply_email": row.get("apply_email", ""),
        "status": row["status"],
        "rejection_reason": row.get("rejection_reason", ""),
        "created_at": (posted or now) - datetime.timedelta(hours=5),
        "published_at": posted,
        "expires_at": expires,
    }


@transaction.atomic
def load_demo_jobs(
    *, path: Path = DEMO_FILE, update: bool = False, now: datetime.datetime | None = None
) -> Summary:
    data = read(path)
    now = now or timezone.now()
    summary = Summary()
    profiles: dict[str, EmployerProfile] = {}
    User = get_user_model()
    for row in data.get("employers", []):
        user = User.objects.filter(email__iexact=row["email"]).first()
        if user is None:
            user = User.objects.create_user(row["email"], None)  # no password: cannot log in
            EmailAddress.objects.create(user=user, email=row["email"], verified=True, primary=True)
        profile = EmployerProfile.objects.filter(account=user).first()
        wanted = {"organization": row["organization"], "website": row.get("website", "")}
        if profile is None:
            profile = services.employer_profile_save(account=user, **wanted)
            summary.created["employers"] += 1
        elif update and any(getattr(profile, k) != v for k, v in wanted.items()):
            # Through the service, so the employer's jobs carry a new organization name.
            profile = services.employer_profile_save(account=user, **wanted)
            summary.updated["employers"] += 1
        else:
            summary.unchanged["employers"] += 1
        profiles[row["key"]] = profile
    for row in data.get("jobs", []):
        profile = profiles[row["employer"]]
        job = Job.objects.filter(employer=profile, title=row["title"]).first()
        if job is not None and not update:
            summary.unchanged["jobs"] += 1
            continue
        fields = _job_fields(row, profile.organization, now)
        if job is None:
            Job.objects.create(employer=profile, title=row["title"], **fields)
            summary.created["jobs"] += 1
        else:
            for name, value in fields.items():
                setattr(job, name, value)
            job.save()
            summary.updated["jobs"] += 1
    return summary
