"""Coders save open jobs and find them again; a saved job that closes says so."""

import pytest

from careercenter.models import Job, SavedJob
from tests.careercenter.conftest import DAY, NOW, make_account, make_job

pytestmark = pytest.mark.django_db


def test_a_coder_saves_a_job_and_finds_it_under_saved_jobs(coder_client, coder, frozen):
    job = make_job(title="Risk adjustment coder")

    response = coder_client.post(f"/careers/{job.pk}/save/", {"next": job.get_absolute_url()})

    assert response["Location"] == job.get_absolute_url()
    assert SavedJob.objects.filter(account=coder, job=job).exists()
    page = coder_client.get(job.get_absolute_url()).content.decode()
    assert "Saved ✓ Remove" in page
    saved = coder_client.get("/careers/saved/").content.decode()
    assert "Risk adjustment coder" in saved and ">Open<" in saved


def test_saving_twice_keeps_one_and_removing_forgets_it(coder_client, coder, frozen):
    job = make_job()

    coder_client.post(f"/careers/{job.pk}/save/")
    coder_client.post(f"/careers/{job.pk}/save/")
    assert SavedJob.objects.filter(account=coder).count() == 1
    coder_client.post(f"/careers/{job.pk}/save/", {"remove": "1"})

    assert not SavedJob.objects.exists()


def test_a_saved_job_that_expires_or_closes_says_so_and_a_removed_one_leaves(
    coder_client, coder, frozen
):
    expiring = make_job(title="Expiring", posted=NOW - 29 * DAY)
    closing = make_job(title="Closing")
    removed = make_job(title="Spam")
    for job in (expiring, closing, removed):
        coder_client.post(f"/careers/{job.pk}/save/")
    Job.objects.filter(pk=closing.pk).update(status=Job.Status.CLOSED)
    Job.objects.filter(pk=removed.pk).update(status=Job.Status.REMOVED)
    frozen.move_to(NOW + 2 * DAY)

    saved = coder_client.get("/careers/saved/")

    assert [(job.title, lifecycle) for job, lifecycle in saved.context["entries"]] == [
        ("Closing", "closed"),
        ("Expiring", "expired"),
    ]
    assert "Spam" not in saved.content.decode()


@pytest.mark.parametrize("status", [Job.Status.PENDING, Job.Status.CLOSED])
def test_only_open_jobs_can_be_saved(coder_client, frozen, status):
    job = make_job(status=status)

    assert coder_client.post(f"/careers/{job.pk}/save/").status_code == 404
    assert not SavedJob.objects.exists()


def test_guests_are_asked_to_log_in(client, frozen):
    job = make_job()

    assert "Log in</a> to save this job" in client.get(job.get_absolute_url()).content.decode()
    assert client.post(f"/careers/{job.pk}/save/").status_code == 302
    assert client.get("/careers/saved/")["Location"].startswith("/accounts/login/")
    assert not SavedJob.objects.exists()


def test_saved_jobs_are_private(client, frozen):
    job = make_job(title="Mine only")
    owner = make_account("owner@example.com")
    client.force_login(owner)
    client.post(f"/careers/{job.pk}/save/")

    client.force_login(make_account("other@example.com"))

    assert "Mine only" not in client.get("/careers/saved/").content.decode()


def test_a_redirect_after_saving_stays_on_this_site(coder_client, frozen):
    job = make_job()

    response = coder_client.post(f"/careers/{job.pk}/save/", {"next": "https://evil.example/"})

    assert response["Location"] == "/careers/saved/"
