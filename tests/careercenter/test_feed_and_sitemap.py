"""The Atom feed of new jobs and the sitemap hold open jobs only; robots.txt points at the
sitemap."""

import xml.etree.ElementTree as ET

import pytest

from careercenter.models import Job
from tests.careercenter.conftest import DAY, NOW, make_job

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture
def jobs(frozen):
    return {
        "open": make_job(title="Open coder", posted=NOW - DAY),
        "newer": make_job(title="Newer coder", posted=NOW - DAY / 2),
        "expired": make_job(title="Expired coder", posted=NOW - 31 * DAY),
        "closed": make_job(title="Closed coder", status=Job.Status.CLOSED),
        "pending": make_job(title="Pending coder", status=Job.Status.PENDING),
        "removed": make_job(title="Removed coder", status=Job.Status.REMOVED),
    }


def test_the_feed_is_atom_with_the_open_jobs_newest_first(client, jobs):
    response = client.get("/careers/feed/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314 - our own response
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == [
        f"Newer coder — {jobs['newer'].organization}",
        f"Open coder — {jobs['open'].organization}",
    ]
    link = entries[1].find(f"{ATOM}link").get("href")
    assert link == f"http://localhost{jobs['open'].get_absolute_url()}"  # SITE_DOMAIN
    assert entries[1].find(f"{ATOM}published").text == "2026-03-02T09:30:00+00:00"
    assert "$27–$32 an hour" in str(entries[1].find(f"{ATOM}summary").text)


def test_the_sitemap_lists_the_open_jobs_only(client, jobs):
    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    urls = ET.fromstring(response.content).findall(f"{SITEMAP}url")  # noqa: S314
    locations = sorted(str(url.find(f"{SITEMAP}loc").text) for url in urls)
    assert locations == sorted(
        f"http://localhost{jobs[name].get_absolute_url()}" for name in ("open", "newer")
    )


def test_an_expiring_job_leaves_feed_and_sitemap_on_time(client, frozen):
    job = make_job(title="Last day", posted=NOW - 30 * DAY + DAY / 24)

    assert "Last day" in client.get("/careers/feed/").content.decode()
    assert job.get_absolute_url() in client.get("/sitemap.xml").content.decode()
    frozen.shift(DAY / 24)
    assert "Last day" not in client.get("/careers/feed/").content.decode()
    assert job.get_absolute_url() not in client.get("/sitemap.xml").content.decode()


def test_robots_txt_points_crawlers_at_the_sitemap_and_away_from_counters(client, settings):
    settings.SITE_URL = "https://codeahead.example"

    robots = client.get("/robots.txt").content.decode()

    assert "Sitemap: https://codeahead.example/sitemap.xml" in robots
    assert "Disallow: /careers/apply/" in robots
    assert "Disallow: /careers/alerts/" in robots
