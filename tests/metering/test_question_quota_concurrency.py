"""Twenty questions at once with one left: exactly one is counted (real threads, real
transactions, one connection each)."""

import datetime

import pytest
import time_machine
from allauth.account.models import EmailAddress

from accounts.models import User
from metering.models import Plan, QuestionQuota
from metering.plans import plans_forget
from metering.questions import question_charge
from tests.conftest import PASSWORD, restore_plans
from tests.helpers import in_parallel

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20


@pytest.fixture
def free_user():
    restore_plans()  # transactional tests start with empty tables
    plans_forget()
    user = User.objects.create_user("parallel-questions@example.com", PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def test_twenty_parallel_charges_with_one_left_count_exactly_one(free_user):
    Plan.objects.filter(slug=Plan.FREE).update(consultant_questions_per_period=3)
    with time_machine.travel(datetime.datetime(2026, 5, 5, tzinfo=datetime.UTC), tick=True):
        assert question_charge(account=free_user)
        assert question_charge(account=free_user)

        results = in_parallel(lambda _: question_charge(account=free_user), range(THREADS))

    assert results.count(True) == 1
    assert QuestionQuota.objects.get().used == 3


def test_twenty_parallel_first_charges_of_a_new_period_count_one(free_user):
    with time_machine.travel(datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC), tick=True):
        results = in_parallel(lambda _: question_charge(account=free_user), range(THREADS))

    assert results.count(True) == 1
    assert QuestionQuota.objects.get().used == 1
