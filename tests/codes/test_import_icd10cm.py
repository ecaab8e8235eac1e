"""`import_codes icd10cm`: every billable code of the simple-icd-10-cm package, with its tree."""

import datetime
import io
import re

import pytest
import simple_icd_10_cm as cm
from django.core.management import CommandError, call_command

from codes.models import Code, CodeSet, Section

pytestmark = pytest.mark.django_db

BILLABLE = 74_719


def run(*args: str) -> str:
    stdout = io.StringIO()
    call_command("import_codes", "icd10cm", *args, stdout=stdout, stderr=io.StringIO())
    return stdout.getvalue()


def billable_codes() -> set[str]:
    return {
        code
        for code in cm.get_all_codes(True)
        if cm.is_category_or_subcategory(code) and cm.is_leaf(code)
    }


def icd(identifier: str) -> Code:
    return Code.objects.select_related("section__parent__parent").get(
        code_set__slug="icd10cm", identifier=identifier
    )


def test_the_package_has_the_billable_codes_we_expect():
    assert len(billable_codes()) == BILLABLE


def test_full_load_nests_codes_in_categories_blocks_and_chapters():
    demo = icd("E11.9")
    plain, sections = demo.plain_description, demo.content_sections.count()
    demo_codes = Code.objects.filter(code_set__slug="icd10cm").count()

    out = run()

    assert out.splitlines()[-1].startswith(
        f"icd10cm: {BILLABLE - demo_codes} created, {demo_codes} updated, 0 unchanged, 0 deleted "
    )
    assert Code.objects.filter(code_set__slug="icd10cm").count() == BILLABLE
    assert not Code.objects.filter(code_set__slug="icd10cm", section=None).exists()
    code = icd("E11.9")
    assert (
        code.title
        == code.official_description
        == ("Type 2 diabetes mellitus without complications")
    )
    assert code.plain_description == plain
    assert code.content_sections.count() == sections
    assert not code.is_sample
    category, block, chapter = code.section, code.section.parent, code.section.parent.parent
    assert (category.slug, category.title, category.range_start, category.range_end) == (
        "icd10cm-e11", "Type 2 diabetes mellitus", "E11.00", "E11.A",
    )  # fmt: skip
    assert (block.slug, block.title, block.range_start, block.range_end) == (
        "icd10cm-e08-e13", "Diabetes mellitus", "E08", "E13",
    )  # fmt: skip
    assert (chapter.slug, chapter.title, chapter.range_start, chapter.range_end) == (
        "icd10cm-ch04", "Endocrine, nutritional and metabolic diseases", "E00", "E89",
    )  # fmt: skip
    assert chapter.parent is None
    # A billable category sits in its block; a block of one category is one section.
    assert icd("I10").section.slug == "icd10cm-i10-i1a"
    assert icd("B20").section.slug == "icd10cm-b20"
    assert icd("B10.01").section.slug == "icd10cm-b10"
    assert icd("QA0.8").section.parent.slug == "icd10cm-ch17"
    chapters = Section.objects.filter(code_set__slug="icd10cm", parent=None)
    assert [s.slug for s in chapters.order_by("position")] == [
        f"icd10cm-ch{number:02d}" for number in range(1, 23)
    ]

    out = run()

    assert out.splitlines()[-1].startswith(
        f"icd10cm: 0 created, 0 updated, {BILLABLE} unchanged, 0 deleted "
        "(sections: 0 created, 0 updated)"
    )


def test_dry_run_reports_and_writes_nothing():
    count, sections = Code.objects.count(), Section.objects.count()
    demo_codes = Code.objects.filter(code_set__slug="icd10cm").count()

    out = run("--dry-run")

    last = out.splitlines()[-1]
    assert last.startswith(f"icd10cm: {BILLABLE - demo_codes} created, {demo_codes} updated")
    assert last.endswith("dry run, nothing was written")
    assert (Code.objects.count(), Section.objects.count()) == (count, sections)
    assert icd("E11.9").is_sample


def test_every_code_the_set_refuses_is_reported_and_nothing_is_written():
    # A code set that refuses U codes, to check the package's codes like a file's lines.
    CodeSet.objects.filter(slug="icd10cm").update(
        identifier_pattern="[A-TV-Z][0-9A-Z][0-9A-Z]([0-9A-Z]{1,4})?"
    )
    refused = sorted(code for code in billable_codes() if code.startswith("U"))
    count = Code.objects.count()
    stderr = io.StringIO()

    with pytest.raises(CommandError, match=f"{len(refused)} problem"):
        call_command("import_codes", "icd10cm", stdout=io.StringIO(), stderr=stderr)

    lines = stderr.getvalue().splitlines()
    assert len(lines) == len(refused) > 0
    for code, line in zip(refused, sorted(lines, key=lambda line: line.split('"')[1]), strict=True):
        assert re.fullmatch(
            rf'simple-icd-10-cm item \d+: code "{re.escape(code)}" is not a valid ICD-10-CM '
            "identifier",
            line,
        )
    assert Code.objects.count() == count


def test_the_code_set_pattern_accepts_every_billable_code():
    # Including QA0.0101 and its siblings: the second character may be a letter.
    code_set = CodeSet.objects.get(slug="icd10cm")
    refused = [code for code in billable_codes() if code_set.canonical_identifier(code) is None]

    assert refused == []


def test_icd10cm_takes_no_file(tmp_path):
    stderr = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_codes", "icd10cm", str(tmp_path), stdout=io.StringIO(), stderr=stderr)

    assert "icd10cm takes no FILE" in stderr.getvalue()


def test_the_release_date_is_read_from_the_package():
    from codes.imports.icd10cm import release_date

    assert release_date() == datetime.date(2026, 4, 1)  # icd10c-tabular-April-1-2026.xml
