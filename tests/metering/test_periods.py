"""Metering periods at the calendar's edges: month ends, year ends, leap days, time zones.

Periods are calendar months (or days) in UTC, whatever the server's or the reader's time zone.
Every test freezes the clock, so the suite gives the same answers on any day it runs.
"""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.utils import timezone

from accounts.models import User
from metering.models import Meter
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
# A reader on the US west coast: eight hours behind UTC in winter, seven in summer.
PACIFIC = ZoneInfo("America/Los_Angeles")


def guest() -> Client:
    return Client(REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="Mozilla/5.0 Firefox/133.0")


def unlocked(response) -> bool:
    return "Official Description" in response.content.decode()


def banner(response) -> str:
    match = re.search(
        r'<div class="meter-banner[^"]*"[^>]*>(.*?)</div>', response.content.decode(), re.S
    )
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split()) if match else ""


def signed_in(email: str = "edge@example.com") -> Client:
    user = User.objects.create_user(email, PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("now", "resets"),
    [
        # Middle of a month.
        (datetime.datetime(2026, 11, 16, 9, 30, tzinfo=UTC), "December 1, 2026"),
        # The last second of a 31-day month that ends a year.
        (datetime.datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC), "January 1, 2027"),
        # The first second of a year.
        (datetime.datetime(2027, 1, 1, 0, 0, 0, tzinfo=UTC), "February 1, 2027"),
        # A leap day, and the day before it.
        (datetime.datetime(2028, 2, 29, 12, 0, tzinfo=UTC), "March 1, 2028"),
        (datetime.datetime(2028, 2, 28, 12, 0, tzinfo=UTC), "March 1, 2028"),
        # The last day of a 30-day month.
        (datetime.datetime(2027, 4, 30, 18, 0, tzinfo=UTC), "May 1, 2027"),
    ],
)
def test_the_banner_and_account_page_name_the_next_first_of_the_month(time_machine, now, resets):
    time_machine.move_to(now, tick=False)
    client = signed_in()

    page_banner = banner(client.get("/codes/cpt/0439T/"))
    account = client.get("/accounts/").content.decode()

    assert page_banner.startswith("5 code page views remaining.")
    assert f"the count resets on {resets}." in page_banner
    assert f"<dt>Resets on</dt><dd>{resets}</dd>" in account


@pytest.mark.parametrize(
    ("now", "resets"),
    [
        (datetime.datetime(2028, 2, 28, 23, 59, 59, tzinfo=UTC), "February 29, 2028"),
        (datetime.datetime(2028, 2, 29, 0, 0, 0, tzinfo=UTC), "March 1, 2028"),
        (datetime.datetime(2026, 12, 31, 12, 0, tzinfo=UTC), "January 1, 2027"),
    ],
)
def test_a_daily_period_resets_the_next_day(settings, time_machine, now, resets):
    settings.METER_PERIOD = "day"
    time_machine.move_to(now, tick=False)

    assert f"the count resets on {resets}." in banner(signed_in().get("/codes/cpt/0439T/"))


@pytest.mark.parametrize("server_zone", ["UTC", "America/Los_Angeles", "Pacific/Kiritimati"])
def test_a_month_ends_at_midnight_utc_for_a_reader_eight_hours_behind(
    settings, time_machine, server_zone
):
    """4 pm on November 30 in California is already December in UTC: a new allowance."""
    settings.TIME_ZONE = server_zone
    client = guest()
    last_second = datetime.datetime(2026, 11, 30, 15, 59, 59, tzinfo=PACIFIC)
    first_second = datetime.datetime(2026, 11, 30, 16, 0, 0, tzinfo=PACIFIC)
    assert last_second.astimezone(UTC) == datetime.datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC)

    time_machine.move_to(last_second, tick=False)
    with timezone.override(PACIFIC):  # the reader's zone, were it ever activated
        assert unlocked(client.get("/codes/cpt/0439T/"))
        assert not unlocked(client.get("/codes/cpt/93306/"))
    time_machine.move_to(first_second, tick=False)
    with timezone.override(PACIFIC):
        assert unlocked(client.get("/codes/cpt/93306/"))
        assert unlocked(client.get("/codes/cpt/0439T/")) is False  # November's view is spent

    periods = sorted(Meter.objects.filter(scope="guest").values_list("period_start", flat=True))
    assert periods == [datetime.date(2026, 11, 1), datetime.date(2026, 12, 1)]


def test_an_account_keeps_its_month_until_the_last_second_utc(time_machine):
    """A free account that used every view on November 30 gets nothing more until 00:00 UTC."""
    time_machine.move_to(datetime.datetime(2026, 11, 30, 8, 0, tzinfo=PACIFIC), tick=False)
    client = signed_in()
    for code in ["99202", "99203", "99204", "99205", "99211", "99212"]:
        assert unlocked(client.get(f"/codes/cpt/{code}/"))

    time_machine.move_to(datetime.datetime(2026, 11, 30, 15, 59, 59, tzinfo=PACIFIC), tick=False)
    late = client.get("/codes/cpt/99213/")
    time_machine.move_to(datetime.datetime(2026, 11, 30, 16, 0, 0, tzinfo=PACIFIC), tick=False)
    next_month = client.get("/codes/cpt/99213/")

    assert not unlocked(late)
    assert "Your views reset on December 1, 2026." in late.content.decode()
    assert unlocked(next_month)
    assert banner(next_month).startswith("5 code page views remaining.")
    assert "the count resets on January 1, 2027." in banner(next_month)


@pytest.mark.parametrize(
    "now",
    [
        datetime.datetime(2026, 11, 30, 23, 59, 59, tzinfo=UTC),
        datetime.datetime(2027, 1, 1, 0, 0, 0, tzinfo=UTC),
        datetime.datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
    ],
)
def test_the_footer_year_follows_the_clock(client, time_machine, now):
    time_machine.move_to(now, tick=False)

    html = client.get("/").content.decode()

    assert f"© Copyright {now.year} CodeAhead. All rights reserved." in html
