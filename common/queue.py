"""The task queue's health, and rows left behind by a worker that died.

A worker killed mid-task (SIGKILL, out of memory, host lost) leaves its row RUNNING for ever:
django-tasks-db never looks at it again. `tasks_recover` marks such rows FAILED and enqueues the
task again, so mail is delivered at least once; a task is only taken for dead after
`TASKS_STALE_AFTER` seconds, far longer than any of ours runs (an SMTP try times out after
EMAIL_TIMEOUT seconds).
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, F, Min, Q, When
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

# A try that failed and left the next one enqueued: not a failure anyone needs to look at.
RETRIED = "common.tasks.RetryScheduled"


class WorkerLost(Exception):
    """The worker running this task died; the task was enqueued again."""


@dataclass(frozen=True, slots=True)
class QueueStatus:
    ready: int  # tasks waiting that may run now
    oldest_ready_seconds: float  # how long the oldest of them has waited (0 when none)
    deferred: int  # tries waiting for their time (retries after a failure)
    running: int
    stale: int  # running for longer than TASKS_STALE_AFTER: their worker died
    gave_up_last_day: int  # final failures in the last 24 hours

    @property
    def healthy(self) -> bool:
        return self.oldest_ready_seconds <= settings.TASKS_QUEUE_MAX_AGE and self.stale == 0

    def lines(self) -> list[str]:
        return [
            f"ready {self.ready}",
            f"oldest_ready_seconds {self.oldest_ready_seconds:.0f}",
            f"deferred {self.deferred}",
            f"running {self.running}",
            f"stale {self.stale}",
            f"gave_up_last_day {self.gave_up_last_day}",
            f"status {'ok' if self.healthy else 'alarm'}",
        ]


def queue_status() -> QueueStatus:
    """One query. A deferred try counts as waiting from its run_after, not its enqueue time."""
    now = timezone.now()
    never = get_date_max()
    ready_since = Case(When(run_after=never, then=F("enqueued_at")), default=F("run_after"))
    is_ready = Q(status="READY") & (Q(run_after=never) | Q(run_after__lte=now))
    stale_before = now - datetime.timedelta(seconds=settings.TASKS_STALE_AFTER)
    figures = DBTaskResult.objects.aggregate(
        ready=Count("id", filter=is_ready),
        oldest=Min(ready_since, filter=is_ready),
        deferred=Count("id", filter=Q(status="READY") & ~is_ready),
        running=Count("id", filter=Q(status="RUNNING")),
        stale=Count("id", filter=Q(status="RUNNING", started_at__lt=stale_before)),
        gave_up=Count(
            "id",
            filter=Q(status="FAILED", finished_at__gte=now - datetime.timedelta(days=1))
            & ~Q(exception_class_path=RETRIED),
        ),
    )
    oldest = figures["oldest"]
    return QueueStatus(
        ready=figures["ready"],
        oldest_ready_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        deferred=figures["deferred"],
        running=figures["running"],
        stale=figures["stale"],
        gave_up_last_day=figures["gave_up"],
    )


def tasks_recover(*, older_than: datetime.timedelta | None = None) -> list[tuple[str, str]]:
    """Mark tasks RUNNING for longer than `older_than` (TASKS_STALE_AFTER) failed and enqueue
    each again. Returns (old id, new id) pairs."""
    if older_than is None:
        older_than = datetime.timedelta(seconds=settings.TASKS_STALE_AFTER)
    cutoff = timezone.now() - older_than
    recovered = []
    with transaction.atomic():
        stale = DBTaskResult.objects.running().filter(started_at__lt=cutoff)
        for row in stale.select_for_update(skip_locked=True):
            row.set_failed(WorkerLost(f"RUNNING since {row.started_at:%Y-%m-%d %H:%M:%S} UTC"))
            again = row.task.enqueue(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])
            recovered.append((str(row.id), str(again.id)))
    return recovered


def task_enqueue_again(row: DBTaskResult) -> str:
    """Staff's "try again" on a task that gave up: the same arguments, from the first try."""
    kwargs = dict(row.args_kwargs["kwargs"])
    kwargs.pop("attempt", None)
    return str(row.task.enqueue(*row.args_kwargs["args"], **kwargs).id)
