"""`import_codes hcpcs [FILE]` with CMS's HCPCS Level II table (fixtures/hcpcs, 6,710 rows)."""

import gzip
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from codes.imports import HCPCS_FILE
from codes.models import Code, Section

pytestmark = pytest.mark.django_db

ROWS = 6_710


@pytest.fixture
def cms_file() -> Path:
    """The table shipped inside the project: every clone has it."""
    return HCPCS_FILE


def cms_lines() -> list[str]:
    return gzip.decompress(HCPCS_FILE.read_bytes()).decode("utf-8").splitlines()


def run(*args: str) -> str:
    stdout = io.StringIO()
    call_command("import_codes", *args, stdout=stdout, stderr=io.StringIO())
    return stdout.getvalue()


def hcpcs(identifier: str) -> Code:
    return Code.objects.select_related("section").get(code_set__slug="hcpcs", identifier=identifier)


def test_cms_file_loads_every_code_into_letter_sections(cms_file):
    demo = hcpcs("G0438")
    plain, sections = demo.plain_description, demo.content_sections.count()

    demo_codes = Code.objects.filter(code_set__slug="hcpcs").count()

    out = run("hcpcs", str(cms_file))

    assert out.splitlines()[-1].startswith(
        f"hcpcs: {ROWS - demo_codes} created, {demo_codes} updated, 0 unchanged, 0 deleted "
        "(sections: 12 created, 4 updated) in "
    )
    assert "codes written" in out
    assert Code.objects.filter(code_set__slug="hcpcs").count() == ROWS
    code = hcpcs("G0438")
    assert code.official_description == (
        "Annual wellness visit; includes a personalized prevention plan of service (pps), "
        "initial visit"
    )
    assert code.title == code.official_description  # not CMS's "Ppps, initial visit"
    assert code.plain_description == plain
    assert code.content_sections.count() == sections
    assert not code.is_sample
    assert code.history.first().history_change_reason == (
        "import_codes hcpcs hcpcs_level2_2020.csv.gz"
    )
    letters = Section.objects.filter(code_set__slug="hcpcs").order_by("position")
    assert [s.slug for s in letters] == [f"hcpcs-{letter}" for letter in "abceghjklmpqrstv"]
    assert all(section.parent is None for section in letters)
    g = letters.get(slug="hcpcs-g")
    assert (g.title, g.range_start, g.range_end) == (
        "Procedures and Professional Services (Temporary)",
        "G0008",
        "G9987",
    )
    assert letters.get(slug="hcpcs-l").title == "Orthotic and Prosthetic Procedures, Devices"
    assert code.section == g
    assert not Code.objects.filter(code_set__slug="hcpcs", section=None).exists()


def test_rerun_changes_nothing(cms_file):
    run("hcpcs", str(cms_file))
    history = Code.history.count()

    out = run("hcpcs", str(cms_file))

    assert (
        f"hcpcs: 0 created, 0 updated, {ROWS} unchanged, 0 deleted (sections: 0 created, 0 updated)"
    ) in out
    assert Code.history.count() == history


def test_dry_run_reports_and_writes_nothing(cms_file):
    count, sections = Code.objects.count(), Section.objects.count()
    demo_codes = Code.objects.filter(code_set__slug="hcpcs").count()

    out = run("hcpcs", str(cms_file), "--dry-run")

    last = out.splitlines()[-1]
    assert last.startswith(
        f"hcpcs: {ROWS - demo_codes} created, {demo_codes} updated, 0 unchanged, 0 deleted "
        "(sections: 12 "
    )
    assert last.endswith("dry run, nothing was written")
    assert (Code.objects.count(), Section.objects.count()) == (count, sections)
    assert hcpcs("G0438").is_sample


def test_bad_rows_are_all_reported_and_nothing_is_written(tmp_path):
    lines = cms_lines()
    # lines[n] is line n + 1; line 2 is A0021.
    lines[5] = 'a0021,"Invented: the same code as line 2, lower case",Invented'
    lines[9] = "W1234,Invented code outside A-V,Invented"
    lines[20] = "A0009,,Invented short description without a long one"
    lines.insert(30, "A0999,only two fields")
    bad = tmp_path / "hcpcs.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    count, sections = Code.objects.count(), Section.objects.count()
    stderr = io.StringIO()

    with pytest.raises(CommandError, match="4 problem"):
        call_command("import_codes", "hcpcs", str(bad), stdout=io.StringIO(), stderr=stderr)

    assert stderr.getvalue().splitlines() == [
        'line 6: code "a0021" is a duplicate of line 2 ("A0021")',
        'line 10: code "W1234" is not a valid HCPCS Level II identifier',
        'line 21: code "A0009" has no description',
        "line 31: 2 fields where the header has 3",
    ]
    assert (Code.objects.count(), Section.objects.count()) == (count, sections)


def test_a_file_without_the_cms_columns_is_refused(tmp_path):
    path = tmp_path / "hcpcs.csv"
    path.write_text("code,description\nA0021,Invented\n", encoding="utf-8")
    stderr = io.StringIO()

    with pytest.raises(CommandError, match="2 problem"):
        call_command("import_codes", "hcpcs", str(path), stdout=io.StringIO(), stderr=stderr)

    assert stderr.getvalue().splitlines() == [
        "line 1: the header has no long_description column",
        "line 1: the header has no short_description column",
    ]


def test_make_run_loads_the_shipped_table_once():
    first = run("hcpcs", "--if-not-loaded")
    second = run("hcpcs", "--if-not-loaded")

    assert "6705 created" in first.replace(",", "")
    assert second == "hcpcs: already loaded, skipped.\n"


def test_a_plain_csv_and_its_gzip_load_the_same(tmp_path):
    plain = tmp_path / "hcpcs.csv"
    plain.write_text("\n".join(cms_lines()[:50]) + "\n", encoding="utf-8")
    packed = tmp_path / "hcpcs.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))

    dry = run("hcpcs", str(packed), "--dry-run").splitlines()[-1]
    assert run("hcpcs", str(plain)).splitlines()[-1].split(" in ")[0] == dry.split(" in ")[0]
    assert "0 created, 0 updated, 49 unchanged" in run("hcpcs", str(packed))


def test_a_damaged_gzip_file_is_refused(tmp_path):
    path = tmp_path / "hcpcs.csv.gz"
    path.write_bytes(HCPCS_FILE.read_bytes()[:5000])  # cut short
    stderr = io.StringIO()

    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_codes", "hcpcs", str(path), stdout=io.StringIO(), stderr=stderr)

    assert "not a readable gzip file" in stderr.getvalue()


def test_the_command_offers_every_importer():
    from codes.imports import SOURCES
    from codes.management.commands import import_codes

    assert set(import_codes.SOURCES) == set(SOURCES)
