"""The CaseConsultant quota (metering.questions): per plan and period, enforced by the database."""

import datetime

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction

from accounts.models import User
from metering.models import Plan, QuestionQuota
from metering.plans import plans_forget
from metering.questions import question_allowance, question_charge
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

MARCH = datetime.datetime(2026, 3, 10, 12, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def fresh_plans():
    plans_forget()
    yield
    plans_forget()


def test_the_seeded_allowances_are_free_1_premium_10_guests_none_staff_unlimited():
    allowances = dict(Plan.objects.values_list("slug", "consultant_questions_per_period"))

    assert allowances == {"guest": 0, "free": 1, "premium": 10, "staff": None}


@time_machine.travel(MARCH, tick=False)
def test_a_free_account_asks_once_a_month(verified_user):
    assert question_charge(account=verified_user) is True
    assert question_charge(account=verified_user) is False

    allowance = question_allowance(account=verified_user)
    assert (allowance.used, allowance.allowance, allowance.remaining) == (1, 1, 0)
    assert allowance.resets_on == datetime.date(2026, 4, 1)
    assert not allowance.may_ask


def test_the_allowance_resets_with_the_period(verified_user):
    with time_machine.travel(MARCH, tick=False):
        assert question_charge(account=verified_user)
        assert not question_charge(account=verified_user)
    with time_machine.travel(datetime.datetime(2026, 4, 1, 0, 0, 1, tzinfo=datetime.UTC)):
        assert question_charge(account=verified_user)


def test_premium_asks_ten(premium_user):
    results = [question_charge(account=premium_user) for _ in range(11)]

    assert results == [True] * 10 + [False]


def test_an_unverified_account_gets_the_guest_allowance_of_none(db):
    user = User.objects.create_user("unverified@example.com", PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)

    assert question_charge(account=user) is False
    assert QuestionQuota.objects.count() == 0


def test_staff_are_unlimited(db):
    staff = User.objects.create_user("staff@example.com", PASSWORD, is_staff=True)

    assert all(question_charge(account=staff) for _ in range(25))
    assert question_allowance(account=staff).remaining is None


def test_an_editors_change_to_the_plan_applies_at_once(verified_user):
    assert question_charge(account=verified_user)
    Plan.objects.filter(slug=Plan.FREE).update(consultant_questions_per_period=3)

    assert question_charge(account=verified_user)
    assert question_charge(account=verified_user)
    assert not question_charge(account=verified_user)


def test_lowering_the_allowance_below_what_was_used_refuses_without_error(verified_user):
    Plan.objects.filter(slug=Plan.FREE).update(consultant_questions_per_period=3)
    for _ in range(3):
        assert question_charge(account=verified_user)
    Plan.objects.filter(slug=Plan.FREE).update(consultant_questions_per_period=1)

    assert question_charge(account=verified_user) is False
    assert QuestionQuota.objects.get().used == 3


def test_the_database_refuses_more_than_the_allowance(verified_user):
    question_charge(account=verified_user)

    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionQuota.objects.update(used=2)
