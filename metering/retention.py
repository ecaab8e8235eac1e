import datetime

from django.conf import settings
from django.db import transaction

from metering.models import Meter, NetworkKey, RetiredAccountKey
from metering.plans import today_utc


@transaction.atomic
def meters_prune(*, today: datetime.date | None = None) -> dict[str, int]:
    """Delete meter rows past the retention period, network meters of earlier days (they only
    ever count one day), every fingerprint key but today's, and deleted accounts' meter keys
    once their meters are gone. Returns rows deleted per kind."""
    today = today or today_utc()
    cutoff = today - datetime.timedelta(days=settings.METER_RETENTION_DAYS)
    _, old = Meter.objects.filter(period_start__lt=cutoff).delete()
    _, network = Meter.objects.filter(
        scope__in=[Meter.Scope.NETWORK, Meter.Scope.NETWORK_CAP], period_start__lt=today
    ).delete()
    keys, _ = NetworkKey.objects.filter(day__lt=today).delete()
    retired, _ = RetiredAccountKey.objects.filter(retired_on__lt=cutoff).delete()
    return {
        "meters": old.get("metering.Meter", 0),
        "network meters": network.get("metering.Meter", 0),
        "views": old.get("metering.MeterView", 0) + network.get("metering.MeterView", 0),
        "fingerprint keys": keys,
        "retired account keys": retired,
    }
