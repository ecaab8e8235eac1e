"""The CaseConsultant quota: questions to our certified coders per account and period.

The allowance is a column of the plan rows (`consultant_questions_per_period`: free 1, premium
10, staff unlimited, guests none), editable in the admin. Charging is one statement: an insert of
the account's row for the period, or, when it exists, an increment that happens only while
`used` is below the plan's allowance as the database reads it at that moment. PostgreSQL runs
concurrent increments of one row one after the other and re-checks the condition on the row each
finds, so of N parallel questions with one left exactly one is accepted, on any number of app
servers; the check constraint `used <= allowance` backs it up. The charge runs in the
transaction that stores the question, so a question that is not stored is not counted.
"""

import datetime
from dataclasses import dataclass

from django.db import connection

from metering.models import Plan, QuestionQuota
from metering.plans import next_period_start, period_name, period_start, today_utc
from metering.viewers import MeteredAccount, account_viewer

CHARGE_SQL = """
WITH plan AS (
    SELECT consultant_questions_per_period AS allowance FROM metering_plan WHERE slug = %s
)
INSERT INTO metering_questionquota AS q (key, period_start, used, allowance, touched_at)
SELECT %s, %s, 1, plan.allowance, now() FROM plan
WHERE plan.allowance IS NULL OR plan.allowance >= 1
ON CONFLICT (key, period_start) DO UPDATE
    SET used = q.used + 1, allowance = EXCLUDED.allowance, touched_at = EXCLUDED.touched_at
    WHERE EXCLUDED.allowance IS NULL OR q.used < EXCLUDED.allowance
RETURNING q.used, q.allowance
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
    """The account's allowance this period, for the ask page and the account page (one query,
    once the plans are read)."""
    today = today_utc()
    viewer = account_viewer(account, today=today)
    row = QuestionQuota.objects.filter(
        key=account.meter_key, period_start=period_start(today)
    ).first()
    return QuestionAllowance(
        plan_name=viewer.plan.name,
        plan_slug=viewer.plan.slug,
        allowance=viewer.plan.consultant_questions_per_period,
        used=row.used if row else 0,
        resets_on=next_period_start(today),
        period=period_name(),
    )


def question_charge(*, account: MeteredAccount) -> bool:
    """Count one question against the account's allowance; False, counting nothing, when none
    is left. Call it inside the transaction that stores the question."""
    today = today_utc()
    plan = account_viewer(account, today=today).plan
    with connection.cursor() as cursor:
        cursor.execute(CHARGE_SQL, [plan.slug, account.meter_key, period_start(today)])
        return cursor.fetchone() is not None
