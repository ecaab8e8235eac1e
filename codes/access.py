"""The one place that decides what a viewer may see of a code page.

Views ask `page_access()` and hand its answer to `build_code_page()`; templates only print what
that produced. Today every viewer may read everything; metering (views per period) and plans
(registered or premium sections) plug in here and nowhere else.
"""

from dataclasses import dataclass

from django.http import HttpRequest

from codes.models import Code, ContentSection


@dataclass(frozen=True, slots=True)
class PageAccess:
    """What one viewer may read of one code's page."""

    shows_descriptions: bool
    readable_levels: frozenset[str]

    def can_read(self, section: ContentSection) -> bool:
        return self.shows_descriptions and section.access in self.readable_levels


FULL_ACCESS = PageAccess(
    shows_descriptions=True, readable_levels=frozenset(ContentSection.Access.values)
)


def page_access(*, request: HttpRequest, code: Code) -> PageAccess:
    """Decide what `request`'s viewer may see of `code`'s page."""
    return FULL_ACCESS
