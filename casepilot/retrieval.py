"""What CasePilot may answer from: the passages of CodeAhead's own data that the asker may read.

- The codes a question is about: the code page it was asked from, the identifiers it mentions
  (every CPT, HCPCS, ICD-10-CM and ICD-10-PCS shape, checked against the database), and, for a
  question naming no code ("Which codes cover a laparoscopic gallbladder removal?"), the best
  hits of Case2Code search (codes/search.py: full-text plus the semantic vectors of the
  embedding model shipped in its package).
- For each, the passages the asker may read (metering.access.reading_rights, which never uses or
  grants a view): the public facts of the code record (title, status, add-on and primary codes,
  replacement, dates, section and range) and the public ICD-10-CM instructions for everyone; the
  descriptions only of codes the asker has unlocked; content sections only at the asker's access
  level. Gated text is never read from the database for an asker who may not read it, so no
  instruction in a question can bring it into an answer or a request to a model.
- What is withheld is reported by section title only (titles are public on every code page), so
  the answer can say what registering or upgrading unlocks.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q

from codes.models import Code, ContentSection, TabularNote, compact_identifier
from codes.official import LEVEL_ORDER
from codes.search import search
from metering.access import CallToAction, ReadingRights, reading_rights
from metering.viewers import Viewer

# How many codes a question's passages come from, and how many hits a search question lists.
MAX_CODES = 6
SEARCH_HITS = 6

# Code-shaped words: CPT (5 characters, the last a digit, F, T or U), HCPCS Level II (a letter
# and four digits), ICD-10-CM (a letter, a digit, a digit or letter, then an optional dot and up
# to four more) and ICD-10-PCS (seven letters and digits, with a digit among them).
CODE_SHAPES = re.compile(
    r"(?<![\w.])(?:"
    r"\d{4}[0-9FTU]"
    r"|[A-V]\d{4}"
    r"|[A-TV-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?"
    r"|(?=[0-9A-HJ-NP-Z]*\d)[0-9A-HJ-NP-Z]{7}"
    r")(?![\w]|\.\w)",
    re.IGNORECASE,
)

# Words that say how a question asks, not what it asks about: left out of a search for codes.
QUESTION_WORDS = frozenset(
    """
    a an and are as at be by can cover covers covered code codes coding could describe describes
    do does for from how i in is it me my of on or report reported reporting should tell that
    the this to use used what whats which who why with would you your bill billed billing
    """.split()  # noqa: SIM905 - a word list reads best as words
)


@dataclass(frozen=True, slots=True)
class Passage:
    """One piece of text an answer may quote and cite."""

    code: Code
    kind: str  # facts | description | section | notes
    anchor: str  # part of the code page ("" for the page itself)
    label: str  # "CPT® 0439T: Billing Guidelines"
    text: str
    section_kind: str = ""  # a content section's kind (billing, modifiers…)
    note_kind: str = ""  # an ICD-10-CM instruction's kind (use_additional_code…)

    @property
    def url(self) -> str:
        base = self.code.get_absolute_url()
        return f"{base}#{self.anchor}" if self.anchor else base


@dataclass(frozen=True, slots=True)
class Withheld:
    """A content section the asker may not read: its public title and what would unlock it."""

    code: Code
    title: str
    unlock: CallToAction


@dataclass(slots=True)
class Retrieved:
    """Everything an engine may use for one question."""

    question: str
    codes: list[Code]  # the codes the question is about, context first
    mentioned: list[Code]  # the codes the question names itself
    found: list[Code]  # search hits, for a question naming no code
    passages: list[Passage] = field(default_factory=list)
    withheld: list[Withheld] = field(default_factory=list)
    locked: list[Code] = field(default_factory=list)  # codes whose descriptions are withheld

    def facts_of(self, code: Code) -> Passage | None:
        return next((p for p in self.passages if p.code == code and p.kind == "facts"), None)

    def passages_of(self, code: Code, kind: str | None = None) -> list[Passage]:
        return [p for p in self.passages if p.code == code and (kind is None or p.kind == kind)]


def mentioned_identifiers(text: str) -> list[str]:
    """The compact forms of the code-shaped words of `text`, in order, each once."""
    found: dict[str, None] = {}
    for match in CODE_SHAPES.finditer(text):
        compact = compact_identifier(match.group(0))
        if compact is not None:
            found.setdefault(compact)
    return list(found)


def codes_mentioned(text: str) -> list[Code]:
    """The codes `text` names that exist, in the order it names them (one query)."""
    compacts = mentioned_identifiers(text)
    if not compacts:
        return []
    by_compact: dict[str, list[Code]] = {}
    for code in Code.objects.by_compacts(compacts).order_by("code_set__position"):
        by_compact.setdefault(code.identifier.replace(".", ""), []).append(code)
    return [code for compact in compacts for code in by_compact.get(compact, [])[:1]]


def search_words(question: str) -> str:
    """The question without its question words and codes: what a search for codes should look
    for ("Which codes cover a laparoscopic gallbladder removal?" -> "laparoscopic gallbladder
    removal")."""
    text = CODE_SHAPES.sub(" ", question)
    words = re.findall(r"[A-Za-z0-9'-]+", text)
    return " ".join(w for w in words if w.lower().strip("'") not in QUESTION_WORDS)


def codes_found(question: str) -> list[Code]:
    """The best Case2Code search hits for the words of a question naming no code."""
    words = search_words(question)
    if not words:
        return []
    result = search(words)
    if result.kind == "exact" and result.queryset is not None:
        return list(result.queryset[:1])
    if result.queryset is None:
        return []
    return list(result.queryset[:SEARCH_HITS])


def _load(ids: list[int], rights: ReadingRights) -> dict[int, Code]:
    """The codes with their facts and, where the asker may read them, their sections. A locked
    code's gated fields are deferred and its section bodies are never selected."""
    readable = Q(pk__in=[])
    for pk in ids:
        levels = rights.readable_levels(pk)
        if levels:
            readable |= Q(code_id=pk, access__in=sorted(levels))
    sections = ContentSection.objects.filter(readable).order_by("position")
    titles = ContentSection.objects.only("code_id", "title", "access", "position").order_by(
        "position"
    )
    rows = (
        Code.objects.filter(pk__in=ids)
        .select_related("code_set", "section", "replaced_by__code_set")
        .defer("official_description", "plain_description")
        .prefetch_related(
            Prefetch("primary_codes", queryset=Code.objects.for_listing().order_by("identifier")),
            Prefetch("add_on_codes", queryset=Code.objects.for_listing().order_by("identifier")),
            Prefetch("replaces", queryset=Code.objects.for_listing().order_by("identifier")),
            Prefetch("content_sections", queryset=sections, to_attr="readable_sections"),
            Prefetch("content_sections", queryset=titles, to_attr="section_titles"),
        )
    )
    codes: dict[int, Code] = {code.pk: code for code in rows}
    unlocked = [pk for pk in ids if rights.shows_descriptions(pk) and pk in codes]
    if unlocked:
        for pk, official, plain in Code.objects.filter(pk__in=unlocked).values_list(
            "pk", "official_description", "plain_description"
        ):
            codes[pk].unlocked_descriptions = (official, plain)  # type: ignore[attr-defined]
    return codes


def _listed(codes: Iterable[Code]) -> str:
    return ", ".join(f"{c.code_set.name} {c.identifier} ({c.title})" for c in codes)


def facts_text(code: Code) -> str:
    """The public facts of a code record, in sentences."""
    lines = [f"{code.code_set.name} {code.identifier}: {code.title}."]
    if code.is_deleted:
        ended = f" after {code.end_date:%B %-d, %Y}" if code.end_date else ""
        lines.append(f"Status: deleted{ended}.")
        if code.replaced_by:
            lines.append(
                f"Replaced by {code.replaced_by.code_set.name} {code.replaced_by.identifier} "
                f"({code.replaced_by.title}): report it instead for later dates of service."
            )
    else:
        lines.append("Status: active.")
    if code.effective_date:
        lines.append(f"Effective {code.effective_date:%B %-d, %Y}.")
    primaries = list(code.primary_codes.all())
    if code.is_add_on:
        lines.append(
            "Add-on code: reported in addition to a primary procedure, never alone."
            + (f" Primary codes: {_listed(primaries)}." if primaries else "")
        )
    add_ons = list(code.add_on_codes.all())
    if add_ons:
        lines.append(f"Add-on codes reported with it: {_listed(add_ons)}.")
    replaces = list(code.replaces.all())
    if replaces:
        lines.append(f"It replaces {_listed(replaces)}.")
    if code.section:
        lines.append(f"Section: {code.section.title} ({code.section.code_range}).")
    return " ".join(lines)


def _note_passages(code: Code) -> list[Passage]:
    """The public ICD-10-CM instructions of a code, one passage per kind (nearest level first)."""
    wanted = {
        TabularNote.Kind.USE_ADDITIONAL,
        TabularNote.Kind.CODE_FIRST,
        TabularNote.Kind.CODE_ALSO,
        TabularNote.Kind.EXCLUDES1,
        TabularNote.Kind.EXCLUDES2,
        TabularNote.Kind.INCLUDES,
        TabularNote.Kind.NOTE,
    }
    by_kind: dict[str, list[TabularNote]] = {}
    for note in sorted(
        TabularNote.objects.for_code(code.identifier),
        key=lambda n: (LEVEL_ORDER[n.level], n.node, n.position),
    ):
        if note.kind in wanted:
            by_kind.setdefault(note.kind, []).append(note)
    passages = []
    for kind, notes in by_kind.items():
        label = TabularNote.Kind(kind).label
        lines = [
            f"{n.text} (from {'this code' if n.node == code.identifier else n.origin})"
            for n in notes
        ]
        passages.append(
            Passage(
                code=code,
                kind="notes",
                anchor="official-notes",
                label=f"{code.code_set.name} {code.identifier}: {label} (official ICD-10-CM)",
                text=f"{label}: " + "; ".join(lines),
                note_kind=kind,
            )
        )
    return passages


def passages_for(code: Code, rights: ReadingRights) -> tuple[list[Passage], list[Withheld]]:
    """Every passage of one loaded code the asker may read, and the sections withheld."""
    name = f"{code.code_set.name} {code.identifier}"
    passages = [Passage(code=code, kind="facts", anchor="", label=name, text=facts_text(code))]
    descriptions = getattr(code, "unlocked_descriptions", None)
    if descriptions is not None:
        official, plain = descriptions
        text = official + (f"\n\nIn plain language: {plain}" if plain else "")
        passages.append(
            Passage(
                code=code,
                kind="description",
                anchor="official-heading",
                label=f"{name}: descriptions",
                text=text,
            )
        )
    if code.code_set.slug == "icd10cm":
        passages += _note_passages(code)
    for section in code.readable_sections:  # type: ignore[attr-defined]
        passages.append(
            Passage(
                code=code,
                kind="section",
                anchor=f"section-{section.position}",
                label=f"{name}: {section.title}",
                text=section.body_markdown,
                section_kind=section.kind,
            )
        )
    readable = {s.pk for s in code.readable_sections}  # type: ignore[attr-defined]
    withheld = [
        Withheld(code=code, title=s.title, unlock=rights.unlocks(s.access, code.pk) or "upgrade")
        for s in code.section_titles  # type: ignore[attr-defined]
        if s.pk not in readable
    ]
    return passages, withheld


def retrieve(*, viewer: Viewer, question: str, context: Code | None) -> Retrieved:
    """The passages for `question`, asked by `viewer`, from the code page `context`."""
    mentioned = codes_mentioned(question)
    found: list[Code] = []
    if not mentioned and context is None:
        found = codes_found(question)
    ordered = list(dict.fromkeys([*([context] if context else []), *mentioned, *found]))
    ids = [code.pk for code in ordered][:MAX_CODES]
    # A deleted code's replacement is part of its answer ("What replaced 0501T?").
    replacements = Code.objects.filter(pk__in=ids[:2], replaced_by__isnull=False).values_list(
        "replaced_by_id", flat=True
    )
    ids = list(dict.fromkeys([*ids, *replacements]))[: MAX_CODES + 1]
    rights = reading_rights(viewer=viewer, code_ids=ids)
    loaded = _load(ids, rights)
    codes = [loaded[pk] for pk in ids if pk in loaded]
    retrieved = Retrieved(
        question=question,
        codes=codes,
        mentioned=[loaded[c.pk] for c in mentioned if c.pk in loaded],
        found=[loaded[c.pk] for c in found if c.pk in loaded],
    )
    for code in codes:
        passages, withheld = passages_for(code, rights)
        retrieved.passages += passages
        retrieved.withheld += withheld
        if not rights.shows_descriptions(code.pk):
            retrieved.locked.append(code)
    return retrieved
