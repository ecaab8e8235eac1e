"""Case2Code search: exact codes, prefixes, ranges and words, on the demo data."""

import json
import re

import pytest

from codes import search
from codes.models import Code, CodeSet
from codes.search import clean_query

pytestmark = pytest.mark.django_db


def result_codes(response) -> list[str]:
    return re.findall(
        r'<span class="code-id">([^<]+)</span>', response.content.decode().split("<main")[1]
    )


@pytest.mark.parametrize(
    ("query", "target"),
    [
        ("0439t", "/codes/cpt/0439T/"),
        ("0439T", "/codes/cpt/0439T/"),
        (" 99213 ", "/codes/cpt/99213/"),
        ("e119", "/codes/icd10cm/E11.9/"),
        ("E11.9", "/codes/icd10cm/E11.9/"),
        ("g0439", "/codes/hcpcs/G0439/"),
        ("0dtj4zz", "/codes/icd10pcs/0DTJ4ZZ/"),
    ],
)
def test_an_exact_code_in_any_spelling_goes_to_its_page(client, query, target):
    response = client.get("/search/", {"q": query})

    assert response.status_code == 302
    assert response["Location"] == target


def test_a_prefix_lists_codes_in_order(client):
    codes = result_codes(client.get("/search/", {"q": "992"}))

    assert codes == [
        "99202",
        "99203",
        "99204",
        "99205",
        "99211",
        "99212",
        "99213",
        "99214",
        "99215",
    ]


def test_a_range_lists_the_codes_inside_it(client):
    codes = result_codes(client.get("/search/", {"q": "99203-99212"}))

    assert codes == ["99203", "99204", "99205", "99211", "99212"]
    assert result_codes(client.get("/search/", {"q": "99212 - 99203"})) == codes


def test_an_icd_category_lists_its_codes(client):
    assert result_codes(client.get("/search/", {"q": "E11"})) == ["E11.9"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hypertension", "I10"),
        ("hypertenson", "I10"),
        ("diabetis", "E11.9"),
        ("astma", "J45.909"),
        ("htn", "I10"),
        ("echo", "93306"),
        ("chest x-ray", "71046"),
        ("low back pain", "M54.50"),
        ("transthoracic echocardiogram", "93308"),
        ("annual wellness visit", "G0439"),
        ("Ménière", None),
    ],
)
def test_words_find_the_code_a_coder_means_in_the_first_five(client, query, expected):
    codes = result_codes(client.get("/search/", {"q": query}))

    if expected is None:
        assert codes == []  # not corrected into another word ("meniscus")
    else:
        assert expected in codes[:5], codes


def test_misspellings_say_what_was_searched(client):
    html = client.get("/search/", {"q": "diabetis"}).content.decode()

    assert "Showing results for “<strong>diabetes</strong>”." in html


def test_matched_words_are_highlighted_in_titles(client):
    html = client.get("/search/", {"q": "hypertension"}).content.decode()

    assert "Essential (primary) <mark>hypertension</mark>" in html


def test_only_text_a_locked_page_shows_is_searched(client, code_factory):
    code_factory(
        identifier="0980T",
        title="Quiet title",
        plain_description="Zymurgical explanation.",
        official_description="Xenodochial official words.",
        index_terms="Quodlibetical inclusion term",
    )

    by_plain = client.get("/search/", {"q": "zymurgical"}).content.decode()
    by_official = client.get("/search/", {"q": "xenodochial"}).content.decode()
    by_term = client.get("/search/", {"q": "quodlibetical"}).content.decode()

    assert ">0980T<" not in by_plain  # gated: our plain-language description
    assert ">0980T<" not in by_official  # gated: the descriptor (CPT's is the AMA's)
    assert ">0980T<" in by_term  # public: official terms such as ICD-10-CM inclusion terms
    assert "Quodlibetical" not in by_term.split("<main")[1].replace("“quodlibetical”", "")


