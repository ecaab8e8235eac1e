"""Assembles everything a code page shows, already filtered by what the viewer may read.

What does not depend on the viewer (breadcrumb, neighbours, primary and add-on links, every
content section with its body) is built once per code and catalogue version and kept in this
process (and, with Redis, in the shared cache for every process). The catalogue version is
bumped by a database trigger on every write to code sets, sections, codes, their links and
content sections (codes/migrations/0005), and the code page reads it in the same query as the
code, so no page can show text older than the last committed edit, import or revert.
"""

from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from codes.models import Code, ContentSection, Section
from codes.official import official_cards
from common.markup import json_script_text
from metering.access import CallToAction, PageAccess

NOTHING = SafeString("")

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
    """A content section, with its card rendered for a reader and for each call to action."""

    anchor: str
    title: str
    access: str
    body_html: str
    readable_html: SafeString
    locked_html: dict[str, SafeString]  # by call to action


@dataclass(frozen=True, slots=True)
class PageParts:
    """What a code page shows that is the same for every viewer, rendered once: templates are
    most of a code page's cost, and these parts only change with the catalogue."""

    breadcrumb: tuple[Crumb, ...]
    neighbours: tuple[Link, ...]
    primary_codes: tuple[Link, ...]
    add_on_codes: tuple[Link, ...]
    sections: tuple[SectionPart, ...]
    breadcrumb_html: SafeString
    related_html: SafeString  # primary, add-on and neighbouring codes
    neighbours_html: SafeString  # only the neighbours: for a locked page
    facts_html: SafeString
    toc_html: SafeString
    # Official data beyond the descriptor (ICD-10 notes, MS-DRG facts, PCS characters): public
    # domain, shown to every viewer, a locked page included.
    official_html: SafeString
    official_anchors: tuple[tuple[str, str], ...] = ()  # its cards, for the table of contents


@dataclass(frozen=True, slots=True)
class SectionBlock:
    """A content section as the template prints it: the body only when the viewer may read it,
    otherwise what would unlock it."""

    anchor: str
    title: str
    access: str
    body_html: str | None
    call_to_action: CallToAction | None = None


@dataclass(frozen=True, slots=True)
class Unlock:
    """How many of the page's locked sections registering, or Premium, would open."""

    register: int
    upgrade: int

    def __bool__(self) -> bool:
        return bool(self.register or self.upgrade)


@dataclass(slots=True)
class CodePage:
    code: Code
    access: PageAccess
    parts: PageParts
    sections: list[SectionBlock]
    sections_html: SafeString
    unlock: Unlock = Unlock(0, 0)

    @property
    def breadcrumb(self) -> tuple[Crumb, ...]:
        return self.parts.breadcrumb

    @property
    def related_html(self) -> SafeString:
        return self.parts.related_html if self.shows_descriptions else self.parts.neighbours_html

    @property
    def shows_descriptions(self) -> bool:
        return self.access.shows_descriptions

    @property
    def shows_toc(self) -> bool:
        """The table of contents points at the descriptions, so only a page showing them has
        one, when it has more to list: sections or official data."""
        return self.shows_descriptions and bool(self.sections or self.parts.official_anchors)

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
        return json_script_text(data)


def _link(code: Code) -> Link:
    return Link(code.identifier, code.title, code.get_absolute_url(), code.is_deleted)


def build_parts(code: Code) -> PageParts:
    """The viewer-independent parts, from the database (four queries whatever their size, and
    for ICD-10 codes one or two for their official data: codes/official.py)."""
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
    rows = ContentSection.objects.filter(code=code).only("position", "title", "access", "body_html")

    def section_part(row: ContentSection) -> SectionPart:
        anchor = f"section-{row.position}"

        def card(body: str | None, call_to_action: str | None) -> SafeString:
            block = SectionBlock(anchor, row.title, row.access, body, call_to_action)  # type: ignore[arg-type]
            return render_to_string("codes/includes/content_section.html", {"section": block})

        return SectionPart(
            anchor=anchor,
            title=row.title,
            access=row.access,
            body_html=row.body_html,
            readable_html=card(row.body_html, None),
            locked_html={cta: card(None, cta) for cta in ("register", "upgrade")},
        )

    sections = tuple(section_part(row) for row in rows.order_by("position"))
    neighbours = tuple(_link(c) for c in Code.objects.neighbours_of(code))
    lists = {
        "primary_codes": tuple(_link(c) for c in sorted(primary_codes, key=lambda c: c.identifier)),
        "add_on_codes": tuple(_link(c) for c in sorted(add_on_codes, key=lambda c: c.identifier)),
        "neighbours": neighbours,
    }
    only_neighbours = {"primary_codes": (), "add_on_codes": (), "neighbours": neighbours}
    crumbs = tuple(Crumb(s.title, s.get_absolute_url()) for s in breadcrumb)
    official = official_cards(code)
    return PageParts(
        breadcrumb=crumbs,
        sections=sections,
        **lists,
        breadcrumb_html=render_to_string(
            "codes/includes/breadcrumb_items.html", {"crumbs": crumbs}
        ),
        related_html=render_to_string(
            "codes/includes/related_codes.html", {"code": code, "page": lists}
        ),
        neighbours_html=render_to_string(
            "codes/includes/related_codes.html", {"code": code, "page": only_neighbours}
        ),
        facts_html=render_to_string("codes/includes/code_facts.html", {"code": code}),
        toc_html=render_to_string(
            "codes/includes/page_toc.html", {"sections": sections, "official": official.anchors}
        ),
        official_html=official.html,
        official_anchors=official.anchors,
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
        return CodePage(code=code, access=access, parts=parts, sections=[], sections_html=NOTHING)
    sections: list[SectionBlock] = []
    cards: list[str] = []
    for part in parts.sections:
        if access.can_read(part.access):
            sections.append(SectionBlock(part.anchor, part.title, part.access, part.body_html))
            cards.append(part.readable_html)
        else:
            unlock = access.unlocks(part.access) or "upgrade"
            sections.append(SectionBlock(part.anchor, part.title, part.access, None, unlock))
            cards.append(part.locked_html[unlock])
    calls = [section.call_to_action for section in sections]
    return CodePage(
        code=code,
        access=access,
        parts=parts,
        sections=sections,
        sections_html=SafeString("\n".join(cards)),
        unlock=Unlock(register=calls.count("register"), upgrade=calls.count("upgrade")),
    )
