"""The one place that decides what a viewer may see of a code page, and what would unlock the rest.

Views ask `page_access()`; the answer says whether the descriptions are shown (the meter),
which content sections may be read (the plan), and, for each section that may not, what the
viewer would have to do: register (a free account reads "registered" sections) or upgrade
(only Premium reads "premium" ones, so a guest is never promised them for registering).
"""

from dataclasses import dataclass
from typing import Literal

from django.http import HttpRequest

from metering.meter import Identified, MeterState, meter_open
from metering.models import Plan
from metering.plans import period_name, plan_book
from metering.viewers import Viewer, viewer_for

# Section access levels (codes.ContentSection.Access) each plan may read.
READABLE: dict[str, frozenset[str]] = {
    Plan.Access.NONE: frozenset(),
    Plan.Access.REGISTERED: frozenset({"registered"}),
    Plan.Access.PREMIUM: frozenset({"registered", "premium"}),
}

CallToAction = Literal["register", "upgrade"]


@dataclass(frozen=True, slots=True)
class PageAccess:
    """What one viewer may read of one code's page."""

    viewer: Viewer
    meter: MeterState

    @property
    def shows_descriptions(self) -> bool:
        return self.meter.unlocked

    @property
    def readable_levels(self) -> frozenset[str]:
        return READABLE[self.viewer.plan.access] if self.shows_descriptions else frozenset()

    def can_read(self, level: str) -> bool:
        return level in self.readable_levels

    def unlocks(self, level: str) -> CallToAction | None:
        """What would unlock a section of this access level for this viewer (None: readable)."""
        if self.can_read(level):
            return None
        if level == "registered" and self.viewer.can_register:
            return "register"
        return "upgrade"

    @property
    def period_name(self) -> str:
        return period_name()


def is_speculative(request: HttpRequest) -> bool:
    """HEAD requests and link prefetches look at a page without a person reading it."""
    purpose = " ".join(
        request.headers.get(name, "") for name in ("Sec-Purpose", "Purpose", "X-Purpose", "X-Moz")
    ).lower()
    return request.method != "GET" or "prefetch" in purpose or "preview" in purpose


def page_access(*, request: HttpRequest, code: Identified) -> PageAccess:
    """Decide what `request`'s viewer may see of a code, using a view only for a real GET.

    One query for the meter (plus the session's, for a signed-in viewer); a second only when the
    meter reports that an editor changed the plans since this process read them.
    """
    charge = not is_speculative(request)
    viewer = viewer_for(request, create_guest=charge)
    state = meter_open(viewer=viewer, code=code, charge=charge)
    if state.plans_version != viewer.book.version:
        plan_book(version=state.plans_version)
        viewer = viewer_for(request)
    return PageAccess(viewer=viewer, meter=state)
