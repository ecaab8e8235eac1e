"""CareerCenter's slow work: the mail telling an employer what staff decided about a posting,
and each job alert's mail, one task per recipient, sent by a worker with retries
(common.tasks). Each task reads the rows when it runs, so the request (or the alert command)
only writes a task row."""

import datetime
from typing import Any

from django.tasks import TaskContext, task
from django.utils import timezone

from common.tasks import EMAIL_QUEUE, deliver


@task(queue_name=EMAIL_QUEUE, takes_context=True)
def send_moderation_mail(
    context: TaskContext, *, job_id: int, decision: str, attempt: int = 1
) -> dict[str, Any]:
    """Tell the employer their posting was approved, rejected (with the reason) or removed.
    Nothing is sent when the posting or the account is gone."""
    from careercenter.mail import moderation_email
    from careercenter.models import Job

    job = Job.objects.select_related("employer__account").filter(pk=job_id).first()
    if job is None or not job.employer.account.is_active:
        return {"sent": False, "reason": "gone"}
    mail = moderation_email(job=job, decision=decision, email=job.employer.account.email)
    deliver(mail, context=context)
    return {"sent": True, "attempt": attempt}


@task(queue_name=EMAIL_QUEUE, takes_context=True)
def send_job_alert(
    context: TaskContext, *, alert_id: int, period: str, since: str, until: str, attempt: int = 1
) -> dict[str, Any]:
    """Mail an alert's new matches, the jobs first published in (since, until] that are still
    open. No mail when there are none, or when the alert or its account is gone."""
    from careercenter.mail import alert_email
    from careercenter.models import JobAlert
    from careercenter.services import alert_matches

    alert = JobAlert.objects.select_related("account").filter(pk=alert_id).first()
    if alert is None or not alert.account.is_active:
        return {"sent": False, "reason": "gone"}
    matches = alert_matches(
        alert=alert,
        since=datetime.datetime.fromisoformat(since),
        until=datetime.datetime.fromisoformat(until),
        now=timezone.now(),
    )
    if not matches.jobs:
        return {"sent": False, "reason": "no new jobs"}
    mail = alert_email(alert=alert, matches=matches, period=period, email=alert.account.email)
    deliver(mail, context=context)
    JobAlert.objects.filter(pk=alert_id).update(last_sent_at=timezone.now())
    return {"sent": True, "jobs": matches.total, "attempt": attempt}
