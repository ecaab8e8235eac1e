"""Job alerts: a saved search mailed daily or weekly with only the jobs new since the last mail,
sent once per period however often `send_job_alerts` runs, with a signed one-click unsubscribe
link that needs no login."""

import datetime
import io
import re

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from careercenter import services
from careercenter.models import Job, JobAlert
from tests.careercenter.conftest import DAY, NOW, make_account, make_job
from tests.conftest import html_of

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


def alert_for(account, frequency="daily", **filters) -> JobAlert:
    return services.alert_create(account=account, filters=filters, frequency=frequency)


def send() -> str:
    out = io.StringIO()
    call_command("send_job_alerts", stdout=out)
    return out.getvalue()


def mailed_titles(message) -> list[str]:
    return re.findall(r"^(.+) — .+$", message.body, re.MULTILINE)


def test_the_list_keeps_its_filters_as_an_alert(coder_client, coder, frozen):
    response = coder_client.post(
        "/careers/alerts/",
        {"search": "q=hcc&work_mode=remote&work_mode=hybrid&credential=CRC&sort=pay&page=3",
         "frequency": "weekly"},
    )  # fmt: skip

    alert = JobAlert.objects.get(account=coder)
    assert response["Location"] == "/careers/alerts/"
    assert alert.filters == {"q": "hcc", "work_mode": ["remote", "hybrid"], "credential": "CRC"}
    assert alert.frequency == "weekly"
    page = coder_client.get("/careers/alerts/").content.decode()
    assert "“hcc” · Remote or Hybrid · CRC" in page
    query = "q=hcc&amp;work_mode=remote&amp;work_mode=hybrid&amp;credential=CRC"
    assert f'href="/careers/?{query}"' in page


def test_an_alert_of_unknown_filters_is_refused(coder_client, coder, frozen):
    coder_client.post("/careers/alerts/", {"search": "credential=NOPE", "frequency": "daily"})
    coder_client.post("/careers/alerts/", {"search": "", "frequency": "hourly"})

    assert not JobAlert.objects.exists()


def test_alerts_need_a_verified_account(client, frozen):
    assert client.post("/careers/alerts/", {"frequency": "daily"}).status_code == 302
    client.force_login(make_account("unverified@example.com", verified=False))
    assert client.post("/careers/alerts/", {"frequency": "daily"}).status_code == 403
    assert not JobAlert.objects.exists()


def test_an_account_keeps_at_most_ten_alerts(coder, frozen):
    for _ in range(services.MAX_ALERTS):
        alert_for(coder)

    with pytest.raises(services.TooManyAlerts):
        alert_for(coder)


def test_a_daily_alert_mails_only_the_new_matches_once_a_day(coder, frozen):
    make_job(title="Before the alert", posted=NOW - DAY, credentials=["CRC"])
    alert_for(coder, "daily", credential="CRC")
    make_job(title="New CRC job", posted=NOW + HOUR, credentials=["CRC"])
    make_job(title="New CPC job", posted=NOW + HOUR, credentials=["CPC"])
    make_job(title="New but pending", status=Job.Status.PENDING, credentials=["CRC"])
    frozen.move_to(NOW + 2 * HOUR)

    assert send().startswith("1 job alert(s)")  # a new alert is due at the next run
    assert send().startswith("0 job alert(s)")  # a second run the same day mails nothing
    make_job(title="Later that day", posted=NOW + 3 * HOUR, credentials=["CRC"])
    frozen.move_to(NOW + 4 * HOUR)
    assert send().startswith("0 job alert(s)")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["coder@example.com"]
    assert message.subject == "1 new job: CRC"
    assert mailed_titles(message) == ["New CRC job"]

    frozen.move_to(NOW + DAY)  # Wednesday 09:30
    send()

    assert [mailed_titles(m) for m in mail.outbox] == [["New CRC job"], ["Later that day"]]


def test_a_weekly_alert_mails_once_per_iso_week(coder, frozen):
    alert_for(coder, "weekly")  # Tuesday of week 10
    make_job(title="Wednesday job", posted=NOW + DAY)
    make_job(title="Sunday job", posted=NOW + 5 * DAY)
    frozen.move_to(NOW + 5 * DAY + HOUR)  # Sunday, week 10
    send()
    make_job(title="Next Tuesday job", posted=NOW + 7 * DAY)

    frozen.move_to(NOW + 6 * DAY)  # Monday of week 11: the Tuesday job is not out yet
    send()
    frozen.move_to(NOW + 9 * DAY)  # Thursday of week 11: the week was handled on Monday
    send()
    assert len(mail.outbox) == 1
    frozen.move_to(NOW + 13 * DAY)  # Monday of week 12
    send()

    assert [sorted(mailed_titles(m)) for m in mail.outbox] == [
        ["Sunday job", "Wednesday job"],
        ["Next Tuesday job"],
    ]


