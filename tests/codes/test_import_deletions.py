"""Codes that drop out of a release are marked deleted with their end date, never removed.

On synthetic CPT® files (every descriptor is invented): an earlier import loads three codes, a
later release lists two of them.
"""

import datetime
import io

import pytest
from django.core.management import call_command

from codes.models import Code

pytestmark = pytest.mark.django_db

FIRST = "0901T\tInvented first code\n0902T\tInvented second code\n0903T\tInvented third code\n"
SECOND = "0901T\tInvented first code\n0902T\tInvented second code\n"


def run(*args: str) -> str:
    stdout = io.StringIO()
    call_command("import_codes", "cpt", *args, stdout=stdout, stderr=io.StringIO())
    return stdout.getvalue()


def cpt(identifier: str) -> Code:
    return Code.objects.get(code_set__slug="cpt", identifier=identifier)


@pytest.fixture
def releases(tmp_path):
    first, second = tmp_path / "cpt-2026.txt", tmp_path / "cpt-2027.txt"
    first.write_text(FIRST, encoding="utf-8")
    second.write_text(SECOND, encoding="utf-8")
    run(str(first), "--effective", "2026-01-01")
    return first, second


def test_a_code_missing_from_the_next_release_is_deleted_with_its_end_date(releases, reader):
    _, second = releases

    out = run(str(second), "--effective", "2027-01-01")

    assert "cpt: 0 created, 0 updated, 2 unchanged, 1 deleted (sections:" in out.splitlines()[-1]
    assert "1 cpt code(s) are not in this release: marked deleted with end date 2026-12-31." in out
    dropped = cpt("0903T")
    assert (dropped.status, dropped.end_date) == ("deleted", datetime.date(2026, 12, 31))
    assert dropped.history.first().history_change_reason == "import_codes cpt cpt-2027.txt"
    assert (cpt("0901T").status, cpt("0901T").end_date) == ("active", None)
    html = reader.get("/codes/cpt/0903T/").content.decode()
    assert "This code was deleted after December 31, 2026." in html


def test_importing_the_same_release_again_changes_nothing(releases, time_machine):
    _, second = releases
    run(str(second), "--effective", "2027-01-01")
    history = Code.history.count()
    time_machine.move_to(datetime.datetime(2027, 6, 1, tzinfo=datetime.UTC))

    out = run(str(second), "--effective", "2027-01-01")

    assert "2 unchanged, 0 deleted" in out.splitlines()[-1]
    assert "not in this release" not in out
    assert Code.history.count() == history
    assert cpt("0903T").end_date == datetime.date(2026, 12, 31)


def test_sample_codes_were_never_imported_and_are_left_alone(releases):
    _, second = releases

    run(str(second), "--effective", "2027-01-01")

    demo = cpt("99213")  # a demo row, absent from both files
    assert (demo.is_sample, demo.status, demo.end_date) == (True, "active", None)


def test_a_deleted_code_listed_again_is_active_again(releases):
    first, second = releases
    run(str(second), "--effective", "2027-01-01")

    out = run(str(first), "--effective", "2028-01-01")

    assert "cpt: 0 created, 1 updated, 2 unchanged, 0 deleted" in out.splitlines()[-1]
    assert "1 deleted code(s) are in it again: marked active." in out
    back = cpt("0903T")
    assert (back.status, back.end_date) == ("active", None)


def test_a_dry_run_reports_the_deletions_and_writes_nothing(releases):
    _, second = releases

    out = run(str(second), "--effective", "2027-01-01", "--dry-run")

    assert "1 deleted" in out.splitlines()[-1]
    assert cpt("0903T").status == "active"


def test_a_file_without_a_date_is_taken_to_start_today(releases, time_machine):
    _, second = releases
    time_machine.move_to(datetime.datetime(2027, 3, 1, 9, 0, tzinfo=datetime.UTC))

    run(str(second))

    assert cpt("0903T").end_date == datetime.date(2027, 2, 28)


def test_an_end_date_never_precedes_the_codes_own_start(releases):
    _, second = releases
    Code.objects.filter(code_set__slug="cpt", identifier="0903T").update(
        effective_date=datetime.date(2027, 2, 1)
    )

    run(str(second), "--effective", "2027-01-01")

    assert cpt("0903T").end_date == datetime.date(2027, 2, 1)
