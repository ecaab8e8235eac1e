"""The job page /careers/<id>-<slug>/, its apply button and the counters behind both."""

import re

import pytest

from careercenter.models import Job, JobCounter
from tests.careercenter.conftest import DAY, NOW, make_account, make_employer, make_job

pytestmark = pytest.mark.django_db


def counts(job: Job) -> tuple[int, int]:
    """(views, apply clicks) of `job`."""
    counter = JobCounter.objects.filter(job=job).first()
    return (counter.views, counter.apply_clicks) if counter else (0, 0)


def test_an_open_job_shows_everything_a_coder_needs(client, frozen):
    employer = make_employer(organization="Riverside Clinic", website="https://riverside.example")
    job = make_job(
        employer,
        title="Outpatient Coder",
        work_mode="hybrid",
        city="Columbus",
        state="OH",
        employment_type="part_time",
        setting="outpatient",
        credentials=["COC", "CPC"],
        experience_years=3,
        pay_period="hour",
        description_markdown="Code **ASC** cases.\n\n- NCCI edits",
    )

    response = client.get(f"/careers/{job.pk}-outpatient-coder/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<h1 id="job-heading">Outpatient Coder</h1>' in html
    for text in (
        "Riverside Clinic",
        "Columbus, OH (hybrid)",
        "Part-time",
        "Outpatient",
        "COC, CPC",
        "3+ years",
        "$27–$32 an hour",
        "<strong>ASC</strong>",
        "<li>NCCI edits</li>",
        "Mar 3, 2026",  # posted
        "Apr 2, 2026",  # open until
    ):
        assert text in html, text
    assert '<a href="https://riverside.example" rel="nofollow ugc noopener">' in html
    assert 'type="application/ld+json"' in html


def test_the_apply_button_is_an_external_link_marked_nofollow_ugc_noopener(client, frozen):
    job = make_job(apply_url="https://employer.example/apply?job=7")

    html = client.get(job.get_absolute_url()).content.decode()

    assert re.search(
        rf'<a class="button apply-button" href="/careers/apply/{job.pk}/" '
        r'rel="nofollow ugc noopener">Apply on the employer\'s site</a>',
        html,
    )


def test_apply_counts_the_click_and_sends_the_reader_on(client, frozen):
    job = make_job(apply_url="https://employer.example/apply?job=7")

    response = client.get(f"/careers/apply/{job.pk}/")

    assert response.status_code == 302
    assert response["Location"] == "https://employer.example/apply?job=7"
    assert counts(job) == (0, 1)


def test_apply_by_email_opens_the_mail_program(client, frozen):
    job = make_job(apply_url="", apply_email="jobs@employer.example")

    page = client.get(job.get_absolute_url()).content.decode()
    response = client.get(f"/careers/apply/{job.pk}/")

    assert "Apply by email" in page and "jobs@employer.example" in page
    assert response.status_code == 302
    assert response["Location"] == "mailto:jobs@employer.example"


def test_a_click_is_one_counter_update_and_stores_nobody(client, frozen, django_assert_num_queries):
    job = make_job()

    # 1 the open job; 2 its counter, made or raised in the database in one statement (no
    # read-modify-write, no row saying who clicked, the job's own row untouched).
    with django_assert_num_queries(2) as queries:
        client.get(f"/careers/apply/{job.pk}/")
    with django_assert_num_queries(2):
        client.get(f"/careers/apply/{job.pk}/")

    statements = [" ".join(query["sql"].split()) for query in queries.captured_queries]
    assert statements[1].startswith("INSERT INTO careercenter_jobcounter")
    assert "ON CONFLICT (job_id) DO UPDATE SET apply_clicks = " in statements[1]
    assert "careercenter_jobcounter.apply_clicks + 1" in statements[1]
    assert not any(sql.startswith('UPDATE "careercenter_job"') for sql in statements)
    assert counts(job) == (0, 2)
    assert [f.name for f in JobCounter._meta.get_fields()] == ["job", "views", "apply_clicks"]


def test_views_are_counted_for_real_gets_only_and_never_the_employers_own(client, frozen):
    job = make_job()

    client.get(job.get_absolute_url())
    client.get(job.get_absolute_url())
    client.head(job.get_absolute_url())
    client.get(job.get_absolute_url(), headers={"Sec-Purpose": "prefetch"})
    client.force_login(job.employer.account)
    client.get(job.get_absolute_url())

    assert counts(job) == (2, 0)


def test_crawlers_heads_are_answered_and_other_methods_refused(client, frozen):
    job = make_job()

    assert client.head("/careers/?work_mode=remote").status_code == 200
    assert client.head(job.get_absolute_url()).status_code == 200
    assert client.post(job.get_absolute_url()).status_code == 405
    assert client.post(f"/careers/apply/{job.pk}/").status_code == 405
    assert counts(job) == (0, 0)


def test_only_its_employer_sees_the_counters_on_the_page(client, frozen):
    job = make_job()
    client.get(job.get_absolute_url())
    client.get(f"/careers/apply/{job.pk}/")

    coder_sees = client.get(job.get_absolute_url()).content.decode()
    client.force_login(job.employer.account)
    employer_sees = client.get(job.get_absolute_url()).content.decode()

    assert "Your posting" not in coder_sees and "apply click" not in coder_sees
    assert "2 views, 1 apply click." in employer_sees


def test_a_prefetch_of_the_apply_link_counts_no_click(client, frozen):
    job = make_job()

    client.get(f"/careers/apply/{job.pk}/", headers={"Sec-Purpose": "prefetch"})

    assert counts(job) == (0, 0)


@pytest.mark.parametrize("path", ["/careers/{pk}-wrong-slug/", "/careers/{pk}/"])
def test_other_slugs_redirect_permanently_to_the_canonical_address(client, frozen, path):
    job = make_job(title="Risk Adjustment Coder")

    response = client.get(path.format(pk=job.pk))

    assert response.status_code == 301
    assert response["Location"] == f"/careers/{job.pk}-risk-adjustment-coder/"


@pytest.mark.parametrize("status", [Job.Status.PENDING, Job.Status.REJECTED])
def test_the_apply_link_of_a_posting_not_approved_tells_nobody_its_title(client, frozen, status):
    job = make_job(status=status, title="Secret new role")

    response = client.get(f"/careers/apply/{job.pk}/")

    assert response.status_code == 404
    assert "Location" not in response
    html = response.content.decode()
    assert "secret-new-role" not in html
    assert "Secret new role" not in html
    client.force_login(job.employer.account)
    assert client.get(f"/careers/apply/{job.pk}/")["Location"] == job.get_absolute_url()


def test_an_unknown_job_is_404(client, frozen):
    assert client.get("/careers/999999-nothing/").status_code == 404
    assert client.get("/careers/apply/999999/").status_code == 404


@pytest.mark.parametrize(
    ("status", "posted", "notice"),
    [
        (Job.Status.APPROVED, NOW - 31 * DAY, "This job expired on March 2, 2026"),
        (Job.Status.CLOSED, NOW - 2 * DAY, "The employer closed this job"),
    ],
)
def test_an_expired_or_closed_job_says_so_without_markup_or_apply_button(
    client, frozen, status, posted, notice
):
    job = make_job(status=status, posted=posted)

    response = client.get(job.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert notice in html
    assert "application/ld+json" not in html
    assert "JobPosting" not in html
    assert "/careers/apply/" not in html
    assert '<meta name="robots" content="noindex">' in html
    assert client.get(f"/careers/apply/{job.pk}/")["Location"] == job.get_absolute_url()


def test_a_job_removed_by_staff_is_gone(client, frozen):
    job = make_job(status=Job.Status.REMOVED)

    response = client.get(job.get_absolute_url())

    assert response.status_code == 410
    assert "This job was removed" in response.content.decode()
    assert job.title not in response.content.decode()


@pytest.mark.parametrize("status", [Job.Status.PENDING, Job.Status.REJECTED])
def test_a_job_not_approved_is_404_to_everyone_but_its_employer_and_staff(client, frozen, status):
    job = make_job(status=status)
    other_employer = make_employer("hr@other.example", "Other Clinic")

    assert client.get(job.get_absolute_url()).status_code == 404  # a guest
    client.force_login(make_account("coder@example.com"))
    assert client.get(job.get_absolute_url()).status_code == 404
    client.force_login(other_employer.account)
    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.get(f"/careers/{job.pk}/").status_code == 404  # no redirect tells either
    client.force_login(job.employer.account)
    own = client.get(job.get_absolute_url())
    assert own.status_code == 200
    assert "application/ld+json" not in own.content.decode()
    client.force_login(make_account("staff@codeahead.example", is_staff=True))
    assert client.get(job.get_absolute_url()).status_code == 200


def test_the_job_page_takes_two_queries_for_a_guest(client, frozen, django_assert_num_queries):
    job = make_job()

    # 1 the job with its employer; 2 counting the view.
    with django_assert_num_queries(2):
        response = client.get(job.get_absolute_url())

    assert response.status_code == 200
