"""Property-based tests: no input a browser can send makes a page fail or write anything."""

from urllib.parse import quote

import pytest
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
