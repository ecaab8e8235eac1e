"""CareerCenter's mail, written when the task runs: plain text and HTML, links to the site.

- To an employer: staff approved, rejected (with the reason) or removed a posting.
- To a coder: an alert's new matches, with a one-click unsubscribe link signed for the alert
  (RFC 8058 headers, so mail programs offer their own unsubscribe button too).
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from careercenter.filters import as_query_string, describe
from careercenter.models import Job, JobAlert
from careercenter.services import AlertMatches, unsubscribe_token
from common.mail import templated_email

SUBJECTS = {
    "approved": "Your job posting is live",
    "rejected": "Your job posting was not approved",
    "removed": "Your job posting was removed",
}


def moderation_email(*, job: Job, decision: str, email: str) -> EmailMultiAlternatives:
    site = settings.SITE_URL
    context = {
        "job": job,
        "decision": decision,
        "job_url": site + job.get_absolute_url(),
        "postings_url": site + reverse("careercenter:mine"),
        "edit_url": site + reverse("careercenter:edit", args=[job.pk]),
        "expires_at": job.expires_at,
    }
    return templated_email(
        subject=f"{SUBJECTS[decision]}: {job.title}",
        template="careercenter/email/moderation",
        context=context,
        to=[email],
        headers={
            # One id per posting and decision: a mail delivered twice is recognisable as such.
            "Message-ID": f"<jobs.{job.pk}.{decision}.{job.moderated_at:%Y%m%d%H%M%S}"
            f"@{settings.SITE_DOMAIN}>",
        },
    )


def alert_email(
    *, alert: JobAlert, matches: AlertMatches, period: str, email: str
) -> EmailMultiAlternatives:
    site = settings.SITE_URL
    unsubscribe_url = site + reverse(
        "careercenter:unsubscribe", args=[unsubscribe_token(alert_id=alert.pk)]
    )
    query = as_query_string(alert.filters)
    count = matches.total
    context = {
        "jobs": [(job, site + job.get_absolute_url()) for job in matches.jobs],
        "total": count,
        "more": count - len(matches.jobs),
        "search": describe(alert.filters),
        "list_url": site + reverse("careercenter:list") + (f"?{query}" if query else ""),
        "alerts_url": site + reverse("careercenter:alerts"),
        "unsubscribe_url": unsubscribe_url,
        "frequency": alert.get_frequency_display().lower(),
    }
    noun = "job" if count == 1 else "jobs"
    return templated_email(
        subject=f"{count} new {noun}: {describe(alert.filters)}",
        template="careercenter/email/alert",
        context=context,
        to=[email],
        headers={
            "Message-ID": f"<jobs.alert.{alert.pk}.{period}@{settings.SITE_DOMAIN}>",
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
