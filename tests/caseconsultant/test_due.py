"""Two business days, weekends skipped (caseconsultant.services.due_after)."""

import datetime

import pytest

from caseconsultant.services import due_after


def utc(day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=datetime.UTC)  # March 2026


@pytest.mark.parametrize(
    ("sent", "due"),
    [
        (utc(2, 9), utc(4, 9)),  # Monday -> Wednesday
        (utc(4, 23, 59), utc(6, 23, 59)),  # Wednesday -> Friday
        (utc(5, 10), utc(9, 10)),  # Thursday -> Monday
        (utc(6, 15), utc(10, 15)),  # Friday -> Tuesday
        (utc(7, 11), utc(11)),  # Saturday -> starts Monday 00:00 -> Wednesday 00:00
        (utc(8, 23, 59), utc(11)),  # Sunday, likewise
    ],
)
def test_two_business_days(sent, due):
    assert due_after(sent) == due


def test_other_time_zones_count_in_utc():
    # Friday 22:00 in New York is Saturday 03:00 UTC: a weekend question.
    new_york = datetime.timezone(datetime.timedelta(hours=-5))
    sent = datetime.datetime(2026, 3, 6, 22, 0, tzinfo=new_york)

    assert due_after(sent) == utc(11)