def test_filters_by_code_set_and_status(client):
    icd = result_codes(client.get("/search/", {"q": "pain", "set": "icd10cm"}))
    assert {"M54.50", "R07.9"} <= set(icd)
    icd10cm = Code.objects.filter(code_set__slug="icd10cm").values_list("identifier", flat=True)
    assert set(icd) <= set(icd10cm)
    deleted = result_codes(client.get("/search/", {"q": "coronary", "status": "deleted"}))
    assert deleted == ["0501T"]


# The ranking rules, each tested with codes built so that only that rule decides their order:
# every other rule either ties or would put them the other way round.


def test_active_codes_come_before_deleted_ones(client, code_factory):
    # The deleted code is the more popular one and has the lower identifier.
    code_factory(identifier="9101T", title="Zorblax calibration", status="deleted", popularity=90)
    code_factory(identifier="9102T", title="Zorblax calibration", popularity=0)

    assert result_codes(client.get("/search/", {"q": "zorblax"})) == ["9102T", "9101T"]


def test_deleted_codes_come_after_active_ones_on_the_pages_past_the_ranked_candidates(
    client, code_factory
):
    # More active matches than search ranks in its first statement (FULL_TEXT_CANDIDATES): the
    # later pages come from a second ordering, which must also keep deleted codes last. The
    # deleted codes would outrank every active one on everything else: short, popular titles.
    active = [f"{9300 + n}T" for n in range(search.FULL_TEXT_CANDIDATES + 10)]
    for n, identifier in enumerate(active):
        code_factory(identifier=identifier, title=f"Vortrel gauge calibration, step {n}")
    deleted = ["9290T", "9291T", "9292T"]
    for identifier in deleted:
        code_factory(identifier=identifier, title="Vortrel", status="deleted", popularity=99)

    listed: list[str] = []
    for page in range(1, 6):  # 113 codes, 25 a page
        listed += result_codes(client.get("/search/", {"q": "vortrel", "page": str(page)}))

    assert len(listed) == len(active) + len(deleted)
    assert sorted(listed[: len(active)]) == active
    assert sorted(listed[len(active) :]) == deleted


def test_a_deleted_code_found_only_by_meaning_comes_after_every_active_match(
    client, code_factory, monkeypatch
):
    # More active full-text matches than search ranks in its first statement, and a deleted code
    # whose words do not match but whose meaning is the nearest: it is listed, after all of them.
    active = [f"{9300 + n}T" for n in range(search.FULL_TEXT_CANDIDATES + 10)]
    for n, identifier in enumerate(active):
        code_factory(identifier=identifier, title=f"Vortrel gauge calibration, step {n}")
    deleted = code_factory(identifier="9290T", title="Quillon brace", status="deleted")
    monkeypatch.setattr(
        search, "semantic_neighbours", lambda understood, *, limit: [(deleted.pk, 0.9)]
    )

    listed: list[str] = []
    for page in range(1, 6):  # 111 codes, 25 a page
        listed += result_codes(client.get("/search/", {"q": "vortrel", "page": str(page)}))

    assert len(listed) == len(active) + 1
    assert sorted(listed[: len(active)]) == active
    assert listed[-1] == "9290T"
    # The matches past the candidates are highlighted as the first ones are.
    last = client.get("/search/", {"q": "vortrel", "page": "5"}).content.decode()
    assert last.count("<mark>Vortrel</mark> gauge calibration") == len(active) - 4 * 25


def test_filters_hold_on_the_pages_past_the_ranked_candidates(client, code_factory):
    # The matches past the candidates are counted and listed by a statement of their own, which
    # must filter as the first one does. The codes filtered out would outrank the others.
    active = [f"{9300 + n}T" for n in range(search.FULL_TEXT_CANDIDATES + 10)]
    for n, identifier in enumerate(active):
        code_factory(identifier=identifier, title=f"Vortrel gauge calibration, step {n}")
    for n in range(5):
        code_factory(identifier=f"{9290 + n}T", title=f"Vortrel {n}", status="deleted")
    hcpcs = CodeSet.objects.get(slug="hcpcs")
    for n in range(5):
        code_factory(code_set=hcpcs, identifier=f"V{9290 + n}", title="Vortrel", popularity=99)

    params = {"q": "vortrel", "set": "cpt", "status": "active"}
    first = client.get("/search/", params).content.decode()
    listed: list[str] = []
    for page in range(1, 6):  # 110 codes, 25 a page
        listed += result_codes(client.get("/search/", {**params, "page": str(page)}))

    assert f"{len(active)} codes, page 1 of 5" in first
    assert sorted(listed) == active


