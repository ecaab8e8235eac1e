"""Assembles everything a code page shows, already filtered by what the viewer may read.

What does not depend on the viewer (breadcrumb, neighbours, primary and add-on links, every
content section with its body) is built once per code and catalogue version and kept in this
process (and, with Redis, in the shared cache for every process). The catalogue version is
bumped by a database trigger on every write to code sets, sections, codes, their links and
content sections (codes/migrations/0005), and the code page reads it in the same query as the
code, so no page can show text older than the last committed edit, import or revert.
"""

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from threading import Lock

from django.conf import settings
from django.core.cache import cache

from codes.models import Code, ContentSection, Section
from metering.access import CallToAction, PageAccess

# Entries kept per process: a few thousand pages of a few kilobytes each.
LOCAL_PARTS = 2_000
SHARED_PARTS_SECONDS = 24 * 3600


@dataclass(frozen=True, slots=True)
class Link:
    """A code as a list prints it."""

    identifier: str
    title: str
    url: str
    is_deleted: bool = False

    def get_absolute_url(self) -> str:  # as Code's, for the shared list templates
        return self.url


@dataclass(frozen=True, slots=True)
class Crumb:
    title: str
    url: str

    def get_absolute_url(self) -> str:  # as Section's
        return self.url


@dataclass(frozen=True, slots=True)
class SectionPart:
    anchor: str
    title: str
    access: str
    body_html: str


@dataclass(frozen=True, slots=True)
class PageParts:
    """What a code page shows that is the same for every viewer."""

    breadcrumb: tuple[Crumb, ...]
    neighbours: tuple[Link, ...]
    primary_codes: tuple[Link, ...]
    add_on_codes: tuple[Link, ...]
    sections: tuple[SectionPart, ...]


@dataclass(frozen=True, slots=True)
class SectionBlock:
    """A content section as the template prints it: the body only when the viewer may read it,
    otherwise what would unlock it."""

    anchor: str
    title: str
    access: str
    body_html: str | None
    call_to_action: CallToAction | None = None


@dataclass(slots=True)
class CodePage:
    code: Code
    access: PageAccess
    breadcrumb: tuple[Crumb, ...]
    sections: list[SectionBlock]
    primary_codes: tuple[Link, ...] = ()
    add_on_codes: tuple[Link, ...] = ()
    neighbours: tuple[Link, ...] = field(default_factory=tuple)

    @property
    def shows_descriptions(self) -> bool:
        return self.access.shows_descriptions

    @property
    def extra_views_on_free(self) -> int:
        return self.access.viewer.extra_views_on_free

    @property
    def period_name(self) -> str:
        return self.access.period_name

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


def _link(code: Code) -> Link:
    return Link(code.identifier, code.title, code.get_absolute_url(), code.is_deleted)


def build_parts(code: Code) -> PageParts:
    """The viewer-independent parts, from the database (four queries whatever their size)."""
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
    sections = ContentSection.objects.filter(code=code).only(
        "position", "title", "access", "body_html"
    )
    return PageParts(
        breadcrumb=tuple(Crumb(s.title, s.get_absolute_url()) for s in breadcrumb),
        neighbours=tuple(_link(c) for c in Code.objects.neighbours_of(code)),
        primary_codes=tuple(_link(c) for c in sorted(primary_codes, key=lambda c: c.identifier)),
        add_on_codes=tuple(_link(c) for c in sorted(add_on_codes, key=lambda c: c.identifier)),
        sections=tuple(
            SectionPart(f"section-{s.position}", s.title, s.access, s.body_html)
            for s in sections.order_by("position")
        ),
    )


class _PartsCache:
    """Parts by (code, catalogue version): a bounded LRU in this process, in front of the
    shared cache when that is not the database (a database cache costs more queries than
    building the parts does)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[int, int], PageParts] = OrderedDict()
        self.lock = Lock()

    def get(self, code: Code) -> PageParts:
        version: int | None = getattr(code, "catalogue_version", None)
        if version is None:  # not read with its version: never cache
            return build_parts(code)
        key = (code.pk, version)
        with self.lock:
            parts = self.entries.get(key)
            if parts is not None:
                self.entries.move_to_end(key)
                return parts
        shared_key = f"codes:page-parts:{code.pk}:{version}"
        parts = cache.get(shared_key) if settings.CODE_PAGE_SHARED_CACHE else None
        if parts is None:
            parts = build_parts(code)
            if settings.CODE_PAGE_SHARED_CACHE:
                cache.set(shared_key, parts, SHARED_PARTS_SECONDS)
        with self.lock:
            self.entries[key] = parts
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return parts

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


page_parts = _PartsCache(LOCAL_PARTS)


def build_code_page(*, code: Code, access: PageAccess) -> CodePage:
    """The page for this viewer: shared parts, with only what the viewer may read copied in.

    Bodies the viewer may not read are never copied into the page, so no template can print
    them; a locked page carries no sections at all.
    """
    parts = page_parts.get(code)
    if not access.shows_descriptions:
        return CodePage(code=code, access=access, breadcrumb=parts.breadcrumb, sections=[],
                        neighbours=parts.neighbours)  # fmt: skip
    sections = [
        SectionBlock(
            anchor=part.anchor,
            title=part.title,
            access=part.access,
            body_html=part.body_html if access.can_read(part.access) else None,
            call_to_action=access.unlocks(part.access),
        )
        for part in parts.sections
    ]
    return CodePage(
        code=code,
        access=access,
        breadcrumb=parts.breadcrumb,
        sections=sections,
        primary_codes=parts.primary_codes,
        add_on_codes=parts.add_on_codes,
        neighbours=parts.neighbours,
    )
