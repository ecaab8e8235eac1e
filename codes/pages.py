"""Assembles everything a code page shows, already filtered by what the viewer may read."""

import json
from dataclasses import dataclass, field

from django.conf import settings

from codes.access import PageAccess
from codes.models import Code, ContentSection, Section


@dataclass(frozen=True, slots=True)
class SectionBlock:
    """A content section as the template prints it: the body only when the viewer may read it."""

    anchor: str
    title: str
    access: str
    body_html: str | None
    call_to_action: str | None = None  # "register" or "upgrade" when the body is withheld


@dataclass(slots=True)
class CodePage:
    code: Code
    access: PageAccess
    breadcrumb: list[Section]
    sections: list[SectionBlock]
    primary_codes: list[Code] = field(default_factory=list)
    add_on_codes: list[Code] = field(default_factory=list)
    neighbours: list[Code] = field(default_factory=list)

    @property
    def shows_descriptions(self) -> bool:
        return self.access.shows_descriptions

    @property
    def extra_views_on_free(self) -> int:
        """How many more views a free account gives than a guest has (the banner's promise)."""
        viewer = self.access.viewer
        if viewer.free_plan is None:
            return 0
        return (viewer.free_plan.views_per_period or 0) - (viewer.plan.views_per_period or 0)

    @property
    def period_name(self) -> str:
        return settings.METER_PERIOD

    @property
    def structured_data(self) -> str:
        """schema.org markup saying the page is metered, pointing at the gated parts (.gated)."""
        data = {
            "@context": "https://schema.org",
            "@type": "WebPage",
            "name": f"{self.code.heading}: {self.code.title}",
            "isAccessibleForFree": False,
            "hasPart": [
                {"@type": "WebPageElement", "isAccessibleForFree": False, "cssSelector": ".gated"}
            ],
        }
        # Escaped like Django's json_script, so no text can close the <script> element.
        return (
            json.dumps(data, ensure_ascii=False)
            .replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
        )


def build_code_page(*, code: Code, access: PageAccess) -> CodePage:
    """Load the page's related rows (four queries whatever their number) and apply `access`.

    Bodies the viewer may not read are never copied into the page, so no template can print
    them; a locked page loads no sections at all.
    """
    breadcrumb = Section.objects.ancestors_of(code.section, code.code_set) if code.section else []
    neighbours = Code.objects.neighbours_of(code)
    if not access.shows_descriptions:
        return CodePage(code=code, access=access, breadcrumb=breadcrumb, sections=[],
                        neighbours=neighbours)  # fmt: skip
    primary_codes: list[Code] = []
    add_on_codes: list[Code] = []
    links = Code.primary_codes.through.objects.filter(from_code=code) | (
        Code.primary_codes.through.objects.filter(to_code=code)
    )
    for link in links.select_related("from_code__code_set", "to_code__code_set"):
        if link.from_code_id == code.pk:
            primary_codes.append(link.to_code)
        else:
            add_on_codes.append(link.from_code)
    # Readers of registered sections are asked to upgrade; everyone else to register.
    withheld = (
        "upgrade" if ContentSection.Access.REGISTERED in access.readable_levels else "register"
    )
    sections = [
        SectionBlock(
            anchor=f"section-{section.position}",
            title=section.title,
            access=section.access,
            body_html=section.body_html if access.can_read(section) else None,
            call_to_action=None if access.can_read(section) else withheld,
        )
        for section in ContentSection.objects.filter(code=code)
        .only("position", "title", "access", "body_html")
        .order_by("position")
    ]
    return CodePage(
        code=code,
        access=access,
        breadcrumb=breadcrumb,
        sections=sections,
        primary_codes=sorted(primary_codes, key=lambda c: c.identifier),
        add_on_codes=sorted(add_on_codes, key=lambda c: c.identifier),
        neighbours=neighbours,
    )
