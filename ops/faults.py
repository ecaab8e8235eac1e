"""`make faults`: CodeAhead on two app servers, its database restarted idle and under load.

1. A throwaway PostgreSQL cluster in /tmp/codeahead-faults-* (never the project's .pg): migrated,
   cache table, demo data; static files collected for DEBUG=false.
2. Two gunicorn servers, A and B, on free ports of 127.0.0.1 with production settings (DEBUG off,
   HTTPS=false for plain HTTP, 2 sync workers each), sharing that database and its cache table.
3. Scale-out promises, as behind one proxy (one Host name, X-Forwarded-For): a session made on A
   works on B; failed logins spread over A and B lock the email on both, and another spelling of
   the site's Host name does not unlock it; 20 parallel first views of a free account,
   alternating A and B, unlock exactly its allowance of 6.
4. PostgreSQL restarted while the site is idle: what clients saw meanwhile, then errors after.
5. 60 s at 64 connections over a mix of pages; PostgreSQL restarted 20 s in. Errors before,
   during and after recovery, latency and throughput.
6. With redis-server (FAULTS_REDIS=1 installs it): step 3 again with REDIS_URL set.
7. A burst of 200 signed Stripe webhooks (duplicates, any order) on A and B at once, against a
   local stand-in for Stripe (ops/webhook_burst.py): every member ends on the plan Stripe's state
   gives, with no 5xx.
8. Mail outage: a server sending mail to an SMTP sink (aiosmtpd) through one task worker. With
   both the sink and the worker stopped, members ask questions, consultants answer and close,
   a member follows up and asks for a password reset; every step answers at once and is stored.
   The worker comes back first (its tries fail and are retried with backoff), then the sink:
   every mail arrives, none twice, and the queue empties.
9. A summary, ops/results/faults.json and the servers' logs in ops/results/. Exit status 1 when
   a promise fails or any request failed outside the restart window.

Every request goes to 127.0.0.1, every loop is bounded in count and time, and every process and
the temporary cluster are removed at the end, also on Ctrl-C or SIGTERM.
"""

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from ops.fake_stripe import FakeStripe
from ops.harness import (
    CSRF_FIELD,
    ROOT,
    AppServer,
    Browser,
    PostgresCluster,
    RedisServer,
    SmtpSink,
    Unavailable,
    Worker,
    account_meter_used,
    app_env,
    close_db,
    ensure_command,
    fetch,
    free_port,
    manage,
    password_hash,
    setup_django,
    unwind_on,
    verified_account,
)
from ops.load import (
    Load,
    Prober,
    Sample,
    Target,
    by_kind,
    request,
    run_count,
    summarize,
)
from ops.webhook_burst import burst

RESULTS = ROOT / "ops" / "results"
PASSWORD = "faults-" + secrets.token_urlsafe(12)  # one password for every account of the run
FREE_ALLOWANCE = 6  # views a verified free account gets (metering.Plan "free", seeded)
PARALLEL_VIEWS = 20
OFFICIAL = "Official Description"  # only in the HTML of an unlocked code page
LOCKED_OUT = "Too many failed login attempts"
SITE_HOST = "localhost"  # the site's name, as a proxy in front of A and B forwards it
# Other spellings of the same site that Django accepts (ALLOWED_HOSTS=127.0.0.1,localhost).
HOST_VARIANTS = ("127.0.0.1", "LocalHost", "localhost.", "localhost:8080")
GRACE_SECONDS = 2.0  # after /healthz answers 200 again, before "after recovery" starts
HANG_SECONDS = 10.0  # an answer slower than this during an outage counts as a hang


def say(message: str) -> None:
    print(f"faults: {message}", flush=True)


# Checks


@dataclass
class Check:
    name: str
    passed: bool
    detail: str


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def check(self, name: str, passed: bool, detail: str) -> bool:
        self.checks.append(Check(name, passed, detail))
        print(f"  {'PASS' if passed else 'FAIL'}  {name}: {detail}", flush=True)
        return passed

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)


# Django in this process: accounts, URLs and meter figures, straight from the database


@contextmanager
def orm() -> Iterator[None]:
    """No connection of this process is left open: the database may be restarted next."""
    try:
        yield
    finally:
        close_db()


def create_account(email: str, hashed: str, plan: str = "free") -> None:
    with orm():
        verified_account(email, plan=plan, hashed_password=hashed)


def meter_used(email: str) -> int | None:
    with orm():
        return account_meter_used(email)


def billing_member(email: str, customer_id: str, hashed: str) -> None:
    """A verified member whom Stripe knows as `customer_id`, as after a first checkout."""
    from billing.models import BillingAccount

    create_account(email, hashed)
    with orm():
        BillingAccount.objects.create(account_id=account_id(email), customer_id=customer_id)


def account_id(email: str) -> int:
    from accounts.models import User

    with orm():
        return int(User.objects.values_list("pk", flat=True).get(email=email))