def test_a_word_in_the_title_ranks_above_the_same_word_in_official_terms(client, code_factory):
    # The match in the terms has the shorter title and the lower identifier.
    code_factory(identifier="9110T", title="Gauge reading", index_terms="Quillwort")
    code_factory(identifier="9111T", title="Quillwort gauge reading, extended", index_terms="Gauge")

    assert result_codes(client.get("/search/", {"q": "quillwort"})) == ["9111T", "9110T"]


def test_a_codes_own_terms_rank_above_those_it_inherits(client, code_factory):
    # The inherited match has the shorter title and the lower identifier.
    code_factory(identifier="9112T", title="Dial reading", context_terms="Hornwort")
    code_factory(identifier="9113T", title="Dial reading, extended", index_terms="Hornwort")

    assert result_codes(client.get("/search/", {"q": "hornwort"})) == ["9113T", "9112T"]


def test_more_popular_codes_rank_above_equally_good_matches(client, code_factory):
    code_factory(identifier="9120T", title="Vexillum survey", popularity=0)
    code_factory(identifier="9121T", title="Vexillum survey", popularity=40)

    assert result_codes(client.get("/search/", {"q": "vexillum"})) == ["9121T", "9120T"]


def test_a_short_precise_title_ranks_above_a_long_one_that_mentions_the_word(client, code_factory):
    code_factory(
        identifier="9130T",
        title="Brontide assessment of both lower extremities with written report and review",
    )
    code_factory(identifier="9131T", title="Brontide assessment")

    assert result_codes(client.get("/search/", {"q": "brontide"})) == ["9131T", "9130T"]


def test_identical_matches_are_listed_by_identifier(client, code_factory):
    for identifier in ("9142T", "9140T", "9141T"):
        code_factory(identifier=identifier, title="Nephoscope reading")

    assert result_codes(client.get("/search/", {"q": "nephoscope"})) == ["9140T", "9141T", "9142T"]


def test_a_title_that_begins_with_the_word_ranks_above_one_that_mentions_it_later(
    client, code_factory
):
    # The title naming the thing itself is the longer one, with the higher identifier.
    code_factory(identifier="9150T", title="Seat attachment, zibble")
    code_factory(identifier="9151T", title="Zibble, rigid, adjustable or fixed height")

    assert result_codes(client.get("/search/", {"q": "zibble"})) == ["9151T", "9150T"]


def test_codes_found_by_words_and_by_meaning_rank_above_those_found_by_words_alone(
    client, code_factory
):
    from codes.embeddings import sync_embeddings

    # "Pain in ankle" has the shorter title, so full-text ranking alone puts it first; only
    # the meaning of "ankle break" (cosine 0.58 with the fracture, 0.50 with the pain, below
    # SEMANTIC_MIN_COSINE) puts the fracture first.
    fracture = code_factory(identifier="9160T", title="Fracture of ankle")
    pain = code_factory(identifier="9161T", title="Pain in ankle")
    sync_embeddings(codes=Code.objects.filter(pk__in=[fracture.pk, pain.pk]))

    codes = result_codes(client.get("/search/", {"q": "ankle break"}))

    assert codes[:2] == ["9160T", "9161T"]


