"""Assembles everything a code page shows, already filtered by what the viewer may read."""

from dataclasses import dataclass, field

from codes.access import PageAccess
from codes.models import Code, ContentSection, Section


@dataclass(frozen=True, slots=True)
class SectionBlock:
    """A content section as the template prints it: the body only when the viewer may read it."""

    anchor: str
    title: str
    access: str
    body_html: str | None


@dataclass(slots=True)
class CodePage:
    code: Code
    breadcrumb: list[Section]
    shows_descriptions: bool
    sections: list[SectionBlock]
    primary_codes: list[Code] = field(default_factory=list)
    add_on_codes: list[Code] = field(default_factory=list)
    neighbours: list[Code] = field(default_factory=list)


def build_code_page(*, code: Code, access: PageAccess) -> CodePage:
    """Load the page's related rows (four queries whatever their number) and apply `access`.

    Bodies the viewer may not read are never copied into the page, so no template can print them.
    """
    breadcrumb = Section.objects.ancestors_of(code.section, code.code_set) if code.section else []
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
    sections = [
        SectionBlock(
            anchor=f"section-{section.position}",
            title=section.title,
            access=section.access,
            body_html=section.body_html if access.can_read(section) else None,
        )
        for section in ContentSection.objects.filter(code=code)
        .only("position", "title", "access", "body_html")
        .order_by("position")
    ]
    return CodePage(
        code=code,
        breadcrumb=breadcrumb,
        shows_descriptions=access.shows_descriptions,
        sections=sections,
        primary_codes=sorted(primary_codes, key=lambda c: c.identifier),
        add_on_codes=sorted(add_on_codes, key=lambda c: c.identifier),
        neighbours=Code.objects.neighbours_of(code),
    )
