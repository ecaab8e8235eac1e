"""Counting views. A view is the first time a viewer opens a given code's page in the period;
opening it again is free.

The decision and the charge are one statement: the database function `metering_open`
(metering/sql/metering_open.sql, installed by a migration). In one round trip it reads the
viewer's meters, says whether the code is already unlocked for them, and, when it may charge,
locks the meters in a fixed order, re-checks every allowance under the locks, records the view
on each meter that has not seen this code and increments them. The allowances of plan meters are
read from the plan rows at that moment. Of N parallel requests with one view left, exactly one
passes, on any number of app servers; a check constraint (`used <= allowance`) and a unique
(meter, code) row back it up.
"""

import datetime
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

from metering.models import Meter, MeterView, Plan
from metering.plans import next_period_start, period_name, period_start, today_utc
from metering.viewers import (
    MeteredAccount,
    Viewer,
    account_viewer,
    guest_id,
    viewer_for,
)

__all__ = [
    "AccountUsage",
    "MeterState",
    "account_usage",
    "meter_carry_guest_views",
    "meter_open",
    "viewer_for",
]


class CodeRef(NamedTuple):
    """A code known by its primary key only."""

    pk: int


@dataclass(frozen=True, slots=True)
class MeterState:
    """The meter's answer for one code page."""

    unlocked: bool
    remaining: int | None  # None: unlimited
    newly_viewed: bool = False
    plans_version: int | None = None


class Identified(Protocol):
    """A catalogue row (codes.Code): metering needs only its primary key."""

    @property
    def pk(self) -> Any: ...


def meter_open(*, viewer: Viewer, code: Identified, charge: bool) -> MeterState:
    """Whether `viewer` may see `code`'s page, recording a view when `charge` allows it.

    One query, whatever happens. A guest without an id (a HEAD request, a prefetch) is never
    charged.
    """
    if viewer.kind == "guest" and viewer.guest_id is None:
        charge = False
    meters = viewer.meters
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT unlocked, remaining, newly_viewed, plans_version "
            "FROM metering_open(%s, %s::text[], %s::text[], %s::date[], %s::text[], "
            "%s::integer[], %s, %s)",
            [
                code.pk,
                [m.scope for m in meters],
                [m.key for m in meters],
                [m.period_start for m in meters],
                [m.plan for m in meters],
                [m.limit for m in meters],
                charge,
                timezone.now(),
            ],
        )
        unlocked, remaining, newly_viewed, version = cursor.fetchone()
    return MeterState(unlocked, remaining, newly_viewed, version)


# Signing in and account pages


def meter_carry_guest_views(*, user: MeteredAccount, request: HttpRequest) -> int:
    """Count the request's guest's views of this period against `user`'s account, oldest
    first, as far as the account's allowance goes. Returns how many codes were carried over."""
    guest = guest_id(request, create=False)
    if guest is None:
        return 0
    start = period_start(today_utc())
    codes = list(
        MeterView.objects.filter(
            meter__scope=Meter.Scope.GUEST, meter__key=guest, meter__period_start=start
        )
        .order_by("viewed_at")
        .values_list("code_id", flat=True)
    )
    viewer = account_viewer(user)
    carried = 0
    for code_id in codes:
        state = meter_open(viewer=viewer, code=CodeRef(code_id), charge=True)
        carried += state.newly_viewed
        if not state.unlocked:
            break
    return carried


@dataclass(frozen=True, slots=True)
class AccountUsage:
    plan: Plan
    ends_on: datetime.date | None  # the last day of the plan in force, when it has one
    used: int
    remaining: int | None
    allowance: int | None
    resets_on: datetime.date
    period: str
    viewed: list[MeterView]


def account_usage(*, user: MeteredAccount) -> AccountUsage:
    """The account page's figures: plan, views used and left, reset date, codes viewed
    (three queries)."""
    today = today_utc()
    viewer = account_viewer(user, today=today)
    meter = Meter.objects.filter(
        scope=Meter.Scope.ACCOUNT, key=user.meter_key, period_start=period_start(today)
    ).first()
    allowance = viewer.plan.views_per_period
    used = meter.used if meter else 0
    viewed = (
        list(meter.views.select_related("code__code_set").order_by("-viewed_at")) if meter else []
    )
    return AccountUsage(
        plan=viewer.plan,
        ends_on=user.plan_ends_on if viewer.plan.pk == user.plan_id else None,
        used=used,
        remaining=None if allowance is None else max(0, allowance - used),
        allowance=allowance,
        resets_on=next_period_start(today),
        period=period_name(),
        viewed=viewed,
    )
