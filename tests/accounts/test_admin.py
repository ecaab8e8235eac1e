import datetime

import pytest

from accounts.models import User
from metering.models import Plan
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_admin_login_goes_through_the_site_login(client):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


def test_admin_login_is_rate_limited_like_the_site_login(client, admin_user):
    admin_user.email = "admin@example.com"
    admin_user.set_password(PASSWORD)
    admin_user.save()
    for _ in range(5):
        client.post("/accounts/login/?next=/admin/", {"login": admin_user.email, "password": "x"})

    client.post("/accounts/login/?next=/admin/", {"login": admin_user.email, "password": PASSWORD})

    assert client.get("/admin/").status_code == 302


def test_signed_in_non_staff_cannot_reach_the_admin_login(client, verified_user):
    client.force_login(verified_user)

    assert client.get("/admin/login/").status_code == 403


def test_editor_sets_a_users_plan_in_the_admin(admin_client, verified_user):
    premium = Plan.objects.get(slug=Plan.PREMIUM)
    url = f"/admin/accounts/user/{verified_user.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in {"groups", "user_permissions", "password"}
    }
    data |= {
        "plan": premium.pk,
        "plan_ends_on": "2027-01-31",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "last_login_0": "",
        "last_login_1": "",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    verified_user.refresh_from_db()
    assert verified_user.plan == premium
    assert verified_user.plan_ends_on == datetime.date(2027, 1, 31)


def test_plans_are_data_the_admin_can_edit_but_not_add_or_remove(admin_client):
    assert admin_client.get("/admin/metering/plan/").status_code == 200
    assert admin_client.get("/admin/metering/plan/add/").status_code == 403
    free = Plan.objects.get(slug=Plan.FREE)
    assert free.views_per_period == 6
    assert Plan.objects.get(slug=Plan.GUEST).views_per_period == 1
    assert Plan.objects.get(slug=Plan.PREMIUM).is_unlimited
    assert not User.objects.filter(plan__slug=Plan.GUEST).exists()


def test_every_app_in_the_admin_has_its_own_heading(admin_client):
    import re

    html = admin_client.get("/admin/").content.decode()

    headings = re.findall(r'<caption>\s*<a [^>]*class="section"[^>]*>([^<]+)</a>', html)
    assert len(headings) == len(set(headings)) > 3, headings
    assert "Users" in headings and "Accounts" in headings  # ours, and allauth's addresses
