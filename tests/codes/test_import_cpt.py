"""`import_codes cpt FILE`: both layouts of a licensed CPT® file, on synthetic files only.

Every descriptor here is invented: the repository ships no AMA text.
"""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from codes.models import Code, CodeSet

pytestmark = pytest.mark.django_db

TAB_FILE = (
    "99213\tInvented descriptor: a synthetic office visit used only in tests\r\n"
    "99210\tInvented descriptor: a made-up visit code inside the office visit range\r\n"
    "99216\tInvented descriptor: a made-up code in E/M but outside office visits\r\n"
    "0900T\tInvented descriptor: an imaginary emerging technology service\r\n"
    "1234F\tInvented descriptor: an imaginary performance measure\r\n"
    "00100\tInvented descriptor: a code no demo section covers\r\n"
)


def run(*args: str) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("import_codes", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def cpt(identifier: str) -> Code:
    return Code.objects.select_related("section").get(code_set__slug="cpt", identifier=identifier)


@pytest.fixture
def tab_file(tmp_path):
    path = tmp_path / "cpt-long.txt"
    path.write_bytes(b"\xef\xbb\xbf" + TAB_FILE.encode("utf-8"))  # with a BOM, CRLF endings
    return path


def test_tab_delimited_file_creates_and_updates_codes(tab_file):
    demo = cpt("99213")
    plain, sections = demo.plain_description, demo.content_sections.count()

    out, _ = run("cpt", str(tab_file))

    assert out.splitlines()[-1].startswith(
        "cpt: 5 created, 1 updated, 0 unchanged, 0 deleted (sections: 0 created, 0 updated) in "
    )
    updated = cpt("99213")
    assert updated.title == "Invented descriptor: a synthetic office visit used only in tests"
    assert updated.official_description == updated.title
    assert not updated.is_sample
    assert updated.plain_description == plain
    assert updated.content_sections.count() == sections
    assert updated.section.slug == "cpt-office-visits"
    history = updated.history.first()
    assert history.history_type == "~"
    assert history.history_change_reason == "import_codes cpt cpt-long.txt"
    new = cpt("0900T")
    assert new.history.get().history_type == "+"
    assert new.plain_description == ""


def test_new_codes_go_into_the_narrowest_section_covering_them(tab_file):
    run("cpt", str(tab_file))

    assert cpt("99210").section.slug == "cpt-office-visits"
    assert cpt("99216").section.slug == "cpt-evaluation-management"
    assert cpt("0900T").section.slug == "cpt-category-iii"
    assert cpt("1234F").section.slug == "cpt-category-ii"
    assert cpt("00100").section is None


def test_csv_file_uses_the_short_descriptor_as_title(tmp_path):
    path = tmp_path / "cpt.csv"
    path.write_text(
        "Code,Short_Descriptor,Long_Descriptor\n"
        '99213,INVENTED SHORT TITLE,"Invented long descriptor, with a comma"\n'
        '0439T,INVENTED ADD-ON,"Invented add-on descriptor\nspanning two lines"\n'
        "99299,,Invented descriptor with an empty short column\n",
        encoding="utf-8",
    )

    out, _ = run("cpt", str(path))

    assert "cpt: 1 created, 2 updated, 0 unchanged" in out
    code = cpt("99213")
    assert code.title == "INVENTED SHORT TITLE"
    assert code.official_description == "Invented long descriptor, with a comma"
    assert cpt("0439T").official_description == "Invented add-on descriptor\nspanning two lines"
    assert cpt("99299").title == "Invented descriptor with an empty short column"


def test_csv_file_with_only_a_long_description_gets_a_shortened_title(tmp_path):
    descriptor = "Invented procedure wording, repeated to be long. " * 8
    path = tmp_path / "cpt.csv"
    path.write_text(f'code,description\n0901T,"{descriptor}"\n', encoding="utf-8")

    run("cpt", str(path))

    code = cpt("0901T")
    assert code.official_description == descriptor.strip()
    assert len(code.title) <= 255
    assert code.title.endswith("…")
    assert descriptor.startswith(code.title.removesuffix("…"))


def test_import_keeps_the_add_on_links_in_the_history(tmp_path):
    path = tmp_path / "cpt.txt"
    path.write_text("0439T\tInvented add-on descriptor\n", encoding="utf-8")
    primaries = set(cpt("0439T").primary_codes.values_list("identifier", flat=True))

    run("cpt", str(path))

    code = cpt("0439T")
    assert set(code.primary_codes.values_list("identifier", flat=True)) == primaries
    latest = code.history.first()
    assert latest.history_change_reason == "import_codes cpt cpt.txt"
    assert {link.to_code.identifier for link in latest.primary_codes.all()} == primaries


def test_bad_rows_are_all_reported_and_nothing_is_written(tmp_path):
    path = tmp_path / "cpt.txt"
    path.write_bytes(
        b"99213\tInvented descriptor one\n"
        b"9921\tInvented descriptor for a code one digit short\n"
        b"0900T\n"
        b"99214\t\n"
        b"99215\tInvented\tthree fields\n"
        b" 99213 \tInvented descriptor spelled again\n"
        b"0901T\tInvented caf\xe9 descriptor in latin-1\n"
        b"ABCDE\tInvented descriptor for letters\n"
    )
    count, history = Code.objects.count(), Code.history.count()
    stderr = io.StringIO()

    with pytest.raises(CommandError, match="7 problem"):
        call_command("import_codes", "cpt", str(path), stdout=io.StringIO(), stderr=stderr)

    assert stderr.getvalue().splitlines() == [
        'line 2: code "9921" is not a valid CPT® identifier',
        "line 3: expected a code and a descriptor separated by a tab, found 1 field",
        'line 4: code "99214" has no description',
        "line 5: expected a code and a descriptor separated by a tab, found 3 fields",
        'line 6: code "99213" is a duplicate of line 1 ("99213")',
        "line 7: not UTF-8 text (byte 0xe9 at column 19); save the file as UTF-8",
        'line 8: code "ABCDE" is not a valid CPT® identifier',
    ]
    assert Code.objects.count() == count
    assert Code.history.count() == history
    assert cpt("99213").is_sample


def test_a_latin1_file_is_an_encoding_error_on_every_line_it_affects(tmp_path):
    path = tmp_path / "cpt.txt"
    path.write_bytes(
        "99213\tInvented descriptor\n0900T\tInvented Sjögren descriptor\n".encode("latin-1")
    )
    stderr = io.StringIO()

    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_codes", "cpt", str(path), stdout=io.StringIO(), stderr=stderr)

    assert stderr.getvalue().strip() == (
        "line 2: not UTF-8 text (byte 0xf6 at column 18); save the file as UTF-8"
    )
    assert not Code.objects.filter(identifier="0900T").exists()


def test_csv_header_without_a_descriptor_column_is_reported(tmp_path):
    path = tmp_path / "cpt.csv"
    path.write_text("code,words\n99213,Invented\n", encoding="utf-8")
    stderr = io.StringIO()

    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_codes", "cpt", str(path), stdout=io.StringIO(), stderr=stderr)

    assert stderr.getvalue().strip() == (
        "line 1: the header has no descriptor or long_descriptor or description column"
    )


def test_csv_rows_with_the_wrong_number_of_fields_are_reported(tmp_path):
    path = tmp_path / "cpt.csv"
    path.write_text(
        "code,descriptor\n99213,Invented\n99214\n\n99215,Invented,extra\n", encoding="utf-8"
    )
    stderr = io.StringIO()

    with pytest.raises(CommandError, match="2 problem"):
        call_command("import_codes", "cpt", str(path), stdout=io.StringIO(), stderr=stderr)

    assert stderr.getvalue().splitlines() == [
        "line 3: 1 fields where the header has 2",
        "line 5: 3 fields where the header has 2",
    ]


def test_rerun_changes_nothing(tab_file):
    run("cpt", str(tab_file))
    history = Code.history.count()

    out, _ = run("cpt", str(tab_file))

    assert (
        "cpt: 0 created, 0 updated, 6 unchanged, 0 deleted (sections: 0 created, 0 updated)" in out
    )
    assert Code.history.count() == history


def test_dry_run_reports_and_writes_nothing(tab_file):
    count, history = Code.objects.count(), Code.history.count()

    out, _ = run("cpt", str(tab_file), "--dry-run")

    last = out.splitlines()[-1]
    assert last.startswith(
        "cpt: 5 created, 1 updated, 0 unchanged, 0 deleted (sections: 0 created, 0 "
    )
    assert last.endswith("dry run, nothing was written")
    assert Code.objects.count() == count
    assert Code.history.count() == history
    assert cpt("99213").is_sample


def test_missing_code_set_is_explained(tab_file):
    CodeSet.objects.filter(slug="cpt").update(slug="cpt-renamed")
    stderr = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_codes", "cpt", str(tab_file), stdout=io.StringIO(), stderr=stderr)

    assert stderr.getvalue().strip() == (
        "Code set 'cpt' is not defined: run manage.py load_demo first"
    )


def test_cpt_needs_a_file():
    stderr = io.StringIO()

    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_codes", "cpt", stdout=io.StringIO(), stderr=stderr)

    assert stderr.getvalue().strip() == "cpt needs a FILE to import"


def test_an_empty_file_is_not_an_import(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("\n", encoding="utf-8")
    stderr = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_codes", "cpt", str(path), stdout=io.StringIO(), stderr=stderr)

    assert stderr.getvalue().strip() == "empty.txt: no codes found"


def test_imported_words_reach_the_spelling_suggestions(tmp_path):
    path = tmp_path / "cpt.txt"
    path.write_text("0900T\tInvented zyglorbic procedure\n", encoding="utf-8")

    run("cpt", str(path))

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM codes_searchword WHERE word = 'zyglorbic'")
        assert cursor.fetchone() == (1,)


def test_a_nul_character_is_reported_not_written(tmp_path):
    path = tmp_path / "nul.txt"
    path.write_text("0991T\tInvented descriptor\x00 with a NUL\n", encoding="utf-8")
    stderr = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_codes", "cpt", str(path), stdout=io.StringIO(), stderr=stderr)

    assert 'line 1: code "0991T" contains a NUL character' in stderr.getvalue()
    assert not Code.objects.filter(identifier="0991T").exists()
