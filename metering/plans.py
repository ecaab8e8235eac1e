"""Plans, periods and the words that depend on them.

- Plans are rows (`Plan`): Guest, Free, Premium and Staff, with an allowance of code pages per
  period and the content sections they may read. Editors change them in the admin.
- A period is a calendar month in UTC (`METER_PERIOD=month`, the default) or a UTC day.
- An account is on its chosen plan until `plan_ends_on` has passed, then on Free; staff members
  are always on Staff; an account whose address is not verified yet counts as a guest.

Plans are read once per process. The meter (metering.meter) reports the plans' version with every
answer, so a process notices an editor's change on its next code page and reads them again.
"""

import datetime
import threading
from dataclasses import dataclass
from typing import Protocol

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from metering.models import Plan, PlanChange

# Periods


def today_utc() -> datetime.date:
    return timezone.now().astimezone(datetime.UTC).date()


def period_start(today: datetime.date) -> datetime.date:
    """First day of the metering period holding `today`."""
    return today if settings.METER_PERIOD == "day" else today.replace(day=1)


def next_period_start(today: datetime.date) -> datetime.date:
    """First day of the next period: when the allowance resets."""
    if settings.METER_PERIOD == "day":
        return today + datetime.timedelta(days=1)
    first = today.replace(day=1)
    return (first + datetime.timedelta(days=32)).replace(day=1)


def period_name() -> str:
    """The period in words, for "6 code page views a month" and "this month's views"."""
    return "day" if settings.METER_PERIOD == "day" else "month"


# Plans


@dataclass(frozen=True, slots=True)
class PlanBook:
    """Every plan, by slug, as one process last read them."""

    by_slug: dict[str, Plan]
    by_id: dict[int, Plan]
    version: int | None

    @property
    def guest(self) -> Plan:
        return self.by_slug[Plan.GUEST]

    @property
    def free(self) -> Plan:
        return self.by_slug[Plan.FREE]

    @property
    def premium(self) -> Plan:
        return self.by_slug[Plan.PREMIUM]

    @property
    def staff(self) -> Plan:
        return self.by_slug[Plan.STAFF]


# Bumped by a trigger on every write to the plan table (metering/migrations/0004).
PLANS_VERSION_SQL = "(SELECT value FROM metering_plans_version)"

_book: PlanBook | None = None
_lock = threading.Lock()


def _read_book() -> PlanBook:
    """One query: the rows with the version they were read at."""
    plans = list(Plan.objects.annotate(version=RawSQL(PLANS_VERSION_SQL, [])))  # noqa: S611
    return PlanBook(
        by_slug={plan.slug: plan for plan in plans},
        by_id={plan.pk: plan for plan in plans},
        version=plans[0].version if plans else None,  # type: ignore[attr-defined]
    )


def plan_book(*, version: int | None = None, fresh: bool = False) -> PlanBook:
    """The plans. Read on first use; read again when `version` (as the meter reported it) is not
    the one they were read at, or when `fresh` is asked for (pages that show plans to sell)."""
    global _book
    book = _book
    if book is None or fresh or (version is not None and version != book.version):
        with _lock:
            book = _book = _read_book()
    return book


def plans_forget() -> None:
    """Drop this process's copy (tests that change plan rows behind the meter's back)."""
    global _book
    _book = None


class PlanHolder(Protocol):
    """What metering needs of an account to know its plan (accounts.User has it)."""

    @property
    def is_staff(self) -> bool: ...
    @property
    def plan_id(self) -> int | None: ...
    @property
    def plan_ends_on(self) -> datetime.date | None: ...


def plan_for(account: PlanHolder, *, today: datetime.date, book: PlanBook | None = None) -> Plan:
    """The plan in force for a verified account: staff first, then the chosen plan unless it has
    ended (the last day of a paid plan is `plan_ends_on`, inclusive), else Free."""
    book = book or plan_book()
    if account.is_staff:
        return book.staff
    if account.plan_ends_on is not None and account.plan_ends_on < today:
        return book.free
    plan = book.by_id.get(account.plan_id) if account.plan_id is not None else None
    if plan is None:  # a plan this process has not seen yet: read them again
        plan = plan_book(fresh=True).by_id.get(account.plan_id or 0, book.free)
    return plan


@dataclass(frozen=True, slots=True)
class Allowances:
    """What the sales copy promises, read from the plan rows so it never contradicts them."""

    guest: int
    free: int
    period: str

    @property
    def free_extra(self) -> int:
        return max(0, self.free - self.guest)


def allowances(*, book: PlanBook | None = None) -> Allowances:
    book = book or plan_book(fresh=True)
    return Allowances(
        guest=book.guest.views_per_period or 0,
        free=book.free.views_per_period or 0,
        period=period_name(),
    )


def plans_on_offer() -> list[Plan]:
    """The plans a visitor can be on, cheapest first (Staff is not on offer)."""
    book = plan_book(fresh=True)
    return [book.guest, book.free, book.premium]


# Changing plans


@dataclass(frozen=True, slots=True)
class PlanChangeResult:
    changed: bool
    plan: Plan
    ends_on: datetime.date | None


def plan_set(
    *, account_id: int, plan_slug: str, ends_on: datetime.date | None, cause: str
) -> PlanChangeResult:
    """Put an account on a plan until `ends_on` (inclusive; None: no end), recording the change
    and its cause. Nothing is written when the account is already there. Call inside a
    transaction that holds what decided the change (the caller's lock)."""
    users = apps.get_model(settings.AUTH_USER_MODEL)._default_manager
    plan = Plan.objects.get(slug=plan_slug)
    with transaction.atomic():
        account = (
            users.select_related(None)
            .select_for_update()
            .only("plan", "plan_ends_on")
            .get(pk=account_id)
        )
        if account.plan_id == plan.pk and account.plan_ends_on == ends_on:
            return PlanChangeResult(False, plan, ends_on)
        plan_change_record(
            account_id=account_id,
            from_plan_id=account.plan_id,
            from_ends_on=account.plan_ends_on,
            to_plan_id=plan.pk,
            to_ends_on=ends_on,
            cause=cause,
        )
        users.filter(pk=account_id).update(plan=plan, plan_ends_on=ends_on)
    return PlanChangeResult(True, plan, ends_on)


def plan_change_record(
    *,
    account_id: int,
    from_plan_id: int | None,
    from_ends_on: datetime.date | None,
    to_plan_id: int,
    to_ends_on: datetime.date | None,
    cause: str,
) -> None:
    """Record a change of plan made elsewhere (an editor's, in the admin)."""
    PlanChange.objects.create(
        account_id=account_id,
        from_plan_id=from_plan_id,
        from_ends_on=from_ends_on,
        to_plan_id=to_plan_id,
        to_ends_on=to_ends_on,
        cause=cause[:200],
    )
