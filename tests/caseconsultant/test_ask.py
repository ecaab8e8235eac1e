"""Asking at /caseconsultant/ask/: verified accounts, codes checked, the identifier guard, the
quota, the tracking number and the first mail."""

import re

import pytest
import time_machine
from django.core import mail

from caseconsultant.models import (
    ANSWER_TIME,
    DUE_BUSINESS_DAYS,
    Message,
    Question,
    business_days_in_words,
)
from metering.models import Plan, QuestionQuota
from metering.plans import plans_forget
from tests.caseconsultant.conftest import TUESDAY
from tests.conftest import html_of

pytestmark = pytest.mark.django_db

FORM = {
    "subject": "Modifier 25 with a minor procedure",
    "question": "A 67-year-old woman had 11102 and an office visit. Does 99213 take modifier 25?",
    "codes": "99213, e11.9",
    "setting": "professional",
    "payer_type": "medicare",
}


def test_guests_are_invited_to_register(client):
    for path in ("/caseconsultant/", "/caseconsultant/ask/"):
        html = client.get(path).content.decode()
        assert 'href="/accounts/signup/"' in html
        assert "Register a free account to ask" in html
    assert client.post("/caseconsultant/ask/", FORM).status_code == 200
    assert Question.objects.count() == 0


@pytest.fixture
def plans_of_the_day(settings):
    """Allowances an editor changed in the admin, counted per day."""
    settings.METER_PERIOD = "day"
    Plan.objects.filter(slug=Plan.FREE).update(consultant_questions_per_period=3)
    Plan.objects.filter(slug=Plan.PREMIUM).update(consultant_questions_per_period=12)
    plans_forget()
    yield
    plans_forget()


def test_guests_read_the_allowances_of_the_plan_rows(client, plans_of_the_day):
    html = client.get("/caseconsultant/").content.decode()

    assert "Free accounts ask three questions a day, Premium twelve." in html
    assert f"within {ANSWER_TIME}." in html


@time_machine.travel(TUESDAY, tick=False)
def test_the_upgrade_offer_reads_the_premium_plan_row(client, asker, plans_of_the_day):
    client.force_login(asker)
    for subject in ("One", "Two", "Three"):
        assert client.post("/caseconsultant/ask/", FORM | {"subject": subject}).status_code == 302

    html = client.get("/caseconsultant/ask/").content.decode()

    assert "You have used your 3 questions this day" in html
    assert "Premium asks twelve a day" in html


def test_the_answer_time_is_the_due_rule_in_words():
    assert ANSWER_TIME == "two business days"
    assert business_days_in_words(1) == "one business day"
    assert business_days_in_words(DUE_BUSINESS_DAYS) == ANSWER_TIME


@time_machine.travel(TUESDAY, tick=False)
def test_a_question_is_stored_with_its_codes_and_tracking_number(client, asker, consultant):
    client.force_login(asker)

    response = client.post("/caseconsultant/ask/", FORM)

    question = Question.objects.get()
    assert response.status_code == 302
    assert response["Location"] == question.get_absolute_url()
    assert re.fullmatch(r"CC-2026-\d{6}", question.tracking)
    assert question.tracking.endswith(f"{question.pk:06d}")
    assert sorted(str(code) for code in question.codes.all()) == ["CPT® 99213", "ICD-10-CM E11.9"]
    assert (question.setting, question.payer_type, question.status) == (
        "professional", "medicare", "open",
    )  # fmt: skip
    assert question.messages.get().body_markdown == FORM["question"]
    thread = client.get(question.get_absolute_url()).content.decode()
    assert 'href="/codes/cpt/99213/"' in thread and 'href="/codes/icd10cm/E11.9/"' in thread


