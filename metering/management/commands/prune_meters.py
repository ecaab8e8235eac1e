from typing import Any

from django.core.management.base import BaseCommand

from metering.retention import meters_prune


class Command(BaseCommand):
    help = (
        "Delete meter rows older than METER_RETENTION_DAYS, past days' network meters and "
        "rotated fingerprint keys. Safe to run at any time, e.g. daily from cron."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = meters_prune()
        self.stdout.write(
            "Deleted " + ", ".join(f"{count} {kind}" for kind, count in deleted.items()) + "."
        )
