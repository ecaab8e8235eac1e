import pytest
from django.core.management import call_command

from tests.factories import make_code


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every database test starts with the demo data that `make run` serves."""
    with django_db_blocker.unblock():
        call_command("load_demo", verbosity=0)


@pytest.fixture
def code_factory(db):
    return make_code