def plan_in_force(email: str) -> str:
    from accounts.models import User
    from metering.plans import plan_for, today_utc

    with orm():
        return plan_for(User.objects.get(email=email), today=today_utc()).slug


def cache_rows() -> int:
    from django.db import connection

    with orm(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM codeahead_cache")
        row = cursor.fetchone()
        return int(row[0]) if row else 0


@dataclass(frozen=True)
class SiteUrls:
    codes: list[str]  # demo code pages, stable order
    code_sets: list[str]
    section: str
    static: str


def site_urls() -> SiteUrls:
    from django.templatetags.static import static

    from codes.models import Code, CodeSet, Section

    with orm():
        codes = [
            code.get_absolute_url()
            for code in Code.objects.select_related("code_set").order_by("pk")[:60]
        ]
        code_sets = [s.get_absolute_url() for s in CodeSet.objects.order_by("pk")]
        section = Section.objects.select_related("code_set").order_by("pk").first()
        if len(codes) < PARALLEL_VIEWS or section is None:
            raise SystemExit("faults: the demo data has too few codes or no sections")
        return SiteUrls(codes, code_sets, section.get_absolute_url(), static("css/site.css"))


# Setting up


# The throwaway database's tables, cache table, demo data; static files for DEBUG=false.
SETUP_COMMANDS = [
    ("migrate", "--noinput", "--verbosity=0"),
    ("createcachetable",),
    ("load_demo", "--verbosity=0"),
    ("collectstatic", "--noinput", "--verbosity=0"),
]


def set_up_site(env: dict[str, str]) -> None:
    for args in SETUP_COMMANDS:
        started = time.monotonic()
        manage(env, *args, timeout=600)
        say(f"manage.py {' '.join(args)} ({time.monotonic() - started:.1f} s)")


def start_servers(env: dict[str, str], logs: Path, names: Sequence[str]) -> list[AppServer]:
    servers = [AppServer(name, env, logs / f"server-{name.lower()}.log") for name in names]
    for server in servers:
        server.start()
    for server in servers:
        server.wait_ready()
        say(f"server {server.name}: gunicorn, {server.workers} sync workers, {server.base}")
    return servers


def stop_servers(servers: Sequence[AppServer]) -> None:
    for server in servers:
        server.stop()


# Step 3: the scale-out promises


def login_outcome(server: AppServer, email: str, host: str, client_ip: str) -> str:
    """The right password through `server`: "refused" (locked out) or "let in", with the status."""
    reply = Browser(host, client_ip).log_in(server.base, email, PASSWORD)
    if reply.status != 302 and LOCKED_OUT in reply.body:
        return f"refused ({reply.status})"
    return f"let in ({reply.status} -> {reply.headers.get('Location')})"


def fail_logins(servers: Sequence[AppServer], email: str, client_ip: str) -> list[int]:
    """Wrong passwords for `email`, one through each server in turn, as behind one proxy."""
    attacker = Browser(SITE_HOST, client_ip)
    return [
        attacker.log_in(server.base, email, f"wrong password {n}").status
        for n, server in enumerate(servers)
    ]


def scale_out(
    report: Report, a: AppServer, b: AppServer, tag: str, hashed: str
) -> list[dict[str, Any]]:
    """The promises of two app servers sharing one database (and cache), as behind one proxy:
    every request carries the site's Host name and the client's X-Forwarded-For."""
    prefix = f"[{tag}] "
    first = len(report.checks)

    # (a) A session made through one server is recognised by the other.
    email = f"{tag}-session@faults.codeahead.invalid"
    create_account(email, hashed)
    browser = Browser(SITE_HOST, "203.0.113.10")
    form_on_b = browser.get(b.base + "/accounts/login/")
    token = CSRF_FIELD.search(form_on_b.body)
    login = browser.post(
        a.base + "/accounts/login/",
        {
            "csrfmiddlewaretoken": token.group(1) if token else "",
            "login": email,
            "password": PASSWORD,
        },
    )
    on_b = browser.get(b.base + "/accounts/")
    report.check(
        prefix + "session made on A works on B",
        login.status == 302 and on_b.status == 200 and email in on_b.body,
        f"login form from B posted to A: {login.status} -> {login.headers.get('Location')}; "
        f"GET /accounts/ on B: {on_b.status}, email {'shown' if email in on_b.body else 'absent'}",
    )

    # (b) Failed logins for one email, spread over A and B, lock it on both.
    email = f"{tag}-locked@faults.codeahead.invalid"
    create_account(email, hashed)
    failed = fail_logins([a, b, a, b, a], email, "203.0.113.11")
    outcomes = {s.name: login_outcome(s, email, SITE_HOST, "203.0.113.11") for s in (a, b)}
    report.check(
        prefix + "failed-login limit shared by A and B",
        failed == [200] * 5 and all(o.startswith("refused") for o in outcomes.values()),
        f"5 wrong passwords through A,B,A,B,A (Host: {SITE_HOST}) -> {failed}; then the right "
        "password through " + ", ".join(f"{k}: {v}" for k, v in outcomes.items()),
    )

    # (b') The lockout is per email address: another spelling of the site's name (all of them
    # in ALLOWED_HOSTS, each reaching the same app) must not open a fresh count.
    email = f"{tag}-hosts@faults.codeahead.invalid"
    create_account(email, hashed)
    failed = fail_logins([a, b, a, b, a], email, "203.0.113.12")
    outcomes = {host: login_outcome(a, email, host, "203.0.113.12") for host in HOST_VARIANTS}
    report.check(
        prefix + "failed-login lockout holds whatever the Host header",
        failed == [200] * 5 and all(o.startswith("refused") for o in outcomes.values()),
        f"5 wrong passwords with Host: {SITE_HOST} -> {failed}; then the right password with "
        + ", ".join(f"Host: {k}: {v}" for k, v in outcomes.items()),
    )

    # (c) The meter: 20 parallel first views, alternating A and B, unlock exactly the allowance.
    email = f"{tag}-meter@faults.codeahead.invalid"
    create_account(email, hashed)
    viewer = Browser(SITE_HOST, "203.0.113.13")
    viewer.log_in(a.base, email, PASSWORD)
    cookie = viewer.cookie()
    codes = site_urls().codes[:PARALLEL_VIEWS]
    barrier = threading.Barrier(PARALLEL_VIEWS)
    results: list[tuple[int, bool]] = [(0, False)] * PARALLEL_VIEWS

    def open_page(index: int) -> None:
        server = (a, b)[index % 2]
        barrier.wait(timeout=30)
        try:
            reply = fetch(server.base + codes[index], {"Cookie": cookie}, timeout=60)
            results[index] = (reply.status, OFFICIAL in reply.body)
        except OSError as error:
            results[index] = (0, False)
            say(f"meter request {index} failed: {error!r}")

    threads = [threading.Thread(target=open_page, args=(i,)) for i in range(PARALLEL_VIEWS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    unlocked = sum(shown for _, shown in results)
    statuses = Counter(status for status, _ in results)
    used = meter_used(email)
    report.check(
        prefix + f"meter over A and B unlocks exactly {FREE_ALLOWANCE}",
        bool(cookie) and unlocked == FREE_ALLOWANCE and used == FREE_ALLOWANCE,
        f"{PARALLEL_VIEWS} parallel first views (10 on A, 10 on B): {unlocked} unlocked, "
        f"statuses {dict(statuses)}, meter row used={used}",
    )
    return [asdict(check) for check in report.checks[first:]]


# Steps 4 and 5: restarts


def page_mix(urls: SiteUrls, premium_cookie: str) -> list[Target]:
    """100 slots: a path listed more often is requested more often."""
    shares: list[tuple[str, int, list[str], str]] = [
        ("home", 10, ["/"], ""),
        ("code page (premium)", 25, urls.codes, premium_cookie),
        ("code page (guest)", 20, urls.codes[::-1], ""),
        (
            "search",
            15,
            [
                "/search/?q=chest+pain",
                "/search/?q=992",
                "/search/?q=htn",
                "/search/?q=diabetis",
                "/search/?q=99202-99215",
            ],
            "",
        ),
        ("suggest", 5, ["/search/suggest/?q=99", "/search/suggest/?q=card"], ""),
        ("browse", 12, ["/codes/", *urls.code_sets, urls.section], ""),
        ("healthz", 5, ["/healthz"], ""),
        ("static", 8, [urls.static], ""),
    ]
    return [
        Target(kind, paths[n % len(paths)], cookie)
        for kind, slots, paths, cookie in shares
        for n in range(slots)
    ]


def outage_is_clean(samples: Sequence[Sample]) -> tuple[bool, str]:
    """During an outage a request may succeed or get 503 with Retry-After, within HANG_SECONDS;
    nothing else (no 500, no dropped connection, no timeout)."""
    outcomes = Counter(s.outcome() for s in samples)
    bad = {k: v for k, v in outcomes.items() if not (k[0] in "23" or k == "503 + Retry-After")}
    slowest = max((s.finished - s.started for s in samples), default=0.0)
    text = ", ".join(f"{k}: {v}" for k, v in outcomes.most_common()) or "no requests"
    return not bad and slowest < HANG_SECONDS, f"{text}; slowest {slowest * 1000:.0f} ms"


def restart_idle(
    report: Report,
    cluster: PostgresCluster,
    servers: Sequence[AppServer],
    targets: list[Target],
    count: int,
) -> dict[str, Any]:
    ports = [server.port for server in servers]
    warm = run_count(ports, targets, 40, concurrency=4)  # every worker holds a connection now
    close_db()
    # B is probed through the restart (what a client sees); A stays idle, so its workers meet
    # their dead persistent connections only on the first requests after the restart.
    prober = Prober(ports, [t for t in targets if t.kind != "static"], server=1)
    prober.start()
    time.sleep(0.3)
    started = time.monotonic()
    cluster.restart()
    restart_seconds = time.monotonic() - started
    outage = prober.stop()
    after = run_count(ports, targets, count, concurrency=4)
    clean, outcomes = outage_is_clean(outage)
    summary = summarize(after)
    report.check(
        "[idle restart] outage answers are 503 + Retry-After (no 500s, no hangs)",
        clean,
        f"B probed through the {restart_seconds:.1f} s restart: {outcomes}",
    )
    report.check(
        "[idle restart] zero errors after recovery",
        summary["errors"] == 0 and len(after) == count,
        f"{len(after)} requests to A and B right after PostgreSQL accepted connections: "
        f"{summary['errors']} errors {summary['error_outcomes'] or ''}".rstrip(),
    )
    return {
        "warm_up": summarize(warm),
        "restart_seconds": round(restart_seconds, 2),
        "during_outage": summarize(outage),
        "after_recovery": summary,
    }


def wait_healthy(ports: Sequence[int], timeout: float = 60) -> float:
    """Poll /healthz on every server until each answers 200; returns when the last one did."""
    deadline = time.monotonic() + timeout
    healthz = Target("healthz", "/healthz")
    last = 0.0
    for index in range(len(ports)):
        while True:
            sample = request(ports, index, healthz)
            if sample.status == 200:
                last = max(last, sample.finished)
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"/healthz on port {ports[index]} not 200 within {timeout} s")
            time.sleep(0.05)
    return last


def restart_under_load(
    report: Report,
    cluster: PostgresCluster,
    servers: Sequence[AppServer],
    targets: list[Target],
    seconds: float,
    connections: int,
    restart_at: float,
) -> dict[str, Any]:
    ports = [server.port for server in servers]
    close_db()
    load = Load(ports, targets, connections, seconds)
    say(
        f"load: {connections} connections for {seconds:.0f} s; "
        f"PostgreSQL restarts {restart_at:.0f} s in"
    )
    load.start()
    time.sleep(max(0.0, load.started + restart_at - time.monotonic()))
    restart_began = time.monotonic()
    cluster.restart()
    db_back = time.monotonic()
    healthy = wait_healthy(ports)
    after_from = healthy + GRACE_SECONDS
    samples = load.join()
    end = max((s.finished for s in samples), default=after_from)

    before = [s for s in samples if s.finished < restart_began]
    after = [s for s in samples if s.started >= after_from]
    during = [s for s in samples if s.finished >= restart_began and s.started < after_from]
    windows = {
        "whole_run": summarize(samples, end - load.started),
        "before_restart": summarize(before, restart_began - load.started),
        "during_outage": summarize(during, after_from - restart_began),
        "after_recovery": summarize(after, end - after_from),
    }
    clean, outcomes = outage_is_clean(during)
    report.check(
        "[restart under load] outage answers are 503 + Retry-After (no 500s, no hangs)",
        clean,
        f"restart {db_back - restart_began:.1f} s, /healthz 200 on both "
        f"{healthy - restart_began:.1f} s after it began; {len(during)} requests meanwhile: "
        + outcomes,
    )
    report.check(
        "[restart under load] zero errors before the restart",
        windows["before_restart"]["errors"] == 0,
        f"{len(before)} requests: {windows['before_restart']['errors']} errors "
        f"{windows['before_restart']['error_outcomes'] or ''}".rstrip(),
    )
    report.check(
        "[restart under load] zero errors after recovery",
        windows["after_recovery"]["errors"] == 0 and len(after) > 0,
        f"{len(after)} requests from {GRACE_SECONDS:.0f} s after /healthz recovered: "
        f"{windows['after_recovery']['errors']} errors "
        f"{windows['after_recovery']['error_outcomes'] or ''}".rstrip(),
    )
    return {
        "connections": connections,
        "seconds": seconds,
        "restart_at_s": round(restart_began - load.started, 2),
        "restart_seconds": round(db_back - restart_began, 2),
        "healthz_recovered_after_s": round(healthy - restart_began, 2),
        "grace_s": GRACE_SECONDS,
        "windows": windows,
        "by_kind": by_kind(samples),
    }


# Step 7: mail outage


MAIL_WAIT_SECONDS = 120  # for the backlog to drain once the sink is back
OUTAGE_RETRY_DELAYS = "2,2,3,3,5,5,5,5,5,5"  # seconds: the run cannot wait half an hour


def consultant_account(email: str, hashed: str) -> None:
    from django.contrib.auth.models import Group

    with orm():
        user = verified_account(email, hashed_password=hashed)
        user.groups.add(Group.objects.get(name="Consultants"))


def mail_counts() -> dict[str, int]:
    """Send tasks by state, and the questions and messages stored."""
    from django_tasks_db.models import DBTaskResult

    from caseconsultant.models import Message, Question

    with orm():
        states = Counter(DBTaskResult.objects.values_list("status", flat=True))
        retried = DBTaskResult.objects.filter(
            status="FAILED", exception_class_path="common.tasks.RetryScheduled"
        ).count()
        return {
            "ready": states["READY"],
            "running": states["RUNNING"],
            "successful": states["SUCCESSFUL"],
            "failed": states["FAILED"] - retried,
            "retried": retried,
            "questions": Question.objects.count(),
            "messages": Message.objects.count(),
        }


def wait_for_mail(sink: SmtpSink, count: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while len(sink.messages()) < count and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(2)  # anything sent twice would arrive now
    return len(sink.messages())


def mail_outage(
    report: Report,
    site_env: Callable[..., dict[str, str]],
    logs: Path,
    workdir: Path,
    hashed: str,
) -> dict[str, Any]:
    """Stop the SMTP sink and the worker, use the site, start them again: every mail arrives,
    none twice."""
    sink = SmtpSink(workdir / "maildir", free_port())
    env = site_env(smtp_port=sink.port, retry_delays=OUTAGE_RETRY_DELAYS)
    server = AppServer("M", env, logs / "server-m.log")
    worker = Worker(env, logs / "worker.log")
    asker, consultant = "asker@faults.codeahead.invalid", "consultant@faults.codeahead.invalid"
    create_account(asker, hashed, plan="premium")
    consultant_account(consultant, hashed)
    try:
        sink.start()
        worker.start()
        server.start()
        server.wait_ready()
        base = server.base
        member = Browser(SITE_HOST, "203.0.113.20")
        staff = Browser(SITE_HOST, "203.0.113.21")
        member.log_in(base, asker, PASSWORD)
        staff.log_in(base, consultant, PASSWORD)

        def ask(subject: str) -> str:
            reply = member.submit(
                base + "/caseconsultant/ask/",
                base + "/caseconsultant/ask/",
                {
                    "subject": subject,
                    "question": "A 58-year-old man had 99213 and 11102 the same day. Modifier 25?",
                    "codes": "99213",
                    "setting": "professional",
                    "payer_type": "medicare",
                },
            )
            if reply.status != 302:
                raise RuntimeError(f"asking: {reply.status}")
            return reply.headers["Location"]

        def post(who: Browser, thread: str, action: str, fields: dict[str, str]) -> int:
            return who.submit(base + thread, base + thread + action, fields).status

        # Everything up: one question, its two mails.
        ask("Before the outage")
        before = wait_for_mail(sink, 2, 60)
        report.check(
            "[mail outage] mail flows before the outage",
            before == 2,
            f"one question: {before} mails (to the asker and the consultant)",
        )

        # The outage: sink and worker stopped.
        worker.stop()
        sink.stop()
        started = time.monotonic()
        threads = [ask(f"During the outage {n}") for n in range(1, 4)]
        statuses = [
            *(post(staff, t, "reply/", {"body": "Yes, with modifier 25.", "kind": "reply"})
              for t in threads),
            post(staff, threads[0], "reply/", {"body": "Internal only.", "kind": "note"}),
            post(member, threads[1], "follow-up/", {"body": "And with 99214?"}),
            post(staff, threads[2], "close/", {}),
            member.submit(base + "/accounts/password/reset/", base + "/accounts/password/reset/",
                          {"email": asker}).status,
        ]  # fmt: skip
        during = mail_counts()
        queue = fetch(base + "/healthz/queue").body
        # 3 questions x 2, 3 answers, 1 follow-up (to the consultant), 1 closing, 1 reset; the
        # internal note sends nothing.
        expected = 12
        report.check(
            "[mail outage] every step answers and is stored while mail is down",
            all(status == 302 for status in statuses)
            and during["questions"] == 4
            and during["ready"] == expected
            and len(sink.messages()) == before,
            f"{len(threads)} questions, 3 answers, a note, a follow-up, a close and a reset in "
            f"{time.monotonic() - started:.1f} s: statuses {statuses}; stored: "
            f"{during['questions']} questions, {during['messages']} messages; "
            f"{during['ready']} mails waiting (expected {expected}); /healthz/queue: "
            + queue.replace("\n", ", ").strip(", "),
        )

        # The worker first, the mail server still down: tries fail and are retried; then the
        # sink comes back.
        worker.start()
        time.sleep(4)
        while_down = mail_counts()
        sink.start()
        total = wait_for_mail(sink, before + expected, MAIL_WAIT_SECONDS)
        after = mail_counts()
        messages = sink.messages()
        ids = Counter(str(message["Message-ID"]) for message in messages)
        twice = sorted(key for key, n in ids.items() if n > 1)
        resets = [m for m in messages if "Password Reset" in str(m["Subject"])]
        report.check(
            "[mail outage] every mail arrives once the sink and the worker are back, none twice",
            total == before + expected and not twice and len(resets) == 1,
            f"{total - before} of {expected} mails arrived, {len(twice)} twice "
            f"{twice[:3] if twice else ''}; the reset mail {len(resets)}x; tries retried while "
            f"the sink was down: {while_down['retried']}",
        )
        final = fetch(base + "/healthz/queue")
        report.check(
            "[mail outage] the queue is empty and healthy afterwards, nothing given up",
            after["ready"] == 0
            and after["running"] == 0
            and after["failed"] == 0
            and final.status == 200
            and after["retried"] > 0,
            f"tasks: {after['successful']} sent, {after['retried']} tries retried, "
            f"{after['failed']} given up, {after['ready']} waiting; /healthz/queue "
            f"{final.status}: " + final.body.replace("\n", ", ").strip(", "),
        )
        return {"before": before, "during": during, "while_sink_down": while_down,
                "after": after, "mails": total, "expected": before + expected}  # fmt: skip
    finally:
        server.stop()
        worker.stop()
        sink.stop()


# Logs: what the application itself said


LOG_LINE = re.compile(r"^\S+ \S+ (ERROR|CRITICAL|WARNING) (\S+) (.*)$")
GUNICORN_LINE = re.compile(r"^\[[^]]+\] \[\d+\] \[(ERROR|CRITICAL|WARNING)\] (.*)$")
EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Timeout)): ?(.*)$")


SOCKET_PATH = re.compile(r'socket "[^"]+"')


def log_findings(text: str) -> dict[str, dict[str, int]]:
    """Counts of warning/error lines (paths and numbers blurred) and of exception lines."""
    lines: Counter[str] = Counter()
    exceptions: Counter[str] = Counter()
    for line in SOCKET_PATH.sub('socket "<cluster>"', text).splitlines():
        if match := LOG_LINE.match(line):
            message = re.sub(r": /\S*", ": <path>", match.group(3))
            lines[f"{match.group(1)} {match.group(2)} {message[:120]}"] += 1
        elif match := GUNICORN_LINE.match(line):
            lines[f"gunicorn {match.group(1)} {re.sub(r'\d+', 'N', match.group(2))[:120]}"] += 1
        elif match := EXCEPTION_LINE.match(line.strip()):
            exceptions[f"{match.group(1)}: {match.group(2)[:160]}"] += 1
    return {
        "log_lines": dict(lines.most_common(20)),
        "exceptions": dict(exceptions.most_common(20)),
    }


class LogMarks:
    """Where each server log stood when a step began, to tell the steps' log lines apart."""

    def __init__(self, servers: Sequence[AppServer]) -> None:
        self.marks = {server.log: server.log.stat().st_size for server in servers}

    def findings(self) -> dict[str, dict[str, dict[str, int]]]:
        found = {}
        for log, offset in self.marks.items():
            with log.open("rb") as handle:
                handle.seek(offset)
                found[log.name] = log_findings(handle.read().decode(errors="replace"))
        return found


# The run


def redis_choice() -> str:
    value = os.environ.get("FAULTS_REDIS", "").strip().lower()
    return {"1": "yes", "true": "yes", "yes": "yes", "0": "no", "false": "no", "no": "no"}.get(
        value, "auto"
    )


def redis_binary(mode: str) -> str | None:
    """Path of redis-server: "auto" uses one if installed, "yes" installs Debian's first."""
    if mode == "no":
        return None
    if mode == "auto":
        return shutil.which("redis-server")
    found = ensure_command("redis-server", "redis-server", say)
    if found is None:
        say("redis-server is missing and cannot be installed here (needs root and apt-get)")
    return found


def step(title: str, report: Report, run: Callable[[], Any], key: str) -> None:
    say(title)
    started = time.monotonic()
    report.data[key] = run()
    report.data.setdefault("step_seconds", {})[key] = round(time.monotonic() - started, 1)


def run(report: Report, options: argparse.Namespace, cleanup: ExitStack, started: float) -> None:
    """Steps 1 to 6; `cleanup` stops and removes what they start, in reverse order."""
    secret_key = secrets.token_urlsafe(50)
    redis_mode = redis_choice()
    redis_path = redis_binary(redis_mode)

    workdir = Path(tempfile.mkdtemp(prefix="codeahead-faults-", dir="/tmp"))
    workdir.chmod(0o755)  # the postgres user must reach its cluster inside
    cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
    logs = workdir / "logs"
    logs.mkdir()
    cluster = PostgresCluster(workdir / "pg", free_port())
    cleanup.callback(copy_logs, logs, [cluster.log])
    cleanup.callback(cluster.stop)
    say(f"throwaway PostgreSQL in {cluster.root} (socket {cluster.socket_dir}:{cluster.port})")
    cluster.create()
    # Plain HTTP on this machine; one line per request would be tens of thousands of lines,
    # errors are still logged.
    stripe = FakeStripe(webhook_secret="whsec_" + secrets.token_urlsafe(16)).start()
    cleanup.callback(stripe.stop)
    site_env = partial(
        app_env,
        secret_key=secret_key,
        database_url=cluster.url(),
        behind_tls_proxy=False,
        request_log_level="WARNING",
        extra={
            "STRIPE_SECRET_KEY": "sk_test_faults",
            "STRIPE_WEBHOOK_SECRET": stripe.webhook_secret,
            "STRIPE_PRICE_MONTHLY": "price_premium_monthly",
            "STRIPE_API_BASE": stripe.base,
        },
    )
    env = site_env()
    set_up_site(env)
    setup_django(env)
    hashed = password_hash(PASSWORD)
    report.data["setup_seconds"] = round(time.monotonic() - started, 1)

    if options.mail_only:
        step(
            "step 8: mail outage (SMTP sink and worker stopped, the site used, both back)",
            report,
            lambda: mail_outage(report, site_env, logs, workdir, hashed),
            "mail_outage",
        )
        return
    servers = start_servers(env, logs, ["A", "B"])
    cleanup.callback(stop_servers, servers)
    a, b = servers
    marks = LogMarks(servers)
    step(
        "step 3: scale-out promises, cache in the database",
        report,
        lambda: scale_out(report, a, b, "db-cache", hashed),
        "scale_out_db_cache",
    )
    report.data["logs_scale_out_db_cache"] = marks.findings()

    marks = LogMarks(servers)
    step(
        "step 7: a burst of Stripe webhooks on A and B at once",
        report,
        lambda: report.data.__setitem__(
            "webhook_burst",
            burst(
                fake=stripe,
                ports=[a.port, b.port],
                make_member=lambda email, customer: billing_member(email, customer, hashed),
                plan_of=plan_in_force,
                check=report.check,
            ),
        ),
        "webhook_burst",
    )
    report.data["logs_webhook_burst"] = marks.findings()

    urls = site_urls()
    create_account("premium@faults.codeahead.invalid", hashed, plan="premium")
    premium = Browser()
    premium.log_in(a.base, "premium@faults.codeahead.invalid", PASSWORD)
    targets = page_mix(urls, premium.cookie())
    preflight(targets, [server.port for server in servers])

    marks = LogMarks(servers)
    step(
        "step 4: PostgreSQL restarted while idle",
        report,
        lambda: restart_idle(report, cluster, servers, targets, options.idle_requests),
        "restart_idle",
    )
    report.data["logs_restart_idle"] = marks.findings()

    marks = LogMarks(servers)
    step(
        f"step 5: {options.seconds:.0f} s at {options.connections} connections, "
        "PostgreSQL restarted under load",
        report,
        lambda: restart_under_load(
            report,
            cluster,
            servers,
            targets,
            options.seconds,
            options.connections,
            options.restart_at,
        ),
        "restart_under_load",
    )
    report.data["logs_restart_under_load"] = marks.findings()
    stop_servers(servers)

    step(
        "step 8: mail outage (SMTP sink and worker stopped, the site used, both back)",
        report,
        lambda: mail_outage(report, site_env, logs, workdir, hashed),
        "mail_outage",
    )

    if redis_path is None:
        note = (
            "skipped: FAULTS_REDIS=0"
            if redis_mode == "no"
            else "skipped: redis-server is not installed (FAULTS_REDIS=1 installs it)"
        )
        say(f"step 6: Redis variant {note}")
        report.data["scale_out_redis"] = note
    else:
        redis_server = RedisServer(redis_path, workdir / "redis", free_port())
        cleanup.callback(redis_server.stop)
        redis_server.start()
        redis_env = site_env(redis_url=redis_server.url)
        redis_servers = start_servers(redis_env, logs, ["A-redis", "B-redis"])
        cleanup.callback(stop_servers, redis_servers)
        marks = LogMarks(redis_servers)
        rows_before = cache_rows()
        step(
            f"step 6: scale-out promises, cache in Redis ({redis_server.url})",
            report,
            lambda: scale_out(report, redis_servers[0], redis_servers[1], "redis-cache", hashed),
            "scale_out_redis",
        )
        keys, rows_after = redis_server.keys(), cache_rows()
        report.check(
            "[redis-cache] the shared cache is Redis",
            keys > 0 and rows_after == rows_before,
            f"{keys} keys in Redis; database cache table {rows_before} -> {rows_after} rows",
        )
        report.data["logs_scale_out_redis"] = marks.findings()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="length of the load run")
    parser.add_argument("--connections", type=int, default=64, help="concurrent connections")
    parser.add_argument("--restart-at", type=float, default=20, help="seconds into the load")
    parser.add_argument("--idle-requests", type=int, default=200, help="after the idle restart")
    parser.add_argument("--output", type=Path, default=RESULTS / "faults.json")
    parser.add_argument(
        "--mail-only", action="store_true", help="only step 8, the mail outage (a quick check)"
    )
    options = parser.parse_args()
    if not 0 < options.restart_at < options.seconds - 5:
        parser.error("--restart-at must fall inside the load, at least 5 s before its end")
    unwind_on("faults", signal.SIGTERM, signal.SIGHUP)
    started = time.monotonic()
    report = Report()
    report.data["started_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    report.data["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_at_start": [round(n, 2) for n in os.getloadavg()],
    }
    try:
        with ExitStack() as cleanup:
            try:
                run(report, options, cleanup, started)
            finally:
                # Cleanup runs to the end: a second Ctrl-C (or `timeout`, which signals twice)
                # must not leave a server or the cluster behind.
                for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                    signal.signal(signum, signal.SIG_IGN)
    except Unavailable as error:
        raise SystemExit(f"faults: {error}") from None
    except Exception as error:
        traceback.print_exc()
        report.check("the run completed", False, f"{type(error).__name__}: {error}")
    signal.signal(signal.SIGINT, signal.default_int_handler)

    report.data["wall_seconds"] = round(time.monotonic() - started, 1)
    report.data["checks"] = [asdict(check) for check in report.checks]
    report.data["passed"] = report.passed
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(report.data, indent=2) + "\n")
    print_summary(report)
    say(f"results in {options.output}; server logs in {RESULTS}/faults-*.log")
    return 0 if report.passed else 1