def test_fusion_keeps_the_full_text_order_where_meaning_cannot_tell_codes_apart():
    # Two codes the model scores alike (identical titles) keep their full-text order, so every
    # full-text ranking rule still decides them; a code both rankings find goes first.
    assert search.fuse(full_text=[1, 2], semantic=[(2, 0.7), (1, 0.7)], inactive=set()) == [1, 2]
    assert search.fuse(full_text=[1, 2], semantic=[(2, 0.7)], inactive=set()) == [2, 1]
    assert search.fuse(full_text=[1], semantic=[(3, 0.9)], inactive=set()) == [1, 3]
    assert search.fuse(full_text=[1, 2], semantic=[(1, 0.9)], inactive={1}) == [2, 1]


def test_a_misspelling_becomes_the_nearest_word_that_codes_use_most(client, code_factory):
    from codes.search import refresh_search_words

    # "migrans" is the nearer by trigrams (0.60 against 0.55) and one edit away like
    # "migraine", which more codes use.
    code_factory(identifier="9170T", title="Larva migrans")
    for number in range(3):
        code_factory(identifier=f"917{number + 1}T", title=f"Migraine, variant {number}")
    refresh_search_words()

    html = client.get("/search/", {"q": "migrane"}).content.decode()

    assert "Showing results for “<strong>migraine</strong>”." in html
    assert result_codes(client.get("/search/", {"q": "migrane"}))[0] == "9171T"


def test_a_complete_word_is_not_also_searched_as_a_prefix(client, code_factory):
    from codes.search import refresh_search_words

    code_factory(identifier="9180T", title="Vexil survey")
    code_factory(identifier="9181T", title="Vexillology survey")
    refresh_search_words()

    assert result_codes(client.get("/search/", {"q": "vexil"})) == ["9180T"]
    assert result_codes(client.get("/search/", {"q": "vexi"})) == ["9180T", "9181T"]  # typing


def test_one_derived_word_form_finds_the_others(client, code_factory):
    code_factory(identifier="9190T", title="Zygrography of the limb")
    code_factory(identifier="9191T", title="Zygrographic limb survey")

    assert result_codes(client.get("/search/", {"q": "zygrogram"})) == ["9190T", "9191T"]


def test_a_phrase_of_the_synonym_table_finds_the_official_wording(client, code_factory):
    code_factory(identifier="9195T", title="Calculus of kidney, zanthic")

    for query in ("kidney stones zanthic", "kidney stone zanthic"):
        html = client.get("/search/", {"q": query}).content.decode()
        assert result_codes(client.get("/search/", {"q": query})) == ["9195T"], query
    assert 'Also searched for <span class="expansion">kidney stones: calculus kidney</span>' in html


def test_results_are_paginated(client, code_factory):
    for number in range(30):
        code_factory(identifier=f"{9200 + number}T", title=f"Quasar calibration step {number}")

    first = client.get("/search/", {"q": "quasar"}).content.decode()
    second = client.get("/search/", {"q": "quasar", "page": "2"}).content.decode()
    beyond = client.get("/search/", {"q": "quasar", "page": "99999"}).content.decode()

    assert "30 codes, page 1 of 2" in first
    assert len(result_codes(client.get("/search/", {"q": "quasar"}))) == 25
    assert 'href="?q=quasar&amp;page=2" rel="next"' in first
    assert "page 2 of 2" in second and "page 2 of 2" in beyond


@pytest.mark.parametrize(
    "params",
    [
        {"q": ""},
        {"q": "   "},
        {"q": "x" * 1000},
        {"q": "diabetes\x00"},
        {"q": "\x00"},
        {"q": "💉🩺"},
        {"q": "ｈｙｐｅｒｔｅｎｓｉｏｎ"},
        {"q": "' OR 1=1 --"},
        {"q": "a & b | !c:* <->"},
        {"q": "diabetes", "page": "999999999999"},
        {"q": "diabetes", "page": "-1"},
        {"q": "diabetes", "page": "abc"},
        {"q": "diabetes", "set": "nope"},
        {"q": "diabetes", "status": "<script>"},
        {"q": "99999-00000"},
        {"q": "A" * 8 + "-" + "B" * 8},
    ],
)
def test_odd_input_gets_a_clean_answer(client, params):
    response = client.get("/search/", params)

    assert response.status_code == 200
    assert b"<script>" not in response.content.split(b"<main")[1]


