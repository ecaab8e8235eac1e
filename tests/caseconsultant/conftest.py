import datetime

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from accounts.models import User
from caseconsultant import services
from caseconsultant.models import Question
from codes.models import Code
from tests.conftest import PASSWORD

# A Tuesday morning, UTC: the question is due on Thursday at the same time.
TUESDAY = datetime.datetime(2026, 3, 3, 9, 30, tzinfo=datetime.UTC)


def make_member(email: str, **fields) -> User:
    user = User.objects.create_user(email, PASSWORD, **fields)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def consultants_group() -> Group:
    """The group its migration made (made again after a transactional test emptied the tables)."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("caseconsultant.migrations.0002_consultants_group")
    migration.create_consultants(apps, None)
    return Group.objects.get(name="Consultants")


def make_consultant(email: str = "consultant@codeahead.example") -> User:
    user = make_member(email)
    user.groups.add(consultants_group())
    return User.objects.get(pk=user.pk)  # a fresh copy: permissions are cached per object


@pytest.fixture
def asker(verified_user):
    return verified_user


@pytest.fixture
def consultant(db):
    return make_consultant()


@pytest.fixture
def stranger(db):
    return make_member("stranger@example.com")


def ask(asker, **fields) -> Question:
    values = {
        "subject": "Modifier 25 with a minor procedure",
        "body": "A 67-year-old woman had 11102 and an E/M visit. Is **modifier 25** right?",
        "codes": [Code.objects.get(code_set__slug="cpt", identifier="99213")],
        "setting": "professional",
        "payer_type": "medicare",
    }
    return services.question_submit(asker=asker, **(values | fields))


@pytest.fixture
def question(asker, consultant):
    return ask(asker, now=TUESDAY)
