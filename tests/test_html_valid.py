"""The HTML of every public page state passes the Nu HTML checker (vnu-jar from npm, on Java)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
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
]
MEMBER_PAGES = ["/codes/cpt/0439T/", "/accounts/", "/plans/"]


def member(email: str, plan: str) -> Client:
    user = User.objects.create_user(email, PASSWORD, plan=Plan.objects.get(slug=plan))
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    client = Client()
    client.force_login(user)
    return client


def test_every_public_page_state_is_valid_html(tmp_path):
    java = shutil.which("java")
    if java is None or not VNU.exists():
        pytest.fail("The Nu checker needs Java and node_modules: `apt-get install "
                    "default-jre-headless` and `npm ci` (make test runs npm ci).")  # fmt: skip
    pages: dict[str, str] = {}
    guest = Client()
    for path in GUEST_PAGES:
        pages[f"guest {path}"] = guest.get(path).content.decode()
    pages["guest, no views left"] = guest.get("/codes/cpt/93306/").content.decode()
    for plan in (Plan.FREE, Plan.PREMIUM):
        client = member(f"vnu-{plan}@example.com", plan)
        for path in MEMBER_PAGES:
            pages[f"{plan} {path}"] = client.get(path).content.decode()
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
