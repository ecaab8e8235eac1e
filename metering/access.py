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
from metering.models import MeterView, Plan
from metering.plans import period_name, plan_book
from metering.viewers import Viewer, viewer_for

# Section access levels (codes.ContentSection.Access) each plan may read.
READABLE: dict[str, frozenset[str]] = {
    Plan.Access.NONE: frozenset(),
    Plan.Access.REGISTERED: frozenset({"registered"}),
    Plan.Access.PREMIUM: frozenset({"registered", "premium"}),
}

CallToAction = Literal["register", "upgrade"]


def readable_levels(viewer: Viewer, *, unlocked: bool) -> frozenset[str]:
    """The section levels `viewer` may read of a code whose descriptions are (or are not)
    unlocked for them: their plan's, or none at all."""
    return READABLE[viewer.plan.access] if unlocked else frozenset()


def unlock_for(viewer: Viewer, level: str, *, unlocked: bool) -> CallToAction | None:
    """What would unlock a section of `level` for `viewer` (None: readable): registering for a
    "registered" section when it gives more, else upgrading."""
    if level in readable_levels(viewer, unlocked=unlocked):
        return None
    if level == "registered" and viewer.can_register:
        return "register"
    return "upgrade"


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
        return readable_levels(self.viewer, unlocked=self.shows_descriptions)

    def can_read(self, level: str) -> bool:
        return level in self.readable_levels

    def unlocks(self, level: str) -> CallToAction | None:
        """What would unlock a section of this access level for this viewer (None: readable)."""
        return unlock_for(self.viewer, level, unlocked=self.shows_descriptions)

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


@dataclass(frozen=True, slots=True)
class ReadingRights:
    """What one viewer may read of several codes without opening their pages (CasePilot)."""

    viewer: Viewer
    unlocked: frozenset[int]  # ids of the codes whose descriptions the viewer may read

    def shows_descriptions(self, code_id: int) -> bool:
        return code_id in self.unlocked

    def readable_levels(self, code_id: int) -> frozenset[str]:
        return readable_levels(self.viewer, unlocked=code_id in self.unlocked)

    def unlocks(self, level: str, code_id: int) -> CallToAction | None:
        """What would unlock a section of this level of this code (None: readable)."""
        return unlock_for(self.viewer, level, unlocked=code_id in self.unlocked)


def reading_rights(*, viewer: Viewer, code_ids: list[int]) -> ReadingRights:
    """What `viewer` may read of `code_ids` now, without using or granting a view.

    A code is unlocked when the plan's views are unlimited, or when the viewer's own meter
    already recorded it this period (as the page would show it again for free). Codes the viewer
    has not opened stay locked even with views left: asking is not opening. One query at most.
    """
    ids = sorted(set(code_ids))
    if viewer.plan.views_per_period is None:
        return ReadingRights(viewer, frozenset(ids))
    own = viewer.meters[0]
    if not ids or not own.key:
        return ReadingRights(viewer, frozenset())
    seen = MeterView.objects.filter(
        meter__scope=own.scope,
        meter__key=own.key,
        meter__period_start=own.period_start,
        code_id__in=ids,
    ).values_list("code_id", flat=True)
    return ReadingRights(viewer, frozenset(seen))
