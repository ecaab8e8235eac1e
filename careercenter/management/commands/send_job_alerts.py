from typing import Any

from django.core.management.base import BaseCommand

from careercenter.services import alerts_enqueue_due


class Command(BaseCommand):
    help = (
        "Enqueue the mail of every job alert due: daily alerts once per UTC day, weekly ones "
        "once per ISO week, each with the jobs published since its last mail. Run it from cron "
        "or a systemd timer (daily); running it again in the same day or week sends nothing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = alerts_enqueue_due()
        self.stdout.write(f"{count} job alert(s) enqueued; the task worker sends them.")
