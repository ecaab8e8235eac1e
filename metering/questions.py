"""Question quotas: questions to our certified coders (CaseConsultant) and to the coding
assistant (CasePilot), per asker, product and period.

Each product's allowance is a column of the plan rows, editable in the admin:
`consultant_questions_per_period` (free 1, premium 10, staff unlimited, guests none) and
`casepilot_questions_per_period` (guest 1, free 10, premium 200, staff unlimited). An account is
counted under its meter key, a guest (CasePilot only) under its random id and, whatever its
cookies say, under its network (the IP prefix's keyed hash of the day) with a daily cap.

Charging is one statement: an insert of the asker's row for the period, or, when it exists, an
increment that happens only while `used` is below the plan's allowance as the database reads it
at that moment. PostgreSQL runs concurrent increments of one row one after the other and re-
checks the condition on the row each finds, so of N parallel questions with one left exactly one
is accepted, on any number of app servers; the check constraint `used <= allowance` backs it up.
CaseConsultant charges in the transaction that stores the question, so a question that is not
stored is not counted.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from metering.models import Meter, Plan, QuestionQuota
from metering.plans import next_period_start, period_name, period_start, today_utc
from metering.viewers import MeteredAccount, Viewer, account_viewer

Product = QuestionQuota.Product

# The plan column holding each product's allowance (a fixed name, never user input).
ALLOWANCE_COLUMNS = {
    Product.CONSULTANT: "consultant_questions_per_period",
    Product.CASEPILOT: "casepilot_questions_per_period",
}

CHARGE_SQL = """
WITH plan AS (
    SELECT {column} AS allowance FROM metering_plan WHERE slug = %s
)
INSERT INTO metering_questionquota AS q (product, key, period_start, used, allowance, touched_at)
SELECT %s, %s, %s, 1, plan.allowance, now() FROM plan
WHERE plan.allowance IS NULL OR plan.allowance >= 1
ON CONFLICT (product, key, period_start) DO UPDATE
    SET used = q.used + 1, allowance = EXCLUDED.allowance, touched_at = EXCLUDED.touched_at
    WHERE EXCLUDED.allowance IS NULL OR q.used < EXCLUDED.allowance
RETURNING q.used, q.allowance
"""

# The same increment against a fixed allowance (a guest network's daily questions).
CHARGE_LIMIT_SQL = """
INSERT INTO metering_questionquota AS q (product, key, period_start, used, allowance, touched_at)
SELECT %(product)s, %(key)s, %(day)s, 1, %(limit)s, now() WHERE %(limit)s >= 1
ON CONFLICT (product, key, period_start) DO UPDATE
    SET used = q.used + 1, allowance = EXCLUDED.allowance, touched_at = EXCLUDED.touched_at
    WHERE q.used < EXCLUDED.allowance
RETURNING q.used
"""


@dataclass(frozen=True, slots=True)
class QuestionAllowance:
    """Where an account stands: its plan's allowance, what it used, when it resets."""

    plan_name: str
    plan_slug: str
    allowance: int | None  # None: unlimited
    used: int
    resets_on: datetime.date
    period: str

    @property
    def remaining(self) -> int | None:
        return None if self.allowance is None else max(0, self.allowance - self.used)

    @property
    def may_ask(self) -> bool:
        return self.remaining is None or self.remaining > 0

    @property
    def upgrade_helps(self) -> bool:
        """The plan is a limited one that a paid plan would raise (not staff, not premium)."""
        return self.plan_slug in {Plan.GUEST, Plan.FREE}


def question_allowance(*, account: MeteredAccount) -> QuestionAllowance:
    """The account's CaseConsultant allowance this period, for the ask page and the account page
    (one query, once the plans are read)."""
    viewer = account_viewer(account, today=today_utc())
    return asker_allowance(viewer=viewer, product=Product.CONSULTANT)


def asker_key(viewer: Viewer) -> str | None:
    """Whose allowance a question of `viewer` counts against: an account's meter key, a guest's
    random id (None: a guest without an id yet)."""
    if viewer.kind == "account":
        return viewer.meters[0].key
    return f"guest:{viewer.guest_id}" if viewer.guest_id else None