def test_no_mail_when_there_is_nothing_new_and_nothing_is_mailed_twice_later(coder, frozen):
    alert_for(coder, "daily")
    frozen.move_to(NOW + DAY)
    assert send().startswith("1 job alert(s)")  # handled, but nothing new: no mail
    make_job(title="Thursday job", posted=NOW + DAY + HOUR)
    frozen.move_to(NOW + 2 * DAY)
    send()

    assert [mailed_titles(m) for m in mail.outbox] == [["Thursday job"]]
    alert = JobAlert.objects.get()
    assert alert.last_sent_at == NOW + 2 * DAY
    assert alert.checked_through == NOW + 2 * DAY


def test_a_job_that_closed_or_expired_before_the_mail_is_left_out(coder, frozen):
    alert_for(coder, "daily")
    make_job(title="Closed quickly", posted=NOW + HOUR, status=Job.Status.CLOSED)
    make_job(title="Still open", posted=NOW + HOUR)
    frozen.move_to(NOW + DAY)

    send()

    assert mailed_titles(mail.outbox[0]) == ["Still open"]


def test_a_second_run_in_the_same_period_claims_nothing(coder, frozen):
    alert_for(coder, "daily")
    make_job(title="A job", posted=NOW + HOUR)
    frozen.move_to(NOW + DAY)

    handled = [services.alerts_enqueue_due(), services.alerts_enqueue_due()]

    assert handled == [1, 0]
    assert len(mail.outbox) == 1


def test_the_mail_links_the_jobs_and_a_signed_unsubscribe_with_one_click_headers(coder, frozen):
    alert = alert_for(coder, "daily", work_mode=["remote"])
    job = make_job(title="Remote job", posted=NOW + HOUR)
    frozen.move_to(NOW + DAY)

    send()

    message = mail.outbox[0]
    body = str(message.body)
    found = re.search(r"http://127\.0\.0\.1:8000(/careers/alerts/unsubscribe/[^/\s]+/)", body)
    assert found is not None
    unsubscribe = found.group(1)
    assert f"http://127.0.0.1:8000{job.get_absolute_url()}" in message.body
    assert f"http://127.0.0.1:8000{job.get_absolute_url()}" in html_of(message)
    assert message.extra_headers["List-Unsubscribe"] == f"<http://127.0.0.1:8000{unsubscribe}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert services.alert_for_token(unsubscribe.split("/")[-2]) == alert.pk


def test_unsubscribing_needs_no_login_and_a_mail_scanner_unsubscribes_nobody(client, coder, frozen):
    alert = alert_for(coder, "weekly", credential="CPC")
    link = f"/careers/alerts/unsubscribe/{services.unsubscribe_token(alert_id=alert.pk)}/"

    asked = client.get(link)  # a scanner following the link, or the reader
    assert asked.status_code == 200
    assert "Stop this job alert?" in asked.content.decode()
    assert JobAlert.objects.filter(pk=alert.pk).exists()

    done = client.post(link)  # the button, or the mail program's one-click POST (no CSRF)

    assert done.status_code == 200
    assert "You are unsubscribed" in done.content.decode()
    assert not JobAlert.objects.filter(pk=alert.pk).exists()
    assert client.post(link).status_code == 200  # again: still fine
    assert "You are unsubscribed" in client.get(link).content.decode()


@pytest.mark.parametrize("token", ["1", "MQ:1abcde:forged", "garbage"])
def test_a_forged_or_altered_unsubscribe_link_does_nothing(client, coder, frozen, token):
    alert = alert_for(coder)
    genuine = services.unsubscribe_token(alert_id=alert.pk)
    tampered = genuine[:-1] + ("A" if genuine[-1] != "A" else "B")

    for candidate in (token, tampered):
        assert client.post(f"/careers/alerts/unsubscribe/{candidate}/").status_code == 404
    assert JobAlert.objects.filter(pk=alert.pk).exists()


def test_members_delete_their_own_alerts_only(client, coder, frozen):
    mine = alert_for(coder)
    theirs = alert_for(make_account("other@example.com"))
    client.force_login(coder)

    client.post(f"/careers/alerts/{theirs.pk}/delete/")
    client.post(f"/careers/alerts/{mine.pk}/delete/")

    assert list(JobAlert.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_the_command_says_what_it_did(coder, frozen):
    alert_for(coder, "daily")
    alert_for(coder, "weekly")

    assert send() == "2 job alert(s) enqueued; the task worker sends them.\n"
    assert send() == "0 job alert(s) enqueued; the task worker sends them.\n"


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_handle_each_alert_once(settings):
    """Two machines' cron firing together: every alert is enqueued exactly once."""
    import threading

    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from tests.conftest import restore_plans

    restore_plans()
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}
    }
    with time_machine.travel(NOW, tick=False):
        for number in range(30):
            alert_for(make_account(f"coder{number}@example.com"), "daily")
    handled: list[int] = []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            start.wait()
            handled.append(services.alerts_enqueue_due(now=NOW + DAY))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(handled) == 30
    assert DBTaskResult.objects.count() == 30
    assert set(JobAlert.objects.values_list("last_period", flat=True)) == {"2026-03-04"}