def test_long_queries_are_cut_with_a_message(client):
    html = client.get("/search/", {"q": "hypertension " + "x" * 400}).content.decode()

    assert "Searches are limited to 200 characters" in html


def test_suggestions_follow_the_same_rules_and_limits(client):
    data = json.loads(client.get("/search/suggest/", {"q": "hyperten"}).content)

    assert data["results"][0] == {
        "identifier": "I10",
        "title": "Essential (primary) hypertension",
        "code_set": "ICD-10-CM",
        "url": "/codes/icd10cm/I10/",
    }
    assert len(json.loads(client.get("/search/suggest/", {"q": "992"}).content)["results"]) == 8
    assert (
        json.loads(client.get("/search/suggest/", {"q": "e119"}).content)["results"][0][
            "identifier"
        ]
        == "E11.9"
    )
    for odd in ("", "\x00", "x" * 5000, "💉"):
        assert client.get("/search/suggest/", {"q": odd}).status_code == 200


def test_clean_query_keeps_printable_text_only():
    assert clean_query(" a\x00b\tc  d ") == "a b c d"
    assert len(clean_query("x" * 1000)) == 200


def test_query_counts_are_pinned(client, django_assert_num_queries, code_factory):
    client.get("/search/", {"q": "warm"})  # a process's first search maps the vectors
    # understanding (versions, synonyms, spelling); candidates; page of results with
    # highlights; code sets for the filter (every match is a candidate: nothing else to count)
    with django_assert_num_queries(4):
        client.get("/search/", {"q": "hypertension"})
    # the same, and the count of the matches beyond the candidates
    for number in range(search.FULL_TEXT_CANDIDATES + 1):
        code_factory(identifier=f"{9200 + number}T", title=f"Quasar calibration step {number}")
    with django_assert_num_queries(5):
        client.get("/search/", {"q": "quasar calibration"})
    # exact check; prefix exists; count; page; code sets for the filter
    with django_assert_num_queries(5):
        client.get("/search/", {"q": "992"})
    # understanding; candidates; first results
    with django_assert_num_queries(3):
        client.get("/search/suggest/", {"q": "hypertension"})
    # exact check (redirect)
    with django_assert_num_queries(1):
        client.get("/search/", {"q": "e119"})


def test_browse_pages_have_counts_and_pinned_queries(client, django_assert_num_queries):
    for path in ("/codes/icd10cm/", "/codes/cpt/sections/cpt-medicine/"):
        client.get(path)  # counts are computed once, then served from the shared cache
    # code sets with counts
    with django_assert_num_queries(1):
        assert client.get("/codes/").status_code == 200
    # code set; top sections; their cached counts; codes without a section
    with django_assert_num_queries(4):
        html = client.get("/codes/icd10cm/").content.decode()
    assert "Endocrine, nutritional and metabolic diseases" in html
    # section; children; their cached counts; code count (none: no page query); ancestors
    with django_assert_num_queries(5):
        html = client.get("/codes/cpt/sections/cpt-medicine/").content.decode()
    assert re.search(r"Cardiovascular</span> <span class=\"count\">6 codes", html)
    # section; children (none); code count; page of codes; ancestors
    with django_assert_num_queries(5):
        html = client.get("/codes/cpt/sections/cpt-echocardiography/").content.decode()
    assert 'href="/codes/cpt/93306/"' in html


def test_section_counts_are_counted_once_then_cached(client, django_assert_num_queries):
    from django.core.cache import cache

    cache.clear()
    first = client.get("/codes/cpt/").content.decode()
    with django_assert_num_queries(4):
        second = client.get("/codes/cpt/").content.decode()

    assert first == second
    assert re.search(r"Medicine</span> <span class=\"count\">6 codes", second)
