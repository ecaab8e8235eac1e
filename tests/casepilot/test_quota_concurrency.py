"""Twenty CasePilot questions at once with one left: exactly one is answered (real threads, one
connection each, the whole request through the views)."""

import datetime

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.test import Client

from accounts.models import User
from casepilot.models import Question
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
    user = User.objects.create_user("parallel-casepilot@example.com", PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def test_twenty_parallel_questions_with_one_left_get_exactly_one_answer(free_user):
    assert Plan.objects.get(slug=Plan.FREE).casepilot_questions_per_period == 10
    Plan.objects.filter(slug=Plan.FREE).update(casepilot_questions_per_period=3)
    with time_machine.travel(datetime.datetime(2026, 5, 5, tzinfo=datetime.UTC), tick=True):
        assert question_charge(account=free_user, product="casepilot")
        assert question_charge(account=free_user, product="casepilot")

        def ask(number):
            client = Client()
            client.force_login(free_user)
            response = client.post("/casepilot/", {"question": f"Gallbladder removal? {number}"})
            return response.status_code

        statuses = in_parallel(ask, range(THREADS))

    assert sorted(statuses) == [200] + [403] * (THREADS - 1)
    assert Question.objects.count() == 1
    quota = QuestionQuota.objects.get(product="casepilot")
    assert (quota.used, quota.allowance) == (3, 3)


def test_casepilot_and_caseconsultant_quotas_are_counted_apart(free_user):
    with time_machine.travel(datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)):
        assert question_charge(account=free_user)  # CaseConsultant: free has 1
        assert not question_charge(account=free_user)
        assert all(question_charge(account=free_user, product="casepilot") for _ in range(10))
        assert not question_charge(account=free_user, product="casepilot")

    assert sorted(QuestionQuota.objects.values_list("product", "used")) == [
        ("casepilot", 10),
        ("consultant", 1),
    ]
