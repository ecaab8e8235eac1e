from typing import Any

from django.core.management.base import BaseCommand, CommandError

from common.queue import queue_status


class Command(BaseCommand):
    help = (
        "Print the task queue's figures (waiting tasks and the age of the oldest, retries, "
        "running, stale and final failures); exit 1 when the oldest waits longer than "
        "TASKS_QUEUE_MAX_AGE or a worker died mid-task."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        status = queue_status()
        for line in status.lines():
            self.stdout.write(line)
        if not status.healthy:
            raise CommandError("the task queue needs attention")
