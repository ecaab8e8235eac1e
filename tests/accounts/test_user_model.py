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
