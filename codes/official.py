"""The official data a code page shows beyond the descriptor, arranged for its templates.

Public domain (CMS and CDC data) and the same for every viewer, so codes/pages.py renders it once
per code and catalogue version, and shows it on every page, a locked one included: it never
uses a view. Reads: the notes of the code and its ancestors (one query), the MS-DRG facts (one),
the PCS characters (one).
"""

from dataclasses import dataclass, field
from itertools import groupby

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from codes import drg
from codes.models import Code, DrgFacts, OfficialSource, PcsAxisValue, TabularNote

NOTHING = SafeString("")
LEVEL_ORDER = {level: number for number, level in enumerate(TabularNote.Level.values)}
KIND_ORDER = {kind: number for number, kind in enumerate(TabularNote.Kind.values)}
# Lines that state a kind's instruction once for the lines after it ("code to identify …:").
LEAD = ":"


@dataclass(frozen=True)
class NoteOrigin:
    """The lines of one kind that one node of the tabular list gives."""

    label: str  # "this code", "from category E11"
    lines: list[SafeString]


@dataclass(frozen=True)
class NoteGroup:
    kind: str
    title: str
    origins: list[NoteOrigin]


@dataclass(frozen=True)
class SeventhCharacter:
    character: str
    meaning: str
    is_this_code: bool


@dataclass(frozen=True)
class SeventhCharacters:
    label: str  # "from category S72"
    notes: list[SafeString]
    characters: list[SeventhCharacter]


@dataclass(frozen=True)
class TabularData:
    groups: list[NoteGroup]
    seventh: SeventhCharacters | None
    source: OfficialSource


def _linked(note: TabularNote) -> SafeString:
    return mark_safe(note.html)  # noqa: S308 - escaped, then linked, at import (codes/notes.py)


def tabular_data(code: Code) -> TabularData | None:
    """The instructions that apply to an ICD-10-CM code, nearest level first within each kind."""
    notes = sorted(
        TabularNote.objects.for_code(code.identifier),
        key=lambda n: (KIND_ORDER[n.kind], LEVEL_ORDER[n.level], n.node, n.position),
    )
    if not notes:
        return None

    def label(note: TabularNote) -> str:
        return "this code" if note.node == code.identifier else f"from {note.origin}"

    groups: list[NoteGroup] = []
    seventh: SeventhCharacters | None = None
    sevenths = (TabularNote.Kind.SEVENTH, TabularNote.Kind.SEVENTH_NOTE)
    instructions = [n for n in notes if n.kind not in sevenths]
    for kind, of_kind in groupby(instructions, key=lambda n: n.kind):
        origins = [
            NoteOrigin(label=label(lines[0]), lines=[_linked(n) for n in lines])
            for _, grouped in groupby(of_kind, key=lambda n: n.node)
            for lines in [list(grouped)]
        ]
        groups.append(NoteGroup(kind, TabularNote.Kind(kind).label, origins))
    # 7th characters: the nearest level that defines them is the one that applies.
    defining = [n for n in notes if n.kind == TabularNote.Kind.SEVENTH]
    if defining:
        nearest = defining[0].node
        compact = code.identifier.replace(".", "")
        own = compact[6] if len(compact) == 7 else ""
        seventh = SeventhCharacters(
            label=label(defining[0]),
            notes=[
                _linked(n)
                for n in notes
                if n.kind == TabularNote.Kind.SEVENTH_NOTE and n.node == nearest
            ],
            characters=[
                SeventhCharacter(n.character, n.text, n.character == own)
                for n in defining
                if n.node == nearest
            ],
        )
    return TabularData(groups=groups, seventh=seventh, source=notes[0].source)


@dataclass(frozen=True)
class DrgFact:
    term: str
    value: str
    detail: str = ""


@dataclass(frozen=True)
class DrgData:
    facts: list[DrgFact]
    source: OfficialSource
    check_url: str = ""  # the CC exclusion check, for a CC or MCC
    heading: str = "MS-DRG and Medicare Code Editor"


