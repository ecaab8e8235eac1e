"""/careers/: open jobs, newest first, under filters that live in the URL."""

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest

from careercenter import views
from careercenter.models import Job
from careercenter.views import PAGE_SIZE
from tests.careercenter.conftest import DAY, NOW, make_employer, make_job

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    html = response.content.decode()
    return re.findall(r'class="job-item-title"><a href="[^"]+">([^<]+)</a>', html)


def test_lists_open_jobs_newest_first_and_nothing_else(client, frozen):
    make_job(title="Older coder", posted=NOW - 3 * DAY)
    make_job(title="Newest coder", posted=NOW - DAY)
    make_job(title="Expired coder", posted=NOW - 40 * DAY, days_left=30)
    make_job(title="Pending coder", status=Job.Status.PENDING)
    make_job(title="Rejected coder", status=Job.Status.REJECTED)
    make_job(title="Closed coder", status=Job.Status.CLOSED)
    make_job(title="Removed coder", status=Job.Status.REMOVED)

    response = client.get("/careers/")

    assert response.status_code == 200
    assert titles(response) == ["Newest coder", "Older coder"]
    assert "2 open jobs" in response.content.decode()


def test_a_job_leaves_the_list_the_moment_it_expires(client, frozen):
    hour = datetime.timedelta(hours=1)
    make_job(title="Short-lived coder", posted=NOW - 30 * DAY + hour)

    assert titles(client.get("/careers/")) == ["Short-lived coder"]
    frozen.shift(hour)
    assert titles(client.get("/careers/")) == []


def test_every_filter_narrows_the_list_and_lives_in_the_url(client, frozen):
    wanted: dict[str, Any] = {
        "work_mode": "remote",
        "state": "TX",
        "credentials": ["CRC", "CPMA"],
        "setting": "auditing",
        "employment_type": "contract",
        "pay_min": Decimal(60000),
        "pay_max": Decimal(70000),
        "pay_period": "year",
        "description_markdown": "Audit **HCC** capture for Medicare Advantage plans.",
    }
    target = make_job(title="Remote CRC auditor in Texas", **wanted)
    # Each differs from the target in exactly one filter, so each filter alone keeps it out.
    decoys: list[tuple[str, dict[str, Any]]] = [
        ("Hybrid one", {"work_mode": "hybrid", "city": "Austin"}),
        ("Ohio one", {"state": "OH"}),
        ("CPC one", {"credentials": ["CPC"]}),
        ("Inpatient one", {"setting": "inpatient"}),
        ("Full-time one", {"employment_type": "full_time"}),
        ("Low pay one", {"pay_min": Decimal(40000), "pay_max": Decimal(45000)}),
        ("Other words one", {"description_markdown": "Audit anesthesia claims."}),
    ]
    for title, difference in decoys:
        make_job(title=title, **(wanted | difference))
    url = (
        "/careers/?q=hcc&work_mode=remote&state=TX&credential=CRC&setting=auditing"
        "&employment_type=contract&min_pay=50000"
    )

    response = client.get(url)

    assert titles(response) == [target.title]
    html = response.content.decode()
    # The form shows the filters it applied, so the page is the search a shared link made.
    assert 'value="hcc"' in html
    assert re.search(r'<input[^>]*value="remote"[^>]*checked', html)
    assert re.search(r'<option value="CRC" selected>', html)
    assert re.search(r'<option value="50000" selected>', html)


def test_words_search_title_employer_and_description_with_accents_folded(client, frozen):
    make_job(title="Inpatient coder", description_markdown="Code MS-DRG stays.")
    make_job(make_employer("hr@montefiore.example", "Clínica Montefiore"), title="Biller")
    make_job(title="Auditor", description_markdown="We audit **anesthesia** claims.")
    make_job(title="Something else", description_markdown="Front desk.")

    assert titles(client.get("/careers/?q=inpatient")) == ["Inpatient coder"]
    assert titles(client.get("/careers/?q=clinica")) == ["Biller"]
    assert titles(client.get("/careers/?q=Cl%C3%ADnica")) == ["Biller"]
    assert titles(client.get("/careers/?q=anesthesia")) == ["Auditor"]
    assert titles(client.get("/careers/?q=auditing")) == ["Auditor"]  # stemmed: audit


@pytest.mark.parametrize("query", ["Ørsted", "orsted", "Łódź", "lodz", "cœur", "coeur"])
def test_words_fold_like_the_indexed_text_even_where_unicode_decomposition_does_not(
    client, frozen, query
):
    # Ø, Ł and œ have no Unicode decomposition: only the SQL folding of the index maps them.
    make_job(make_employer("hr@orsted.example", "Ørsted Łódź Clinic"), title="Coder au cœur")
    make_job(title="Something else", description_markdown="Front desk.")

    assert titles(client.get("/careers/", {"q": query})) == ["Coder au cœur"]


def test_state_filter_includes_remote_jobs_open_to_that_state(client, frozen):
    make_job(title="On-site in Texas", work_mode="onsite", city="Dallas", state="TX")
    make_job(title="Remote, Texans only", work_mode="remote", state="TX")
    make_job(title="Remote, anywhere", work_mode="remote", state="")
    make_job(title="Remote, Floridians only", work_mode="remote", state="FL")
    make_job(title="On-site in Ohio", work_mode="onsite", city="Dayton", state="OH")

    found = titles(client.get("/careers/?state=TX"))

    assert sorted(found) == ["On-site in Texas", "Remote, Texans only", "Remote, anywhere"]