def _allowance(viewer: Viewer, product: str, *, used: int) -> QuestionAllowance:
    today = today_utc()
    return QuestionAllowance(
        plan_name=viewer.plan.name,
        plan_slug=viewer.plan.slug,
        allowance=getattr(viewer.plan, ALLOWANCE_COLUMNS[Product(product)]),
        used=used,
        resets_on=next_period_start(today),
        period=period_name(),
    )


def asker_allowance(*, viewer: Viewer, product: str) -> QuestionAllowance:
    """Where the asker `viewer` stands with `product` this period (one query; none for a guest
    without an id yet)."""
    key = asker_key(viewer)
    row = (
        QuestionQuota.objects.filter(
            product=product, key=key, period_start=period_start(today_utc())
        )
        .only("used")
        .first()
        if key
        else None
    )
    return _allowance(viewer, product, used=row.used if row else 0)


def question_charge(*, account: MeteredAccount, product: str = Product.CONSULTANT) -> bool:
    """Count one question against the account's allowance; False, counting nothing, when none
    is left. Call it inside the transaction that stores the question."""
    viewer = account_viewer(account, today=today_utc())
    return question_charge_viewer(viewer=viewer, product=product) is not None


class _NoneLeft(Exception):
    """Raised inside the charging transaction to roll it back."""


def question_charge_viewer(*, viewer: Viewer, product: str) -> QuestionAllowance | None:
    """Count one question of `viewer` against `product`'s allowance and return where the asker
    stands after it; None, counting nothing, when none is left.

    An account is counted under its meter key (one statement). A guest, who needs an id
    (`viewer_for(request, create_guest=True)`), is counted under it and, in the same
    transaction, under its network's IP prefix, at most CASEPILOT_GUEST_NETWORK_DAILY a day,
    so that clearing cookies mints no questions; a refusal by the network rolls the guest's
    own count back.
    """
    key = asker_key(viewer)
    if key is None:
        raise ValueError("a guest is charged under its id: build the viewer with create_guest")
    if viewer.kind == "account":
        row = _charge_key(product=product, plan_slug=viewer.plan.slug, key=key)
        return None if row is None else _allowance(viewer, product, used=row[0])
    network = next(m for m in viewer.meters if m.scope == Meter.Scope.NETWORK_CAP)
    try:
        with transaction.atomic():
            row = _charge_key(product=product, plan_slug=viewer.plan.slug, key=key)
            if row is None or not question_charge_network(
                product=product,
                network=network.key,
                day=network.period_start,
                limit=settings.CASEPILOT_GUEST_NETWORK_DAILY,
            ):
                raise _NoneLeft
    except _NoneLeft:
        return None
    return _allowance(viewer, product, used=row[0])


def _charge_key(*, product: str, plan_slug: str, key: str) -> tuple[int, int | None] | None:
    """Count one question of `key`, on plan `plan_slug`, against `product`'s allowance as the
    plan row says it now: (used, allowance) after it, or None, counting nothing, when none is
    left."""
    sql = CHARGE_SQL.format(column=ALLOWANCE_COLUMNS[Product(product)])
    with connection.cursor() as cursor:
        cursor.execute(sql, [plan_slug, product, key, period_start(today_utc())])
        row = cursor.fetchone()
    return None if row is None else (row[0], row[1])


def question_charge_network(*, product: str, network: str, day: datetime.date, limit: int) -> bool:
    """Count one guest question of the network fingerprint `network` (a keyed hash of the IP
    prefix, replaced daily: metering.viewers.network_of) against `limit` a day, so that clearing
    cookies mints no questions; False, counting nothing, when the network has none left."""
    with connection.cursor() as cursor:
        cursor.execute(
            CHARGE_LIMIT_SQL,
            {"product": product, "key": f"net:{network[:60]}", "day": day, "limit": limit},
        )
        return cursor.fetchone() is not None
