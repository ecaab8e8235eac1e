"""The one place that decides what a viewer may see of a code page.

Views ask `page_access()` and hand its answer to `build_code_page()`; templates only print what
that produced. The meter (metering.meter) says whether the page is unlocked for this viewer; the
viewer's plan says which content sections they may read.
"""

from dataclasses import dataclass

from django.http import HttpRequest

from codes.models import Code, ContentSection
from metering.meter import MeterState, Viewer, meter_open, viewer_for

READABLE = {
    "none": frozenset(),
    "registered": frozenset({ContentSection.Access.REGISTERED}),
    "premium": frozenset({ContentSection.Access.REGISTERED, ContentSection.Access.PREMIUM}),
}


@dataclass(frozen=True, slots=True)
class PageAccess:
    """What one viewer may read of one code's page."""

    viewer: Viewer
    meter: MeterState
    readable_levels: frozenset[str]

    @property
    def shows_descriptions(self) -> bool:
        return self.meter.unlocked

    def can_read(self, section: ContentSection) -> bool:
        return self.shows_descriptions and section.access in self.readable_levels


def is_speculative(request: HttpRequest) -> bool:
    """HEAD requests and link prefetches look at a page without a person reading it."""
    purpose = " ".join(
        request.headers.get(name, "") for name in ("Sec-Purpose", "Purpose", "X-Purpose", "X-Moz")
    ).lower()
    return request.method != "GET" or "prefetch" in purpose or "preview" in purpose


def page_access(*, request: HttpRequest, code: Code) -> PageAccess:
    """Decide what `request`'s viewer may see of `code`, using a view only for a real GET."""
    charge = not is_speculative(request)
    viewer = viewer_for(request, create_guest=charge)
    meter = meter_open(viewer=viewer, code=code, charge=charge)
    return PageAccess(viewer=viewer, meter=meter, readable_levels=READABLE[viewer.sections_access])
