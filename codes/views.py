from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.vary import vary_on_cookie

from codes import drg
from codes.forms import SearchForm
from codes.models import Code, CodeSet, Section, compact_identifier
from codes.pages import build_code_page
from codes.search import hits, search
from metering.access import is_speculative, page_access

CODES_PER_PAGE = 100
RESULTS_PER_PAGE = 25
SUGGESTIONS = 8


def search_page(request: HttpRequest) -> HttpResponse:
    """Case2Code search: an exact code jumps to its page; anything else lists matches."""
    form = SearchForm(request.GET)
    form.is_valid()  # errors are shown on the page; valid parts are still used
    data = form.cleaned_data
    code_set = data.get("set")
    result = search(
        data.get("q", ""),
        code_set=code_set.slug if code_set else None,
        status=data.get("status") or None,
    )
    if result.redirect_to:
        return redirect(result.redirect_to)
    page = None
    if result.queryset is not None:
        page = Paginator(result.queryset, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "codes/search.html",
        {
            "form": form,
            "query": result.query,
            "result": result,
            "page": page,
            "hits": hits(list(page.object_list)) if page else [],
            "filters": _filters_query(request),
        },
    )


def _filters_query(request: HttpRequest) -> str:
    """The current query string without the page number, for pagination links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def search_suggestions(request: HttpRequest) -> JsonResponse:
    """As-you-type suggestions: the same search, first few identifiers and titles, as JSON."""
    result = search(request.GET.get("q", "")[:500])
    codes = list(result.queryset[:SUGGESTIONS]) if result.queryset is not None else []
    return JsonResponse(
        {
            "results": [
                {
                    "identifier": code.identifier,
                    "title": code.title,
                    "code_set": code.code_set.name,
                    "url": code.get_absolute_url(),
                }
                for code in codes
            ]
        }
    )


@cache_control(private=True)
@vary_on_cookie
def code_detail(request: HttpRequest, set_slug: str, identifier: str) -> HttpResponse:
    """The code page, metered. Any other spelling redirects (301) to it, using no view.

    Shared caches must never store it: what it shows depends on who asks.
    """
    compact = compact_identifier(identifier)
    if compact is None:
        raise Http404("No such code.")
    code = Code.objects.for_code_page(set_slug.lower(), compact)
    if code is None:
        raise Http404("No such code.")
    if set_slug != code.code_set.slug or identifier != code.identifier:
        return redirect(code, permanent=True)
    access = page_access(request=request, code=code)
    if not access.shows_descriptions and is_speculative(request) and request.method == "GET":
        # A prefetch of a page the viewer has not opened: nothing to keep, the click will ask.
        response = HttpResponse(status=204)
        response["Cache-Control"] = "no-store"
        return response
    page = build_code_page(code=code, access=access)
    return render(request, "codes/code_detail.html", {"page": page, "code": code})


def code_set_list(request: HttpRequest) -> HttpResponse:
    code_sets = CodeSet.objects.with_counts()
    return render(request, "codes/code_set_list.html", {"code_sets": code_sets})


def code_set_detail(request: HttpRequest, set_slug: str) -> HttpResponse:
    code_set = get_object_or_404(CodeSet, slug=set_slug.lower())
    if set_slug != code_set.slug:
        return redirect(code_set, permanent=True)
    sections = (
        Section.objects.filter(code_set=code_set, parent=None)
        .select_related("code_set")
        .order_by("position", "range_start")
        .with_code_counts()
    )
    unsectioned = Code.objects.for_listing().filter(code_set=code_set, section=None)
    return render(
        request,
        "codes/code_set_detail.html",
        {"code_set": code_set, "sections": sections, "unsectioned": unsectioned[:CODES_PER_PAGE]},
    )


def section_detail(request: HttpRequest, set_slug: str, section_slug: str) -> HttpResponse:
    section = get_object_or_404(
        Section.objects.select_related("code_set"),
        code_set__slug=set_slug.lower(),
        slug=section_slug.lower(),
    )
    if set_slug != section.code_set.slug or section_slug != section.slug:
        return redirect(section, permanent=True)
    children = (
        Section.objects.filter(parent=section)
        .select_related("code_set")
        .order_by("position", "range_start")
        .with_code_counts()
    )
    codes = Paginator(
        Code.objects.for_listing().filter(section=section).order_by("identifier"), CODES_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "codes/section_detail.html",
        {
            "section": section,
            "breadcrumb": Section.objects.ancestors_of(section, section.code_set)[:-1],
            "children": children,
            "codes": codes,
        },
    )


def cc_exclusion(request: HttpRequest, set_slug: str, identifier: str) -> HttpResponse:
    """Whether an ICD-10-CM code is excluded as a CC/MCC with a given principal diagnosis, from
    the MS-DRG grouper (codes/drg.py). Public CMS data: no view is used, nothing is gated."""
    if set_slug != "icd10cm":
        raise Http404("MS-DRG facts are about ICD-10-CM codes.")
    code = get_object_or_404(
        Code.objects.select_related("code_set"), code_set__slug=set_slug, identifier=identifier
    )
    raw = request.GET.get("principal", "")[:16]
    canonical = code.code_set.canonical_identifier(raw) if raw.strip() else None
    principal = (
        Code.objects.filter(code_set=code.code_set, identifier=canonical)
        .only("code_set", "identifier", "title")
        .first()
        if canonical
        else None
    )
    if principal is not None:
        principal.code_set = code.code_set  # for its link, without a query
    grouper = drg.grouper()
    excluded = (
        drg.cc_excluded(
            secondary=code.identifier, principal=principal.identifier, version=grouper.version
        )
        if principal is not None
        else None
    )
    return render(
        request,
        "codes/cc_exclusion.html",
        {
            "code": code,
            "asked": raw.strip(),
            "principal": principal,
            "excluded": excluded,
            "grouper": grouper,
        },
    )
