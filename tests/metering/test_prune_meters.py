import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from metering.models import Meter, MeterView, NetworkKey, RetiredAccountKey

pytestmark = pytest.mark.django_db


def test_prune_keeps_the_retention_period_and_drops_old_rows_and_keys(settings):
    settings.METER_RETENTION_DAYS = 60
    RetiredAccountKey.objects.create(address_hash="a" * 64, meter_key="b" * 64,
                                     retired_on=datetime.date(2026, 9, 1))  # fmt: skip
    RetiredAccountKey.objects.create(address_hash="c" * 64, meter_key="d" * 64,
                                     retired_on=datetime.date(2026, 11, 1))  # fmt: skip
    with time_machine.travel(datetime.datetime(2026, 9, 10, tzinfo=datetime.UTC)):
        Client(REMOTE_ADDR="198.51.100.1").get("/codes/cpt/0439T/")
    with time_machine.travel(datetime.datetime(2026, 11, 25, tzinfo=datetime.UTC)):
        Client(REMOTE_ADDR="198.51.100.2").get("/codes/cpt/93306/")
    with time_machine.travel(datetime.datetime(2026, 11, 26, tzinfo=datetime.UTC)):
        Client(REMOTE_ADDR="198.51.100.3").get("/codes/cpt/99213/")
        out = io.StringIO()
        call_command("prune_meters", stdout=out)

    assert set(Meter.objects.values_list("scope", "period_start")) == {
        ("guest", datetime.date(2026, 11, 1)),
        ("network", datetime.date(2026, 11, 26)),
        ("netcap", datetime.date(2026, 11, 26)),
    }
    assert MeterView.objects.filter(meter__scope="guest").count() == 2
    assert list(NetworkKey.objects.values_list("day", flat=True)) == [datetime.date(2026, 11, 26)]
    assert list(RetiredAccountKey.objects.values_list("address_hash", flat=True)) == ["c" * 64]
    assert out.getvalue() == (
        "Deleted 3 meters, 2 network meters, 5 views, 0 fingerprint keys, 1 retired account keys.\n"
    )