def drg_data(code: Code) -> DrgData | None:
    row = DrgFacts.objects.select_related("source").filter(code=code).first()
    if row is None:
        return None
    facts: list[DrgFact] = []
    if row.procedure_class:
        if row.procedure_class == DrgFacts.ProcedureClass.OWN_DRG:
            facts.append(
                DrgFact(
                    "O.R. status",
                    f"Assigns MS-DRG {row.drg} on its own",
                    f"{row.drg_title}: grouped alone with a principal diagnosis that points "
                    "nowhere else.",
                )
            )
        else:
            facts.append(DrgFact("O.R. status", row.get_procedure_class_display()))
        return DrgData(facts=facts, source=row.source)
    facts.append(
        DrgFact(
            "As a secondary diagnosis",
            row.get_severity_display(),
            "Counts toward a higher-severity MS-DRG unless excluded by the principal diagnosis."
            if row.severity in (DrgFacts.Severity.CC, DrgFacts.Severity.MCC)
            else "",
        )
    )
    edits = [drg.EDITS.get(name, name.replace("_", " ").lower()) for name in row.principal_edits]
    facts.append(
        DrgFact(
            "As the principal diagnosis",
            "; ".join(edits) if edits else "No Medicare Code Editor edit",
        )
    )
    if row.age_low is not None and row.age_high is not None:
        facts.append(
            DrgFact(
                "Age",
                f"Ages {row.age_low}–{row.age_high} only"
                if row.age_low != row.age_high
                else f"Age {row.age_low} only",
                "The Medicare Code Editor raises an age conflict for any other age.",
            )
        )
    check_url = ""
    if row.severity in (DrgFacts.Severity.CC, DrgFacts.Severity.MCC):
        from django.urls import reverse

        check_url = reverse("codes:cc_exclusion", args=[code.code_set.slug, code.identifier])
    return DrgData(facts=facts, source=row.source, check_url=check_url)


@dataclass(frozen=True)
class PcsCharacter:
    position: int
    character: str
    axis: str
    label: str
    definition: str = ""
    explanation: str = ""
    examples: str = ""


@dataclass(frozen=True)
class PcsData:
    characters: list[PcsCharacter]
    definitions: list[PcsCharacter]  # root operation and approach, with their definitions
    missing: list[int] = field(default_factory=list)  # positions the loaded tables do not cover
    source: OfficialSource | None = None


def pcs_data(code: Code) -> PcsData:
    found = {row.position: row for row in PcsAxisValue.objects.for_code(code.identifier)}
    characters = [
        PcsCharacter(
            position=position,
            character=code.identifier[position - 1],
            axis=row.axis if row else "",
            label=row.label if row else "",
            definition=row.definition if row else "",
            explanation=row.explanation if row else "",
            examples=row.examples if row else "",
        )
        for position in range(1, 8)
        for row in [found.get(position)]
    ]
    return PcsData(
        characters=characters,
        definitions=[c for c in characters if c.definition],
        missing=[c.position for c in characters if not c.label],
        source=next((row.source for row in found.values()), None),
    )


# The cards' anchors and their titles in the table of contents.
NOTES = ("official-notes", "Official instructions")
CHARACTERS = ("official-characters", "The seven characters")
DRG = ("official-drg", "MS-DRG and MCE")


@dataclass(frozen=True)
class OfficialCards:
    html: SafeString
    anchors: tuple[tuple[str, str], ...] = ()  # (anchor, title) of each card, in page order


def official_cards(code: Code) -> OfficialCards:
    """The official data cards of a code page, rendered, with the anchor of each card shown
    (none for CPT® and HCPCS)."""
    slug = code.code_set.slug
    if slug == "icd10cm":
        tabular, drg_facts = tabular_data(code), drg_data(code)
        html = render_to_string(
            "codes/includes/official_icd10cm.html",
            {"code": code, "tabular": tabular, "drg": drg_facts},
        )
        return OfficialCards(html, ((NOTES,) if tabular else ()) + ((DRG,) if drg_facts else ()))
    if slug == "icd10pcs":
        drg_facts = drg_data(code)
        html = render_to_string(
            "codes/includes/official_icd10pcs.html",
            {"code": code, "pcs": pcs_data(code), "drg": drg_facts},
        )
        return OfficialCards(html, (CHARACTERS, DRG) if drg_facts else (CHARACTERS,))
    return OfficialCards(NOTHING)
