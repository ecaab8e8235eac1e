import datetime

import pytest
from django.db import IntegrityError, connection, transaction

from codes.models import (
    Code,
    CodeSet,
    ContentSection,
    SearchSynonym,
    Section,
    compact_identifier,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "compact"),
    [("0439t", "0439T"), (" e11.9 ", "E119"), ("E11.9", "E119"), ("ab", None), ("", None),
     ("9" * 20, None), ("A\x00B1", None), ("E11-9", None), ("ЕΙ1.9", None)],
)  # fmt: skip
def test_compact_identifier(raw, compact):
    assert compact_identifier(raw) == compact


@pytest.mark.parametrize(
    ("slug", "raw", "canonical"),
    [
        ("cpt", "0439t", "0439T"),
        ("cpt", "99213", "99213"),
        ("cpt", "3044f", "3044F"),
        ("cpt", "0001u", "0001U"),
        ("cpt", "0439X", None),
        ("cpt", "A0439", None),
        ("icd10cm", "e119", "E11.9"),
        ("icd10cm", "I10", "I10"),
        ("icd10cm", "j45909", "J45.909"),
        ("icd10cm", "S060X0A", "S06.0X0A"),
        ("icd10cm", "1109", None),
        ("hcpcs", "g0439", "G0439"),
        ("hcpcs", "W0439", None),
        ("icd10pcs", "0dtj4zz", "0DTJ4ZZ"),
        ("icd10pcs", "0DTJ4ZO", None),  # PCS never uses the letter O
    ],
)
def test_canonical_identifier_follows_each_code_sets_format(slug, raw, canonical):
    assert CodeSet.objects.get(slug=slug).canonical_identifier(raw) == canonical


def test_notice_names_the_release_year():
    cpt = CodeSet.objects.get(slug="cpt")
    cpt.release_year = 2027

    assert "© Copyright 2027 American Medical Association. All rights reserved." in cpt.notice_text


def test_one_code_per_identifier_whatever_the_dot(code_factory):
    icd = CodeSet.objects.get(slug="icd10cm")
    with pytest.raises(IntegrityError, match="codes_code_unique_per_set"), transaction.atomic():
        code_factory(code_set=icd, identifier="E119")


def test_identifiers_are_stored_canonically(code_factory):
    with pytest.raises(IntegrityError, match="codes_code_identifier_canonical"):
        code_factory(identifier="0999t")


def test_only_deleted_codes_have_a_replacement(code_factory):
    replacement = Code.objects.get(code_set__slug="cpt", identifier="75580")
    with pytest.raises(IntegrityError, match="codes_code_only_deleted_replaced"):
        code_factory(identifier="0998T", replaced_by=replacement)


def test_end_date_cannot_precede_effective_date(code_factory):
    with pytest.raises(IntegrityError, match="codes_code_dates_ordered"):
        code_factory(
            identifier="0997T",
            effective_date=datetime.date(2025, 1, 1),
            end_date=datetime.date(2024, 1, 1),
        )


def test_section_range_must_be_ordered():
    cpt = CodeSet.objects.get(slug="cpt")
    with pytest.raises(IntegrityError, match="codes_section_range_ordered"):
        Section.objects.create(code_set=cpt, slug="x", title="X", range_start="2", range_end="1")


def test_content_section_positions_are_unique_per_code(code_factory):
    code = code_factory(identifier="0996T", sections=1)
    with (
        pytest.raises(IntegrityError, match="codes_contentsection_unique_position"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # The constraint is deferred to commit; make it bite inside the test's transaction.
        cursor.execute("SET CONSTRAINTS codes_contentsection_unique_position IMMEDIATE")
        ContentSection.objects.create(code=code, position=1, title="Dup", body_markdown="x")


def test_two_sections_can_swap_positions_in_one_transaction(code_factory):
    code = code_factory(identifier="0995T", sections=2)
    first, second = code.content_sections.order_by("position")
    with transaction.atomic():
        first.position, second.position = 2, 1
        first.save()
        second.save()

    assert list(code.content_sections.order_by("position").values_list("title", flat=True)) == [
        "Section 2",
        "Section 1",
    ]


def test_saving_a_section_renders_its_markdown_and_defaults_its_title(code_factory):
    code = code_factory(identifier="0994T")
    section = ContentSection.objects.create(
        code=code, position=1, kind=ContentSection.Kind.BILLING, body_markdown="- one\n- two"
    )

    assert section.title == "Billing Guidelines"
    assert section.body_html == "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"


def test_model_clean_normalizes_the_identifier(code_factory):
    code = Code(
        code_set=CodeSet.objects.get(slug="icd10cm"),
        identifier="e1165",
        title="t",
        official_description="o",
        plain_description="p",
    )
    code.full_clean()

    assert code.identifier == "E11.65"


def test_string_forms_and_urls():
    code = Code.objects.select_related("code_set", "section").get(identifier="0439T")

    assert str(code) == "CPT® 0439T"
    assert code.heading == "CPT® Code 0439T"
    assert code.get_absolute_url() == "/codes/cpt/0439T/"
    assert code.section.get_absolute_url() == "/codes/cpt/sections/cpt-category-iii/"
    assert str(code.code_set) == "CPT®"
    synonym = SearchSynonym(term="c&s + ear #2", alternatives="culture")
    assert synonym.get_absolute_url() == "/search/?q=c%26s+%2B+ear+%232"


@pytest.mark.parametrize(
    ("code_set", "compact"),
    [("cpt", "0501T"), ("cpt", "0439T"), ("icd10cm", "E119"), ("hcpcs", "G0439")],
)
def test_the_code_page_lookup_reads_what_the_orm_reads(code_set, compact):
    """for_code_page() builds its rows from fixed SQL: every field must land where it belongs."""
    fast = Code.objects.for_code_page(code_set, compact)
    slow = (
        Code.objects.select_related("code_set", "section", "replaced_by__code_set")
        .filter(code_set__slug=code_set)
        .by_compact(compact)
        .get()
    )
    assert fast is not None

    def fields(obj, names=None):
        return {
            f.attname: getattr(obj, f.attname)
            for f in obj._meta.concrete_fields
            if f.attname != "search_vector" and (names is None or f.attname in names)
        }

    assert fields(fast) == fields(slow)
    assert fields(fast.code_set) == fields(slow.code_set)
    assert (fast.section and fields(fast.section)) == (slow.section and fields(slow.section))
    if slow.replaced_by is not None:
        names = {"id", "identifier", "title", "status", "code_set_id"}
        assert fields(fast.replaced_by, names) == fields(slow.replaced_by, names)
        assert fast.replaced_by.get_absolute_url() == slow.replaced_by.get_absolute_url()
    assert isinstance(fast.catalogue_version, int)  # type: ignore[attr-defined]


def test_the_code_page_lookup_finds_nothing_for_an_unknown_code():
    assert Code.objects.for_code_page("cpt", "0000T") is None
    assert Code.objects.for_code_page("nosuchset", "0439T") is None


def test_a_tables_empty_corner_is_a_plain_cell_not_a_nameless_header():
    from common.markup import render_markdown

    html = render_markdown(
        "| | 93350 | 93351 |\n| --- | --- | --- |\n| ECG | Separate | Included |"
    )

    assert "<thead>\n<tr>\n<td></td>\n<th>93350</th>" in html
    assert "<th></th>" not in html
