"""No gated text anywhere: plant unique markers in a code's gated fields, then request every route.

The walk reads the URL resolver, so a route added later is requested without editing this file.
Descriptions and section bodies are gated; identifiers, titles and section titles are public.
"""

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import pytest
from django.contrib.contenttypes.models import ContentType
from django.http import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils.regex_helper import normalize

from codes.models import Code, ContentSection

pytestmark = pytest.mark.django_db

IDENTIFIER = "0993T"
TITLE = "Quillwort calibration imaging"  # harmless and unique, so a title search finds only it
HEADING = f"CPT® Code {IDENTIFIER}"
NEIGHBOUR = "/codes/cpt/0439T/"  # same section: its page lists the planted code as a neighbour
GUEST_VIEW = "/codes/cpt/99213/"
FREE_VIEWS = ["99202", "99203", "99204", "99205", "99211", "99212"]  # the free plan's six
# Values that fit most converters and regex groups, for parameters without a sample.
GENERIC = ("1", "x", str(uuid.UUID(int=1)))
REDIRECTS = {301, 302, 303, 307, 308}
MIN_ROUTES = 40


class Route(NamedTuple):
    route: str  # as ResolverMatch.route spells it, to check that a filled URL reaches it
    regex: str  # the joined regular expression, to fill its groups
    name: str  # namespaced, e.g. "codes:code"


@dataclass(frozen=True)
class Planted:
    code: Code
    markers: dict[str, str]  # gated field -> the marker written into it

    @property
    def path(self) -> str:
        return self.code.get_absolute_url()


@pytest.fixture
def planted(code_factory) -> Planted:
    """A CPT code whose every gated field holds its own marker, so a leak names its source."""
    fields = ("official", "plain", "registered", "premium")
    # One word each (no shared prefix word), so a search for one cannot match another field.
    markers = {name: f"leakmarker{uuid.uuid4().hex}" for name in fields}
    neighbour = Code.objects.get(code_set__slug="cpt", identifier="0439T")
    code = code_factory(
        identifier=IDENTIFIER,
        title=TITLE,
        section=neighbour.section,  # listed on the section page and as 0439T's neighbour
        official_description=f"Official text {markers['official']} ends here.",
        plain_description=f"Plain text {markers['plain']} ends here.",
    )
    for position, access in enumerate(ContentSection.Access, start=1):
        ContentSection.objects.create(
            code=code,
            position=position,
            access=access,
            title=f"{access.label} guidance",  # titles are public by design: no marker
            body_markdown=f"Guidance paragraph.\n\n- {markers[access.value]} in a list",
        )
    return Planted(code=code, markers=markers)


# The resolver walk


def join(first: str, second: str) -> str:
    """Join two route or regex strings the way URLResolver.resolve joins routes."""
    return first + second.removeprefix("^") if first else second


