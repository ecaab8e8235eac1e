import pytest
from django.core.management import call_command

from tests.factories import make_code


@pytest.fixture(scope="session", autouse=True)
def search_vector_dir(tmp_path_factory):
    """Search's memory-mapped vectors (codes/vectors.py) go to a folder of the test run."""
    from django.conf import settings

    settings.SEARCH_VECTOR_DIR = tmp_path_factory.mktemp("vectors")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every database test starts with the demo data that `make run` serves."""
    with django_db_blocker.unblock():
        call_command("load_demo", verbosity=0)


def restore_plans() -> None:
    """Transactional tests flush every table, the plans a migration seeded included."""
    from importlib import import_module

    from metering.models import Plan

    seed = import_module("accounts.migrations.0002_seed_plans")  # the plans as first seeded
    questions = import_module("metering.migrations.0006_seed_question_allowances")
    casepilot = import_module("metering.migrations.0008_casepilot_questions")
    for slug, name, views, access, description in seed.PLANS:
        Plan.objects.update_or_create(
            slug=slug,
            defaults={"name": name, "views_per_period": views, "access": access,
                      "description": description,
                      "consultant_questions_per_period": questions.QUESTION_ALLOWANCES[slug],
                      "casepilot_questions_per_period": casepilot.CASEPILOT_ALLOWANCES[slug]},
        )  # fmt: skip


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Production hashing is slow by design; tests hash many passwords."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def code_factory(db):
    return make_code


PASSWORD = "correct horse battery staple 7"


@pytest.fixture
def verified_user(db):
    """A free account whose email address is verified, as after a finished signup."""
    from allauth.account.models import EmailAddress

    from accounts.models import User

    user = User.objects.create_user("coder@example.com", PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def premium_user(verified_user):
    from metering.models import Plan

    verified_user.plan = Plan.objects.get(slug=Plan.PREMIUM)
    verified_user.save()
    return verified_user


@pytest.fixture
def reader(client, premium_user):
    """A client signed in on the premium plan: every code page, every section, no counting."""
    client.force_login(premium_user)
    return client


def html_of(message) -> str:
    """The HTML alternative of a sent mail."""
    return next(str(c) for c, mimetype in message.alternatives if mimetype == "text/html")


IMMEDIATE_TASKS = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "email"],
    }
}


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """Tasks run inline, where their delivery is not the point: mail lands in mail.outbox.
    Tests of the queue itself switch back to the database backend (tests/common)."""
    settings.TASKS = IMMEDIATE_TASKS