@time_machine.travel(TUESDAY, tick=False)
def test_the_asker_and_the_consultants_are_mailed(client, asker, consultant):
    client.force_login(asker)
    client.post("/caseconsultant/ask/", FORM)
    question = Question.objects.get()

    by_recipient = {message.to[0]: message for message in mail.outbox}

    assert set(by_recipient) == {asker.email, consultant.email}
    received = by_recipient[asker.email]
    assert received.subject == f"[{question.tracking}] We received your question: {FORM['subject']}"
    assert f"http://127.0.0.1:8000{question.get_absolute_url()}" in received.body
    assert "<html" in html_of(received)
    assert "Claim it in the desk" in by_recipient[consultant.email].body


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("question", "Mr. Jones, DOB 04/05/1950, had 99213 with modifier 25."),
        ("question", "Call the patient at 555-867-5309 about the 99213 denial."),
        ("question", "MRN 4482913: is 99213 right for this visit?"),
        ("subject", "John Smith 3/4/1962 modifier question"),
    ],
)
def test_patient_identifiers_are_refused_and_nothing_is_stored(client, asker, field, text):
    client.force_login(asker)

    response = client.post("/caseconsultant/ask/", FORM | {field: text})

    assert response.status_code == 400
    assert "looks like it holds patient identifiers" in response.content.decode()
    assert "Nothing was saved" in response.content.decode()
    assert (Question.objects.count(), Message.objects.count()) == (0, 0)
    assert QuestionQuota.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("codes", "error"),
    [
        ("99999", "No code “99999” in any code set."),
        ("not-a-code", "“not-a-code” is not a code."),
        ("cpt/E11.9", "No code “cpt/E11.9” in any code set."),
        (", ".join(["99213"] * 3 + [f"9921{n}" for n in range(11)]), "At most 10 codes"),
    ],
)
def test_unknown_codes_are_a_form_error(client, asker, codes, error):
    client.force_login(asker)

    response = client.post("/caseconsultant/ask/", FORM | {"codes": codes})

    assert response.status_code == 400
    assert error in response.content.decode()
    assert Question.objects.count() == 0


def test_a_code_in_two_sets_asks_which(client, asker, code_factory):
    from codes.models import CodeSet

    code_factory(code_set=CodeSet.objects.get(slug="hcpcs"), identifier="E1190")
    code_factory(code_set=CodeSet.objects.get(slug="icd10cm"), identifier="E11.90")
    client.force_login(asker)

    ambiguous = client.post("/caseconsultant/ask/", FORM | {"codes": "E1190"})
    chosen = client.post("/caseconsultant/ask/", FORM | {"codes": "icd10cm/E11.90"})

    assert "write hcpcs/E1190 or icd10cm/E11.90" in ambiguous.content.decode()
    assert chosen.status_code == 302
    assert [str(c) for c in Question.objects.get().codes.all()] == ["ICD-10-CM E11.90"]


@time_machine.travel(TUESDAY, tick=False)
def test_a_free_account_asks_once_a_month(client, asker):
    client.force_login(asker)
    assert client.post("/caseconsultant/ask/", FORM).status_code == 302

    page = client.get("/caseconsultant/ask/").content.decode()
    refused = client.post("/caseconsultant/ask/", FORM | {"subject": "Another one"})

    assert "You have used your 1 question this month" in page
    assert "Premium asks ten a month" in page
    assert refused.status_code == 400
    assert "You have no question left this month." in refused.content.decode()
    assert Question.objects.count() == 1


def test_bad_choices_and_missing_fields_are_form_errors(client, asker):
    client.force_login(asker)

    response = client.post("/caseconsultant/ask/", FORM | {"setting": "spa", "subject": ""})

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert Question.objects.count() == 0


def test_ask_answers_only_get_and_post(client, asker):
    client.force_login(asker)

    assert client.put("/caseconsultant/ask/").status_code == 405


@time_machine.travel(TUESDAY, tick=False)
def test_the_list_and_the_account_page_show_the_askers_questions(client, asker, stranger):
    client.force_login(asker)
    client.post("/caseconsultant/ask/", FORM)
    question = Question.objects.get()

    mine = client.get("/caseconsultant/").content.decode()
    account = client.get("/accounts/").content.decode()
    client.force_login(stranger)
    theirs = client.get("/caseconsultant/").content.decode()

    for html in (mine, account):
        assert question.tracking in html and f'href="{question.get_absolute_url()}"' in html
    assert "You have used your 1 question this month" in account
    assert question.tracking not in theirs


def test_questions_and_follow_ups_in_a_burst_are_rate_limited(client, asker, settings):
    """Whatever the monthly quota, a member (or an address) cannot send a flood in minutes."""
    from metering.models import Plan

    Plan.objects.filter(slug=Plan.FREE).update(consultant_questions_per_period=None)
    settings.RATE_LIMIT_CONSULTANT = "2/h"
    client.force_login(asker)

    statuses = [client.post("/caseconsultant/ask/", FORM).status_code for _ in range(3)]

    assert statuses == [302, 302, 429]
    assert Question.objects.count() == 2
    assert (
        "several messages in a short time"
        in client.post("/caseconsultant/ask/", FORM).content.decode()
    )
    question = Question.objects.first()
    follow_up = client.post(
        f"{question.get_absolute_url()}follow-up/", {"body": "One more detail."}
    )
    assert follow_up.status_code == 429
