"""Property-based tests: no input a browser can send makes a page fail or write anything."""

from urllib.parse import quote

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from metering.models import MeterView

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)


@FUZZ
@given(set_slug=st.sampled_from(["cpt", "CPT", "icd10cm", "hcpcs", "x", "icd10pcs"]), raw=ANY_TEXT)
def test_any_identifier_in_a_code_url_gets_a_page_a_redirect_or_a_404(set_slug, raw):
    client = Client(raise_request_exception=True)
    path = f"/codes/{set_slug}/{quote(raw, safe='')}/"

    response = client.get(path)

    assert response.status_code in {200, 301, 404}, path


@FUZZ
@given(
    q=ANY_TEXT,
    page=st.one_of(st.none(), ANY_TEXT, st.integers().map(str)),
    code_set=st.one_of(st.none(), ANY_TEXT, st.sampled_from(["cpt", "icd10cm"])),
    status=st.one_of(st.none(), ANY_TEXT, st.sampled_from(["active", "deleted"])),
)
def test_any_search_parameters_get_results_or_a_redirect(q, page, code_set, status):
    client = Client(raise_request_exception=True)
    params = {"q": q, "page": page, "set": code_set, "status": status}

    response = client.get("/search/", {k: v for k, v in params.items() if v is not None})
    suggestions = client.get("/search/suggest/", {"q": q})

    assert response.status_code in {200, 302}
    assert suggestions.status_code == 200
    assert not MeterView.objects.exists()  # searching never uses a view


ROW_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=40)


def cpt_rows() -> list[tuple[str, str, str]]:
    from codes.models import Code

    return list(
        Code.objects.filter(code_set__slug="cpt")
        .order_by("identifier")
        .values_list("identifier", "title", "official_description")
    )


@FUZZ
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.from_regex(r"[0-9]{4}[0-9FTU]", fullmatch=True), ROW_TEXT), ROW_TEXT
        ),
        min_size=1,
        max_size=8,
    ),
    layout=st.sampled_from(["tab", "csv"]),
)
def test_any_import_file_is_loaded_whole_or_refused_whole(tmp_path_factory, rows, layout):
    """A refused file leaves every row as it was; an accepted one holds every row it listed.

    Both are checked inside the example's own savepoint, after the importer returned or raised
    and before anything is rolled back, so partial writes are visible to the check.
    """
    import csv
    import io

    from codes.imports import ImportDataError, import_code_set
    from codes.models import CodeSet

    buffer = io.StringIO()
    if layout == "csv":
        writer = csv.writer(buffer)
        writer.writerow(["code", "descriptor"])
        writer.writerows(rows)
    else:
        buffer.write("".join(f"{code}\t{text}\n" for code, text in rows))
    path = tmp_path_factory.mktemp("cpt") / f"cpt.{layout}"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    cpt = CodeSet.objects.get(slug="cpt")

    with transaction.atomic():
        before = cpt_rows()
        try:
            import_code_set(code_set="cpt", path=path, dry_run=False, progress=None)
        except ImportDataError as error:
            assert error.problems  # refused: every problem named ...
            assert cpt_rows() == before  # ... and nothing written
        else:
            after = {identifier: (title, official) for identifier, title, official in cpt_rows()}
            if layout == "tab" and rows[0][0].strip().lower() == "code":
                rows = rows[1:]  # read as a header line, as exports have
            rows = [(code, text) for code, text in rows if (code + text).strip()]  # blank lines
            listed = {str(cpt.canonical_identifier(code.strip())): text for code, text in rows}
            # accepted: every row is there as the file gave it, and nothing else changed
            assert set(after) == {identifier for identifier, *_ in before} | set(listed)
            for identifier, text in listed.items():
                assert after[identifier] == (" ".join(text.split()), text.strip())
            assert all(after[i] == (t, o) for i, t, o in before if i not in listed)
        transaction.set_rollback(True)  # keep examples independent
