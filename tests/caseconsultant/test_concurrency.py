"""Twenty questions sent at once by a free account with one left: exactly one is stored."""

import pytest
from django.core.management import call_command

from caseconsultant import services
from caseconsultant.models import Message, Question
from codes.models import Code
from metering.plans import plans_forget
from tests.caseconsultant.conftest import make_member
from tests.conftest import restore_plans
from tests.helpers import in_parallel

pytestmark = pytest.mark.django_db(transaction=True)


def test_twenty_parallel_questions_with_one_left_store_exactly_one():
    call_command("load_demo", verbosity=0)
    restore_plans()
    plans_forget()
    member = make_member("parallel-asker@example.com")
    code = Code.objects.get(code_set__slug="cpt", identifier="99213")

    def send(n: int) -> bool:
        try:
            services.question_submit(
                asker=member, subject=f"Question {n}", body="A 50-year-old man had 99213.",
                codes=[code], setting="professional", payer_type="medicare",
            )  # fmt: skip
        except services.QuotaExhausted:
            return False
        return True

    results = in_parallel(send, range(20))

    assert results.count(True) == 1
    assert Question.objects.count() == 1 and Message.objects.count() == 1
