"""Every public page state, at a desktop's and a phone's width, through axe-core in Debian's
chromium: no violation of any impact. The admin's forms: no serious or critical one. And no page
scrolls sideways on a 320 px or 390 px screen.

New pages join PUBLIC_STATES (and tests/test_html_valid.py) when they are built.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.test import Client

from accounts.models import User
from metering.models import Plan
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now. axe is evaluated through the browser's
    debugging protocol, which the site's Content-Security-Policy does not govern, so the check
    runs against the page exactly as visitors get it, CSP included."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (make test does).")
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        {
            "rule": violation["id"],
            "impact": violation["impact"],
            "nodes": [node["target"] for node in violation["nodes"][:3]],
        }
        for violation in result["violations"]
    ]


def member(email: str, plan: str = Plan.FREE) -> User:
    """A verified member (the same one each time it is asked for)."""
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, PASSWORD, plan=Plan.objects.get(slug=plan))
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def signed_in(context: Any, site: str, user: User) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": site}])


def long_chapter(context: Any, site: str) -> None:
    """A chapter as wide as real ones get: a long range, long words, a five-digit count."""
    from django.core.cache import cache

    from codes.models import CodeSet, Section

    icd = CodeSet.objects.get(slug="icd10cm")
    chapter, _ = Section.objects.get_or_create(
        code_set=icd,
        slug="test-long-chapter",
        defaults={
            "title": "Pneumoconiosis-associated hypersensitivity-pneumonitis disorders",
            "range_start": "J60",
            "range_end": "J84.9",
            "position": 99,
        },
    )
    cache.set(f"codes:section-count:{chapter.pk}", 12345, 600)


def job(title: str) -> Callable[[], str]:
    """The address of the demo job `title` (ids differ from one load of the demo to the next)."""

    def path() -> str:
        from careercenter.models import Job

        return Job.objects.get(title=title).get_absolute_url()

    return path


def as_employer(context: Any, site: str) -> None:
    """Signed in as the demo employer whose postings are open, pending and rejected."""
    signed_in(context, site, User.objects.get(email="office@pinecrest-family.example"))


def with_saved_jobs_and_alerts(context: Any, site: str) -> None:
    from careercenter import services
    from careercenter.models import Job

    user = member("a11y-jobs@example.com")
    for title in ("Coding Auditor", "Anesthesia Coder"):  # one open, one expired
        services.job_save(account=user, job=Job.objects.get(title=title))
    if not user.job_alerts.exists():
        services.alert_create(
            account=user, filters={"work_mode": ["remote"], "credential": "CRC"}, frequency="weekly"
        )
        services.alert_create(account=user, filters={"q": "auditor"}, frequency="daily")
    signed_in(context, site, user)


def unsubscribe_link() -> str:
    from careercenter import services

    user = member("a11y-unsubscribe@example.com")
    alert = services.alert_create(account=user, filters={"state": "TX"}, frequency="daily")
    return f"/careers/alerts/unsubscribe/{services.unsubscribe_token(alert_id=alert.pk)}/"


def consultant_question() -> tuple[User, User, str]:
    """A member's question with a consultant's answer (the same each time it is asked for)."""
    from caseconsultant import services
    from caseconsultant.models import Question
    from codes.models import Code
    from tests.caseconsultant.conftest import consultants_group

    asker = member("a11y-asker@example.com")
    consultant = member("a11y-consultant@example.com")
    consultant.groups.add(consultants_group())
    question = Question.objects.filter(asker=asker).first()
    if question is None:
        question = services.question_submit(
            asker=asker,
            subject="Modifier 25 with a minor procedure",
            body="An office visit and 11102 on the same day. Does **99213** take modifier 25?",
            codes=[Code.objects.get(code_set__slug="cpt", identifier="99213")],
            setting="professional",
            payer_type="medicare",
        )
        services.question_reply(
            question=question, consultant=consultant, body="Yes, when the visit is *separate*.",
            internal=False,
        )  # fmt: skip
    return asker, User.objects.get(pk=consultant.pk), question.get_absolute_url()


def casepilot_member(context: Any, site: str) -> None:
    """A member who has asked CasePilot a question: the page lists it."""
    user = member("a11y-pilot@example.com")
    client = Client()
    client.force_login(user)
    client.post("/casepilot/", {"question": "What replaced 0501T?"})
    signed_in(context, site, user)


def as_asker(context: Any, site: str) -> None:
    signed_in(context, site, consultant_question()[0])


def as_consultant(context: Any, site: str) -> None:
    signed_in(context, site, consultant_question()[1])


def guest_after_one_view(context: Any, site: str) -> None:
    page = context.new_page()
    page.goto(f"{site}/codes/cpt/0439T/")
    page.close()


# (name, path or a function giving it, how to prepare the browser context)
Setup = Callable[[Any, str], None]
PUBLIC_STATES: list[tuple[str, str | Callable[[], str], Setup | None]] = [
    ("home", "/", None),
    ("code page, guest, unlocked", "/codes/cpt/0439T/", None),
    ("code page, guest, no views left", "/codes/cpt/93306/", guest_after_one_view),
    ("code page, deleted code", "/codes/cpt/0501T/", None),
    ("code page, ICD-10-CM", "/codes/icd10cm/E11.9/", None),
    ("code page, free member", "/codes/cpt/0439T/",
     lambda context, site: signed_in(context, site, member("a11y-free@example.com"))),
    ("code page, premium member", "/codes/cpt/0439T/",
     lambda context, site: signed_in(context, site, member("a11y-premium@example.com",
                                                            Plan.PREMIUM))),
    ("search results", "/search/?q=diabetes", None),
    ("search, nothing found", "/search/?q=zzzqqq", None),
    ("search, a range", "/search/?q=99202-99215", None),
    ("code sets", "/codes/", None),
    ("code set", "/codes/icd10cm/", long_chapter),
    ("section", "/codes/cpt/sections/cpt-medicine/", None),
    ("section with codes", "/codes/cpt/sections/cpt-echocardiography/", None),
    ("plans", "/plans/", None),
    ("log in", "/accounts/login/", None),
    ("register", "/accounts/signup/", None),
    ("password reset", "/accounts/password/reset/", None),
    ("account page", "/accounts/",
     lambda context, site: signed_in(context, site, member("a11y-account@example.com"))),
    ("not found", "/codes/cpt/0000T/", None),
    ("CasePilot", "/casepilot/", None),
    ("CasePilot, asked from a code page", "/casepilot/?code=cpt/0439T", None),
    ("CasePilot, a member's history", "/casepilot/", casepilot_member),
    ("CaseConsultant, a guest", "/caseconsultant/", None),
    ("CaseConsultant, a member's questions", "/caseconsultant/", as_asker),
    ("CaseConsultant, asking", "/caseconsultant/ask/", as_asker),
    ("CaseConsultant, the desk", "/caseconsultant/desk/", as_consultant),
    ("jobs", "/careers/", None),
    ("jobs, three filters", "/careers/?work_mode=remote&credential=CRC&min_pay=40000", None),
    ("jobs, words and a state, by pay", "/careers/?q=coder&state=OH&sort=pay", None),
    ("jobs, nothing found", "/careers/?q=zzzqqq", None),
    ("jobs, unknown filters", "/careers/?credential=NOPE&state=ZZ", None),
    ("jobs, signed in", "/careers/?setting=auditing",
     lambda context, site: signed_in(context, site, member("a11y-list@example.com"))),
    ("job page, on-site", job("Inpatient Coder II"), None),
    ("job page, remote, apply by email", job("Part-time Coding Compliance Reviewer"), None),
    ("job page, signed in", job("Coding Auditor"),
     lambda context, site: signed_in(context, site, member("a11y-job@example.com"))),
    ("job page, expired", job("Anesthesia Coder"), None),
    ("job page, closed", job("Hand Surgery Coder"), None),
    ("job page, pending, its employer", job("Practice Manager with Coding Experience"),
     as_employer),
    ("post a job", "/careers/post/", as_employer),
    ("employer profile", "/careers/employer/", as_employer),
    ("my postings", "/careers/mine/", as_employer),
    ("saved jobs", "/careers/saved/", with_saved_jobs_and_alerts),
    ("job alerts", "/careers/alerts/", with_saved_jobs_and_alerts),
    ("stop a job alert", unsubscribe_link, None),
]  # fmt: skip


THREAD_STATES: list[tuple[str, Setup]] = [
    ("CaseConsultant, a thread, the asker", as_asker),
    ("CaseConsultant, a thread, a consultant", as_consultant),
]


@pytest.fixture
def open_state(browser, site):
    contexts = []

    def open_at(path: str | Callable[[], str], setup: Setup | None, width: int) -> Any:
        context = browser.new_context(viewport={"width": width, "height": 900})
        contexts.append(context)
        if setup is not None:
            setup(context, site)
        page = context.new_page()
        address = path if isinstance(path, str) else path()
        response = page.goto(f"{site}{address}")
        # 400: a form of unknown filter values, answered with the errors.
        assert response is not None and response.status in {200, 400, 404}, address
        return page

    yield open_at
    for context in contexts:
        context.close()


@pytest.mark.parametrize(
    ("name", "path", "setup"), PUBLIC_STATES, ids=[s[0] for s in PUBLIC_STATES]
)
def test_public_pages_have_no_accessibility_violations_at_either_width(
    open_state, name, path, setup
):
    found = {width: axe_violations(open_state(path, setup, width)) for width in (1280, 390)}

    assert found == {1280: [], 390: []}, name


@pytest.mark.parametrize(
    ("name", "path", "setup"), PUBLIC_STATES, ids=[s[0] for s in PUBLIC_STATES]
)
def test_no_public_page_scrolls_sideways_on_a_phone(open_state, name, path, setup):
    for width in (320, 390):
        page = open_state(path, setup, width)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)


def preview_a_posting(page: Any) -> None:
    """Fill the posting form as an employer would, and press Preview."""
    page.get_by_label("Job title").fill("Remote Risk Adjustment Coder, Medicare Advantage charts")
    page.get_by_label("Description").fill(
        "Review **Medicare Advantage** charts for HCC capture.\n\n- MEAT criteria\n"
        "- https://www.example-very-long-domain-name-for-testing.example/apply/now"
    )
    page.get_by_label("Remote").check()
    page.get_by_label("Employment type").select_option("full_time")
    page.get_by_label("Setting").select_option("risk_adjustment")
    page.get_by_label("CRC (Certified Risk Adjustment Coder)").check()
    page.get_by_label("CCS-P (Certified Coding Specialist – Physician-based)").check()
    page.get_by_label("Pay from").fill("27.50")
    page.get_by_label("Pay up to").fill("32")
    page.get_by_label("an hour").check()
    page.get_by_label("Apply link").fill(
        "https://careers.example-very-long-domain-name-for-testing.example/apply?job=123456"
    )
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("heading", name="Preview: this is how applicants will see it").wait_for()


def test_the_posting_preview_has_no_violations_and_fits_a_phone(open_state):
    found = {}
    for width in (1280, 390, 320):
        page = open_state("/careers/post/", as_employer, width)
        preview_a_posting(page)
        if width != 320:
            found[width] = axe_violations(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, width

    assert found == {1280: [], 390: []}


def test_every_product_in_the_menu_is_reachable_on_a_phone(open_state):
    page = open_state("/", None, 320)

    for link in page.get_by_role("navigation", name="Products").get_by_role("link").all():
        box = link.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 320


def test_the_user_menu_says_it_is_a_menu_on_a_phone(open_state, site):
    page = open_state(
        "/", lambda context, site: signed_in(context, site, member("menu@example.com")), 390
    )

    summary = page.locator(".user-menu summary")
    assert page.locator(".user-menu .menu-short").is_visible()  # "Account", not a cut address
    assert not page.locator(".user-menu .menu-name").is_visible()
    caret = summary.evaluate("node => getComputedStyle(node, '::after').content")
    assert caret == '"▾"'
    summary.click()
    assert page.get_by_role("link", name="Your account").is_visible()


ADMIN_PAGES = [
    "/admin/",
    "/admin/codes/code/",
    "/admin/codes/code/{code}/change/",
    "/admin/codes/code/{add_on}/change/",
    "/admin/codes/contentsection/{section}/change/",
    "/admin/accounts/user/",
    "/admin/metering/plan/",
    "/admin/careercenter/job/",
    "/admin/careercenter/job/{job}/change/",
]


def test_the_admin_has_no_serious_or_critical_violations(open_state, site):
    from codes.models import Code

    admin = User.objects.create_superuser("a11y-admin@example.com", PASSWORD)
    EmailAddress.objects.create(user=admin, email=admin.email, verified=True, primary=True)
    deleted = Code.objects.get(code_set__slug="cpt", identifier="0501T")  # has a replacement
    add_on = Code.objects.get(code_set__slug="cpt", identifier="0439T")  # has primary codes
    from careercenter.models import Job

    ids = {
        "code": deleted.pk,
        "add_on": add_on.pk,
        "section": add_on.content_sections.first().pk,
        "job": Job.objects.get(title="Inpatient Coder II").pk,
    }
    found = {}
    for path in ADMIN_PAGES:
        page = open_state(
            path.format(**ids), lambda context, site: signed_in(context, site, admin), 1280
        )
        serious = [v for v in axe_violations(page) if v["impact"] in {"serious", "critical"}]
        if serious:
            found[path] = serious
        # Nothing cut off at a laptop's width: lists fit beside the admin's sidebar.
        width = page.evaluate(
            "document.querySelector('#result_list')?.getBoundingClientRect().right ?? 0"
        )
        assert width <= 1280, path

    assert found == {}