def preflight(targets: Sequence[Target], ports: Sequence[int]) -> None:
    """Every page of the mix answers on both servers before any fault: a broken URL in this
    script must not pass for the application failing."""
    seen: set[tuple[str, str]] = set()
    for target in targets:
        if (target.path, target.cookie) in seen:
            continue
        seen.add((target.path, target.cookie))
        for index in range(len(ports)):
            sample = request(ports, index, target)
            if not sample.ok:
                raise SystemExit(
                    f"faults: preflight {target.path} ({target.kind}): {sample.outcome()}"
                )
    say(f"preflight: {len(seen)} distinct pages answer on both servers")


def copy_logs(logs: Path, extra: Sequence[Path]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    for log in [*logs.glob("*.log"), *extra]:
        if log.is_file():
            shutil.copyfile(log, RESULTS / f"faults-{log.name}")


def print_summary(report: Report) -> None:
    data = report.data
    print("\n=== make faults: summary ===")
    print(f"wall time {data['wall_seconds']} s (setup {data.get('setup_seconds')} s)")
    idle = data.get("restart_idle")
    if idle:
        print(
            f"idle restart: PostgreSQL back in {idle['restart_seconds']} s; during the outage "
            f"{idle['during_outage']['outcomes']}; after recovery "
            f"{idle['after_recovery']['requests']} requests, {idle['after_recovery']['errors']} "
            "errors"
        )
    loaded = data.get("restart_under_load")
    if loaded:
        print(
            f"load: {loaded['connections']} connections, {loaded['seconds']:.0f} s; restart at "
            f"{loaded['restart_at_s']} s took {loaded['restart_seconds']} s; /healthz 200 again "
            f"{loaded['healthz_recovered_after_s']} s after it began (+{GRACE_SECONDS:.0f} s grace)"
        )
        header = f"  {'window':<16}{'requests':>9}{'errors':>8}{'req/s':>8}"
        header += f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}  outcomes"
        print(header)
        for name, row in loaded["windows"].items():
            print(
                f"  {name:<16}{row['requests']:>9}{row['errors']:>8}{row['rps']:>8.1f}"
                f"{row['p50_ms']:>9.1f}{row['p95_ms']:>9.1f}{row['p99_ms']:>9.1f}"
                f"{row['max_ms']:>9.1f}  {row['outcomes']}"
            )
        print(f"  {'page (whole run)':<22}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p99 ms':>9}")
        for kind, row in loaded["by_kind"].items():
            print(
                f"  {kind:<22}{row['requests']:>9}{row['errors']:>8}{row['p50_ms']:>9.1f}"
                f"{row['p99_ms']:>9.1f}"
            )
    print("what the servers logged (warnings, errors, exceptions; both servers):")
    for key in sorted(k for k in data if k.startswith("logs_")):
        found: Counter[str] = Counter()
        for per_log in data[key].values():
            found.update(per_log["log_lines"])
            found.update(k for k, n in per_log["exceptions"].items() for _ in range(n))
        shown = [f"{n} x {line}" for line, n in found.most_common() if "psycopg." not in line]
        print(f"  {key.removeprefix('logs_')}: " + ("; ".join(shown) if shown else "nothing"))
    print("checks:")
    for check in report.checks:
        print(f"  {'PASS' if check.passed else 'FAIL'}  {check.name}")
    failed = [check for check in report.checks if not check.passed]
    print(f"{len(report.checks) - len(failed)} passed, {len(failed)} failed")


if __name__ == "__main__":
    sys.exit(main())
