from typing import Any

from django.core.management.base import BaseCommand

from common.queue import tasks_recover


class Command(BaseCommand):
    help = (
        "Enqueue again the tasks whose worker died mid-task (RUNNING for longer than "
        "TASKS_STALE_AFTER seconds); run it from cron, and before starting workers."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        recovered = tasks_recover()
        for old, new in recovered:
            self.stdout.write(f"task {old} was left running; enqueued again as {new}")
        self.stdout.write(f"{len(recovered)} task(s) recovered")
