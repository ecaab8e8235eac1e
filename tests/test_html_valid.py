"""The HTML of every public page state passes the Nu HTML checker (vnu-jar from npm, on Java)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from metering.models import Plan
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

VNU = Path(settings.BASE_DIR) / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

GUEST_PAGES = [
    "/",
    "/codes/cpt/0439T/",
    "/codes/cpt/0501T/",
    "/codes/icd10cm/E11.9/",
    "/search/?q=diabetes",
    "/search/?q=zzzqqq",
    "/search/?q=99202-99215",
    "/codes/",
    "/codes/icd10cm/",
    "/codes/cpt/sections/cpt-medicine/",
    "/codes/cpt/sections/cpt-echocardiography/",
    "/plans/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/codes/cpt/0000T/",
    "/casepilot/",
    "/caseconsultant/",
    "/careers/",
    "/careers/?work_mode=remote&credential=CRC&min_pay=40000",
    "/careers/?q=coder&state=OH&sort=pay&page=1",
    "/careers/?q=zzzqqq",
    "/careers/?credential=NOPE&state=ZZ",
]
# CareerCenter's demo jobs, by title: open on-site and remote ones, an expired and a closed one.
JOB_PAGES = [
    "Inpatient Coder II",
    "Part-time Coding Compliance Reviewer",
    "Anesthesia Coder",
    "Hand Surgery Coder",
]
# Pages of the demo employer with open, pending and rejected postings.
EMPLOYER_PAGES = ["/careers/post/", "/careers/employer/", "/careers/mine/"]
MEMBER_PAGES = ["/codes/cpt/0439T/", "/accounts/", "/plans/"]
PREVIEW = {
    "action": "preview",
    "title": "Remote Risk Adjustment Coder",
    "description": "Review **Medicare Advantage** charts.\n\n- MEAT criteria",
    "work_mode": "remote",
    "employment_type": "full_time",
    "setting": "risk_adjustment",
    "credentials": ["CRC", "CPC"],
    "experience_years": "2",
    "pay_min": "27",
    "pay_max": "32",
    "pay_period": "hour",
    "apply_url": "https://employer.example/apply",
}


def member(email: str, plan: str) -> Client:
    user = User.objects.create_user(email, PASSWORD, plan=Plan.objects.get(slug=plan))
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    client = Client()
    client.force_login(user)
    return client


def consultant_pages() -> tuple[Client, Client, str]:
    """Clients of a member with a question and of a consultant, and the thread's address."""
    from caseconsultant import services
    from codes.models import Code
    from tests.caseconsultant.conftest import make_consultant, make_member

    asker, consultant = make_member("vnu-asker@example.com"), make_consultant()
    question = services.question_submit(
        asker=asker,
        subject="Modifier 25",
        body="Does **99213** take modifier 25 with 11102?",
        codes=[Code.objects.get(code_set__slug="cpt", identifier="99213")],
        setting="professional",
        payer_type="medicare",
    )
    services.question_reply(question=question, consultant=consultant, body="Yes.", internal=False)
    clients = []
    for user in (asker, consultant):
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients[0], clients[1], question.get_absolute_url()


def test_every_public_page_state_is_valid_html(tmp_path):
    java = shutil.which("java")
    if java is None or not VNU.exists():
        pytest.fail("The Nu checker needs Java and node_modules: `apt-get install "
                    "default-jre-headless` and `npm ci` (make test runs npm ci).")  # fmt: skip
    from careercenter import services
    from careercenter.models import Job

    call_command("load_demo_jobs", verbosity=0)
    pages: dict[str, str] = {}
    guest = Client()
    for path in GUEST_PAGES:
        pages[f"guest {path}"] = guest.get(path).content.decode()
    for title in JOB_PAGES:
        job = Job.objects.get(title=title)
        pages[f"guest job {title}"] = guest.get(job.get_absolute_url()).content.decode()
    pages["guest, no views left"] = guest.get("/codes/cpt/93306/").content.decode()
    for plan in (Plan.FREE, Plan.PREMIUM):
        client = member(f"vnu-{plan}@example.com", plan)
        for path in MEMBER_PAGES:
            pages[f"{plan} {path}"] = client.get(path).content.decode()
    # CasePilot: a guest's answer and refused question, a member's answer page and history.
    pages["guest casepilot answer"] = (
        Client()
        .post("/casepilot/", {"question": "Is 0439T an add-on code?", "code": "cpt/0439T"})
        .content.decode()
    )
    pages["guest casepilot refused"] = (
        Client()
        .post("/casepilot/", {"question": "MRN 12345678: is 0439T an add-on?"})
        .content.decode()
    )
    pilot = member("vnu-pilot@example.com", Plan.FREE)
    pilot.post("/casepilot/", {"question": "What replaced 0501T?"})
    pages["member casepilot history"] = pilot.get("/casepilot/").content.decode()
    from casepilot.models import Question

    answer = Question.objects.filter(asker__email="vnu-pilot@example.com").get()
    pages["member casepilot answer"] = pilot.get(answer.get_absolute_url()).content.decode()
    asker, consultant, thread = consultant_pages()
    for name, client in (("asker", asker), ("consultant", consultant)):
        for path in ("/caseconsultant/", "/caseconsultant/ask/", thread, "/caseconsultant/desk/"):
            response = client.get(path)
            if response.status_code == 200:
                pages[f"{name} {path}"] = response.content.decode()
    employer = Client()
    employer.force_login(User.objects.get(email="office@pinecrest-family.example"))
    for path in EMPLOYER_PAGES:
        pages[f"employer {path}"] = employer.get(path).content.decode()
    pending = Job.objects.get(title="Practice Manager with Coding Experience")
    pages["employer, pending job"] = employer.get(pending.get_absolute_url()).content.decode()
    pages["employer, preview"] = employer.post("/careers/post/", PREVIEW).content.decode()
    pages["employer, refused form"] = employer.post("/careers/post/", {}).content.decode()
    coder = member("vnu-coder@example.com", Plan.FREE)
    user = User.objects.get(email="vnu-coder@example.com")
    services.job_save(account=user, job=Job.objects.get(title="Coding Auditor"))
    alert = services.alert_create(account=user, filters={"q": "coder"}, frequency="daily")
    for path in ("/careers/saved/", "/careers/alerts/", "/careers/?work_mode=hybrid"):
        pages[f"coder {path}"] = coder.get(path).content.decode()
    job = Job.objects.get(title="Coding Auditor")
    pages["coder, saved job page"] = coder.get(job.get_absolute_url()).content.decode()
    link = f"/careers/alerts/unsubscribe/{services.unsubscribe_token(alert_id=alert.pk)}/"
    pages["guest, stop an alert"] = guest.get(link).content.decode()
    pages["guest, alert stopped"] = guest.post(link).content.decode()
    files = {}
    for number, (name, html) in enumerate(pages.items()):
        path = tmp_path / f"page-{number:02d}.html"
        path.write_text(html, encoding="utf-8")
        files[path.name] = name

    done = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", "--stdout", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    messages = json.loads(done.stdout or "{}").get("messages", [])
    errors = [
        f"{files.get(Path(m.get('url', '')).name, m.get('url'))}: line {m.get('lastLine')}: "
        f"{m.get('message')}"
        for m in messages
        if m.get("type") == "error"
    ]
    assert errors == []
    assert done.returncode == 0, done.stderr