def test_minimum_pay_compares_hourly_pay_as_2080_hours_a_year(client, frozen):
    make_job(title="Hourly 25-30", pay_min=Decimal(25), pay_max=Decimal(30), pay_period="hour")
    make_job(title="Yearly 55k", pay_min=Decimal(55000), pay_max=Decimal(55000),
             pay_period="year")  # fmt: skip
    make_job(title="Hourly 20", pay_min=Decimal(20), pay_max=Decimal(20), pay_period="hour")

    # $30 an hour is $62,400 a year; $20 an hour is $41,600.
    assert sorted(titles(client.get("/careers/?min_pay=60000"))) == ["Hourly 25-30"]
    assert sorted(titles(client.get("/careers/?min_pay=50000"))) == ["Hourly 25-30", "Yearly 55k"]


def test_sort_by_pay_puts_the_best_paid_first(client, frozen):
    make_job(title="Middle", pay_min=Decimal(50000), pay_max=Decimal(60000), pay_period="year",
             posted=NOW - 3 * DAY)  # fmt: skip
    make_job(title="Top", pay_min=Decimal(40), pay_max=Decimal(45), pay_period="hour",
             posted=NOW - 2 * DAY)  # fmt: skip
    make_job(title="Bottom", pay_min=Decimal(18), pay_max=Decimal(18), pay_period="hour",
             posted=NOW - DAY)  # fmt: skip

    assert titles(client.get("/careers/?sort=pay")) == ["Top", "Middle", "Bottom"]
    assert titles(client.get("/careers/?sort=newest")) == ["Bottom", "Top", "Middle"]


@pytest.mark.parametrize(
    "query",
    [
        "work_mode=moon",
        "state=ZZ",
        "credential=NOPE",
        "setting=space",
        "employment_type=forever",
        "min_pay=12345",
        "sort=random",
        "min_pay=abc&credential=CPC",
        "q=" + "x" * 201,
    ],
)
def test_unknown_filter_values_are_form_errors_never_a_500(client, frozen, query):
    make_job(title="Anything")

    response = client.get(f"/careers/?{query}")

    assert response.status_code == 400
    html = response.content.decode()
    assert "Some filters were not understood" in html
    assert 'class="form-errors" role="alert"' in html
    assert titles(response) == []  # nothing listed under half-applied filters


def test_pages_keep_the_filters(client, frozen):
    for number in range(PAGE_SIZE + 3):
        make_job(title=f"Remote job {number:02d}", posted=NOW - number * DAY / 100)
    make_job(title="On-site job", work_mode="onsite", city="Dayton", state="OH")

    first = client.get("/careers/?work_mode=remote")
    second = client.get("/careers/?work_mode=remote&page=2")
    beyond = client.get("/careers/?work_mode=remote&page=99")
    garbage = client.get("/careers/?work_mode=remote&page=abc")

    assert len(titles(first)) == PAGE_SIZE
    assert titles(second) == [f"Remote job {n:02d}" for n in range(PAGE_SIZE, PAGE_SIZE + 3)]
    assert 'href="?work_mode=remote&amp;page=2" rel="next"' in first.content.decode()
    assert titles(beyond) == titles(second)  # the last page
    assert titles(garbage) == titles(first)


def test_past_the_cap_the_list_says_more_and_pages_through_the_first_ones(
    client, frozen, monkeypatch
):
    monkeypatch.setattr(views, "LIST_CAP", PAGE_SIZE + 10)
    for number in range(PAGE_SIZE + 15):
        make_job(title=f"Job {number:02d}", posted=NOW - number * DAY / 100)

    first = client.get("/careers/")
    last = client.get("/careers/?page=2")
    beyond = client.get("/careers/?page=3")

    assert f"More than {PAGE_SIZE + 10} open jobs" in first.content.decode()
    assert "Page 1 of 2" in first.content.decode()
    assert titles(last) == [f"Job {n:02d}" for n in range(PAGE_SIZE, PAGE_SIZE + 10)]
    assert "Add a filter or a word to see the others" in last.content.decode()
    assert titles(beyond) == titles(last)


@pytest.mark.parametrize("jobs", [3, PAGE_SIZE + 5])
def test_the_list_takes_two_queries_whatever_the_page_holds(
    client, frozen, django_assert_num_queries, jobs
):
    for number in range(jobs):
        make_job(title=f"Coder {number}", credentials=["CPC"])

    # 1 the count of matching jobs; 2 the page of them (no relation is read per job). Both read
    # the one table, without DISTINCT, which would make PostgreSQL group every match.
    with django_assert_num_queries(2) as queries:
        response = client.get("/careers/?work_mode=remote&work_mode=hybrid&credential=CPC")

    assert len(titles(response)) == min(jobs, PAGE_SIZE)
    for query in queries.captured_queries:
        assert "DISTINCT" not in query["sql"] and "JOIN" not in query["sql"], query["sql"]


def test_signed_in_coders_get_the_alert_form_guests_a_login_link(client, coder, frozen):
    guest = client.get("/careers/?work_mode=remote").content.decode()
    assert "/accounts/login/?next=" in guest
    assert 'action="/careers/alerts/"' not in guest

    client.force_login(coder)
    member = client.get("/careers/?work_mode=remote&credential=CPC").content.decode()

    assert 'action="/careers/alerts/"' in member
    assert 'name="search" value="work_mode=remote&amp;credential=CPC"' in member


def test_the_list_links_its_atom_feed(client, frozen):
    html = client.get("/careers/").content.decode()

    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert 'href="/careers/feed/"' in html


def test_the_product_menu_marks_careercenter_current(client, frozen):
    html = client.get("/careers/").content.decode()

    assert re.search(r'<a href="/careers/" aria-current="page">CareerCenter', html)