def site_routes(
    resolver: URLResolver | None = None, route: str = "", regex: str = "", namespace: str = ""
) -> list[Route]:
    """Every endpoint of the site, through every include (namespaced, allauth, admin)."""
    routes: list[Route] = []
    for entry in (resolver or get_resolver()).url_patterns:
        entry_route = join(route, str(entry.pattern))
        entry_regex = join(regex, entry.pattern.regex.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            routes += site_routes(entry, entry_route, entry_regex, inner)
        else:
            assert isinstance(entry, URLPattern)
            name = f"{namespace}{entry.name}" if entry.name else entry.lookup_str
            routes.append(Route(entry_route, entry_regex, name))
    return routes


def samples_for(planted: Planted) -> dict[str, list[str]]:
    """Sample values by parameter name; every value that reaches the route is requested."""
    code = planted.code
    return {
        "set_slug": [code.code_set.slug],
        # The lower-case spelling exercises the 301 to the canonical page.
        "identifier": [code.identifier, code.identifier.lower()],
        "section_slug": [code.section.slug],
        "app_label": ["codes", "accounts"],
        "model_name": ["code"],
        "object_id": [str(code.pk)],
        "id": [str(code.pk)],
        "content_type_id": [str(ContentType.objects.get_for_model(Code).pk)],
    }


def reaches(path: str, route: Route) -> bool:
    try:
        return resolve(urlsplit(path).path).route == route.route
    except Resolver404:
        return False


def filled(template: str, params: list[str], choices: list[list[str]]) -> Iterator[str]:
    for values in itertools.product(*choices):
        yield "/" + template % dict(zip(params, values, strict=True))


def concrete_paths(route: Route, samples: dict[str, list[str]]) -> list[str]:
    """URLs that reach `route`: every combination of samples, else the first that fits at all."""
    possibilities = normalize(route.regex)
    for template, params in possibilities:
        choices = [samples.get(param) or [GENERIC[0]] for param in params]
        paths = [path for path in filled(template, params, choices) if reaches(path, route)]
        if paths:
            return paths
        choices = [[*samples.get(param, []), *GENERIC] for param in params]
        paths = [path for path in filled(template, params, choices) if reaches(path, route)]
        if paths:
            return paths[:1]
    # Nothing fits (a converter no sample satisfies): still requested, never silently skipped.
    template, params = possibilities[0]
    return ["/" + template % dict.fromkeys(params, GENERIC[0])]


# Requests


@dataclass(frozen=True)
class Exchange:
    label: str  # "GET", "HEAD" or "GET prefetch"
    path: str
    status: int
    text: str  # lower-cased body, header values and cookies: all the client received
    echo: str = ""  # text the request carried itself (a search query): shown back, not leaked


def received(response: HttpResponseBase) -> str:
    body = (
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
        if response.streaming
        else response.content  # type: ignore[attr-defined]
    )
    headers = "\n".join(f"{name}: {value}" for name, value in response.items())
    parts = [body.decode(errors="replace"), headers, response.cookies.output()]
    return "\n".join(parts).lower()


@dataclass
class Walk:
    client: Client
    routes: list[Route] = field(default_factory=list)
    exchanges: dict[tuple[str, str], Exchange] = field(default_factory=dict)

    def request(self, path: str, label: str = "GET", echo: str = "") -> None:
        """Request `path` once per label, then its same-site redirect target (once too)."""
        if (label, path) in self.exchanges:
            return
        if label == "HEAD":
            response = self.client.head(path)
        elif label == "GET prefetch":
            response = self.client.get(path, headers={"Sec-Purpose": "prefetch"})
        else:
            response = self.client.get(path)
        self.exchanges[label, path] = Exchange(
            label, path, response.status_code, received(response), echo
        )
        location = response.headers.get("Location")
        if response.status_code in REDIRECTS and location:
            target = urlsplit(urljoin(f"http://testserver{path}", location))
            if target.netloc == "testserver":
                self.request(urlunsplit(("", "", target.path, target.query, "")), echo=echo)

    def exchange(self, path: str, label: str = "GET") -> Exchange:
        return self.exchanges[label, path]

    def leaks(self, planted: Planted, allowed: dict[str, set[str]] | None = None) -> list[str]:
        """Every response showing a marker, except markers `allowed` on given paths."""
        allowed = allowed or {}
        found = []
        for exchange in self.exchanges.values():
            for name, marker in planted.markers.items():
                at = exchange.text.find(marker.lower())
                if at < 0 or marker == exchange.echo:
                    continue
                if urlsplit(exchange.path).path in allowed.get(name, set()):
                    continue
                context = exchange.text[max(0, at - 80) : at + len(marker) + 20]
                found.append(
                    f"{exchange.label} {exchange.path} ({exchange.status}) shows the {name} "
                    f"marker: …{context}…"
                )
        return found


def walk_site(client: Client, planted: Planted) -> Walk:
    """Request every route, the code page's speculative variants and the searches."""
    walk = Walk(client=client, routes=site_routes())
    # HEAD and prefetches take the speculative branch, which never charges a view. Sent before
    # any GET, they also meet a page this viewer has not opened yet.
    walk.request(planted.path, "HEAD")
    walk.request(planted.path, "GET prefetch")
    samples = samples_for(planted)
    for route in walk.routes:
        for path in concrete_paths(route, samples):
            walk.request(path)
    walk.request(planted.path.lower(), "HEAD")
    walk.request(NEIGHBOUR)
    for query in ("0993", IDENTIFIER, TITLE):
        walk.request("/search/?" + urlencode({"q": query}))
    for marker in planted.markers.values():
        # The page repeats the query, so this marker is exempt there; the rest are not.
        walk.request("/search/?" + urlencode({"q": marker}), echo=marker)
    return walk


def assert_walk_covered_the_site(walk: Walk, planted: Planted) -> None:
    assert len(walk.routes) >= MIN_ROUTES, [route.route for route in walk.routes]
    assert "codes:code" in {route.name for route in walk.routes}
    assert len(walk.exchanges) > len(walk.routes)
    assert walk.exchange(planted.path).status == 200
    assert walk.exchange(planted.path.lower()).status == 301
    assert walk.exchange(planted.code.section.get_absolute_url()).status == 200
    for field_name, marker in planted.markers.items():
        search = walk.exchange("/search/?" + urlencode({"q": marker}))
        # Search matches only what a locked page shows (titles, public official terms): no
        # gated text is ever searched, so searching a gated word finds nothing.
        assert TITLE.lower() not in search.text, f"searching {field_name} found {IDENTIFIER}"


# Scenarios


def test_premium_reader_sees_every_marker_so_their_absence_means_something(reader, planted):
    html = reader.get(planted.path).content.decode()

    for name, marker in planted.markers.items():
        assert marker in html, f"the {name} marker is not rendered even for premium"


def test_over_quota_guest_sees_no_gated_text_on_any_url(client, planted):
    first = client.get(GUEST_VIEW)
    assert 'id="official-heading"' in first.content.decode()  # the guest's one view, used

    walk = walk_site(client, planted)

    leaks = walk.leaks(planted)
    assert not leaks, "\n".join(leaks)
    assert_walk_covered_the_site(walk, planted)
    page = walk.exchange(planted.path)
    assert HEADING.lower() in page.text  # the page exists; only its gated parts are withheld
    assert 'id="locked-heading"' in page.text


def test_free_user_with_views_left_never_sees_premium_text(client, verified_user, planted):
    client.force_login(verified_user)

    walk = walk_site(client, planted)

    # What a free viewer may read belongs on the code page only, and premium text nowhere.
    readable = ("official", "plain", "registered")
    leaks = walk.leaks(planted, allowed={name: {planted.path} for name in readable})
    assert not leaks, "\n".join(leaks)
    assert_walk_covered_the_site(walk, planted)
    page = walk.exchange(planted.path)
    for name in readable:
        assert planted.markers[name].lower() in page.text, f"the {name} text should be readable"


def test_over_quota_free_user_sees_no_gated_text_on_any_url(client, verified_user, planted):
    client.force_login(verified_user)
    for identifier in FREE_VIEWS:
        response = client.get(f"/codes/cpt/{identifier}/")
        assert 'id="official-heading"' in response.content.decode(), identifier

    walk = walk_site(client, planted)

    leaks = walk.leaks(planted)
    assert not leaks, "\n".join(leaks)
    assert_walk_covered_the_site(walk, planted)
    page = walk.exchange(planted.path)
    assert HEADING.lower() in page.text
    assert f"upgrade to view {HEADING.lower()}" in page.text


# The word oracle: search, suggestions and the spelling corrector would otherwise let anyone
# read a gated description word by word, by trying words and watching what comes back.


@pytest.mark.parametrize("field_name", ["plain", "official"])
def test_a_word_only_a_gated_description_uses_is_not_findable(client, planted, field_name):
    from codes.embeddings import sync_embeddings
    from codes.search import refresh_search_words

    refresh_search_words()  # as an import or demo load would, after the description was written
    sync_embeddings(codes=Code.objects.filter(pk=planted.code.pk))
    marker = planted.markers[field_name]
    misspelt = marker[:-2] + "qq"  # one trigram similarity above any threshold

    found = client.get("/search/", {"q": marker}).content.decode()
    corrected = client.get("/search/", {"q": misspelt}).content.decode()
    typed = client.get("/search/suggest/", {"q": marker[:-3]}).json()
    suggested = client.get("/search/suggest/", {"q": misspelt}).json()

    assert f">{IDENTIFIER}<" not in found
    assert "Showing results for" not in corrected
    assert marker not in corrected
    assert typed == {"results": []}
    assert suggested == {"results": []}


def test_the_same_word_in_a_public_official_term_is_found(client, planted):
    """The oracle test above can fail: the same word, where a locked page shows it, is found."""
    marker = planted.markers["plain"]
    Code.objects.filter(pk=planted.code.pk).update(index_terms=f"Term with {marker}")

    found = client.get("/search/", {"q": marker}).content.decode()
    typed = client.get("/search/suggest/", {"q": marker[:-3]}).json()

    assert f">{IDENTIFIER}<" in found
    assert [hit["identifier"] for hit in typed["results"]] == [IDENTIFIER]
