import pytest
from django.db import IntegrityError

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_users_sign_in_with_their_email():
    user = User.objects.create_user("Coder@Example.COM", "a long password 123")

    assert user.email == "Coder@example.com"
    assert user.check_password("a long password 123")
    assert str(user) == "Coder@example.com"
    assert User.USERNAME_FIELD == "email"


def test_one_account_per_email_whatever_its_case():
    User.objects.create_user("coder@example.com")
    with pytest.raises(IntegrityError, match="accounts_user_email_ci_unique"):
        User.objects.create_user("CODER@example.com")


def test_superusers_are_staff():
    admin = User.objects.create_superuser("admin@example.com", "a long password 123")

    assert admin.is_staff and admin.is_superuser


def test_admin_lists_and_adds_users(admin_client):
    assert admin_client.get("/admin/accounts/user/").status_code == 200
    assert admin_client.get("/admin/accounts/user/add/").status_code == 200


def test_a_session_loads_its_user_as_the_orm_would(client, verified_user):
    """The session's own query builds the user from fixed SQL: every field must be right."""
    from accounts.sessions import SessionStore

    client.force_login(verified_user)
    store = SessionStore(client.cookies["sessionid"].value)
    store.load()
    loaded = store.account

    assert loaded is not None
    for field in User._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(verified_user, field.attname), field.name
    assert loaded.plan.slug == verified_user.plan.slug
    assert loaded.has_verified_email is True


def test_a_session_of_an_unverified_user_says_so(client, verified_user):
    from allauth.account.models import EmailAddress

    from accounts.sessions import SessionStore

    EmailAddress.objects.filter(user=verified_user).update(verified=False)
    client.force_login(verified_user)
    store = SessionStore(client.cookies["sessionid"].value)
    store.load()

    assert store.account.has_verified_email is False
