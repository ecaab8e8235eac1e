"""ICD-10-CM from the `simple-icd-10-cm` package (the CDC's tabular list, public domain).

Every billable code, that is every leaf of the tabular list (74,719 in the package's April 2026
release), becomes a code with its dotted identifier (E11.9). Above them, sections:

    chapter (icd10cm-ch04) > block (icd10cm-e08-e13) > category (icd10cm-e11) > E11.9

A category that is billable itself (I10) is a code in its block rather than a section of one
code, and a block made of a single category (B20, B99) is one section, not two of the same name.
The package lists a few super-blocks (C00-C96 "Malignant neoplasms") without children, their
blocks sitting directly in the chapter; having no codes, they are skipped.

Chapters and blocks range over the categories in their published name (E00–E89, E08–E13);
categories from their first to their last billable code (E11.00–E11.A).

In the same transaction, the official data beyond the descriptor:

- every instruction of the tabular list (Includes, inclusion terms, Excludes1 and 2, Code first,
  Use additional code, Code also, notes, 7th characters) as TabularNote rows on the node that
  carries it, with the codes it mentions linked (codes/notes.py); a code page shows those of the
  code and of every level above it;
- each code's searchable official terms: its own inclusion terms and Includes (and those of the
  subcategories above it) in `index_terms`; its category's and block's, and the titles of the
  category and subcategories above it, in `context_terms`;
- the MS-DRG facts of every code (codes/drg.py).
"""

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import date, datetime
from importlib.metadata import version
from importlib.resources import files

import simple_icd_10_cm as cm

from codes import drg
from codes.imports.core import (
    DRG_FIELDS,
    ImportDataError,
    ImportSummary,
    Progress,
    SectionSpec,
    SourceRow,
    check_rows,
    ensure_source,
    get_code_set,
    import_rows,
    sync_table,
    title_from,
)
from codes.models import Code, CodeSet, DrgFacts, TabularNote
from codes.notes import KnownCodes, link_codes

PACKAGE = "simple-icd-10-cm"
# The package's tabular list is named after its release: icd10c-tabular-April-1-2026.xml.
RELEASE_NAME = re.compile(r"tabular-([A-Za-z]+-\d{1,2}-\d{4})\.xml$")
# "Diabetes mellitus (E08-E13)": the published range ending a chapter or block description.
RANGE_SUFFIX = re.compile(r"\s*\(([0-9A-Z]{3})-([0-9A-Z]{3})\)$")


def import_icd10cm(
    *,
    dry_run: bool = False,
    categories: Collection[str] | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Check every billable code of the package, then load them with their official data.
    Raises ImportDataError.

    `categories` (E11, S72): only the codes of these categories and the notes of the tree
    around them, leaving every other code alone. For trials and tests: a whole import is the
    release.
    """
    code_set = get_code_set("icd10cm")
    wanted = None if categories is None else frozenset(categories)
    notes = read_notes(wanted)
    rows, sections, problems = read_package(terms=official_terms(notes), only=wanted)
    checked = check_rows(code_set=code_set, rows=rows, problems=problems)
    if problems:
        raise ImportDataError(problems)
    return import_rows(
        code_set=code_set,
        rows=checked,
        sections=sections,
        dry_run=dry_run,
        change_reason="import_codes icd10cm",
        effective=release_date(),
        scope=None if wanted is None else (lambda compact: compact[:3] in wanted),
        extras=[save_notes(notes, whole=wanted is None), save_drg_facts(wanted)],
        progress=progress,
    )


def release_date() -> date:
    """The day the package's release took effect, read from its data file's name."""
    names = [entry.name for entry in files("simple_icd_10_cm.data").iterdir()]
    matches = [match for name in names if (match := RELEASE_NAME.search(name))]
    if len(matches) != 1:
        raise ImportDataError([f"{PACKAGE}: cannot tell the release date of its tabular list"])
    return datetime.strptime(matches[0][1], "%B-%d-%Y").date()


def read_package(
    *, terms: "Callable[[list[str]], tuple[str, str]]", only: frozenset[str] | None = None
) -> tuple[list[SourceRow], list[SectionSpec], list[str]]:
    """The package's billable codes (of the categories `only`, if given) with their official terms
    (`terms` of the code and its ancestors, nearest first), the sections above them, and
    anything unexpected."""
    rows: list[SourceRow] = []
    problems: list[str] = []
    chapters: dict[str, SectionSpec] = {}
    blocks: dict[str, SectionSpec] = {}
    categories: dict[str, SectionSpec] = {}
    children: Counter[str] = Counter()  # sections so far under each parent slug: positions
    seen: set[str] = set()
    # get_all_codes lists a block of one category (B20) twice, once as block, once as category.
    for number, code in enumerate(cm.get_all_codes(True), start=1):
        if code in seen or not cm.is_category_or_subcategory(code) or not cm.is_leaf(code):
            continue
        if only is not None and code[:3] not in only:
            continue
        seen.add(code)
        where = f"{PACKAGE} item {number}"
        # Root first: chapter, block, then the category and subcategories above the code (for a
        # single-category block such as B10, the category repeats the block's name).
        chain = cm.get_ancestors(code)[::-1]
        if len(chain) < 2 or not cm.is_chapter(chain[0]) or not cm.is_block(chain[1]):
            problems.append(f"{where}: {code} is not under a chapter and a block")
            continue
        chapter, block = chain[0], chain[1]
        if chapter not in chapters:
            chapters[chapter] = _chapter(chapter)
        parent = chapters[chapter].slug
        if block not in blocks:
            blocks[block] = _block(block, parent=parent, position=children[parent])
            children[parent] += 1
        section = blocks[block]
        if len(chain) > 2 and chain[2] != block:
            category = chain[2]
            if category not in categories:
                categories[category] = _category(
                    category, parent=section.slug, position=children[section.slug], code=code
                )
                children[section.slug] += 1
            section = categories[category] = replace(
                categories[category],
                range_start=min(categories[category].range_start, code),
                range_end=max(categories[category].range_end, code),
            )
        description = cm.get_description(code)
        own, inherited = terms([code, *cm.get_ancestors(code)])
        rows.append(
            SourceRow(
                where=where,
                identifier=code,
                title=title_from(short="", descriptor=description),
                official_description=description,
                section=section.slug,
                index_terms=own,
                context_terms=inherited,
            )
        )
    return rows, [*chapters.values(), *blocks.values(), *categories.values()], problems


def _chapter(chapter: str) -> SectionSpec:
    title, (first, last) = _split_range(cm.get_description(chapter), fallback=("", ""))
    return SectionSpec(
        slug=f"icd10cm-ch{int(chapter):02d}",
        title=title,
        parent=None,
        range_start=first,
        range_end=last,
        position=int(chapter),
    )


def _block(block: str, *, parent: str, position: int) -> SectionSpec:
    first, _, last = block.partition("-")
    title, _ = _split_range(cm.get_description(block), fallback=(first, last or first))
    return SectionSpec(
        slug=f"icd10cm-{block.lower()}",
        title=title,
        parent=parent,
        range_start=first,
        range_end=last or first,
        position=position,
    )


def _category(category: str, *, parent: str, position: int, code: str) -> SectionSpec:
    """A category's section, ranging over its first code read; the range grows with the others."""
    return SectionSpec(
        slug=f"icd10cm-{category.lower()}",
        title=cm.get_description(category),
        parent=parent,
        range_start=code,
        range_end=code,
        position=position,
    )


def _split_range(description: str, *, fallback: tuple[str, str]) -> tuple[str, tuple[str, str]]:
    """`Diabetes mellitus (E08-E13)` -> ("Diabetes mellitus", ("E08", "E13"))."""
    match = RANGE_SUFFIX.search(description)
    if match is None:
        return description, fallback
    return description[: match.start()], (match[1], match[2])


# ---------------------------------------------------------------------------------------------
# The tabular list's instructions

Kind = TabularNote.Kind
Level = TabularNote.Level

# simple-icd-10-cm's getter for each kind: lists of lines, or text with a line per item.
LIST_GETTERS: dict[str, Callable[[str], list[str]]] = {
    Kind.INCLUDES: cm.get_includes,
    Kind.INCLUSION_TERM: cm.get_inclusion_term,
    Kind.EXCLUDES1: cm.get_excludes1,
    Kind.EXCLUDES2: cm.get_excludes2,
}
TEXT_GETTERS: dict[str, Callable[[str], str]] = {
    Kind.CODE_FIRST: cm.get_code_first,
    Kind.USE_ADDITIONAL: cm.get_use_additional_code,
    Kind.CODE_ALSO: cm.get_code_also,
    Kind.NOTE: cm.get_notes,
    Kind.SEVENTH_NOTE: cm.get_seven_chr_note,
}
# Searched as the code's own wording: what it includes, in the words of the tabular list.
TERM_KINDS = (Kind.INCLUSION_TERM, Kind.INCLUDES)


@dataclass(frozen=True)
class NoteSpec:
    node: str
    level: str
    first: str
    last: str
    kind: str
    position: int
    character: str
    text: str


def read_notes(categories: frozenset[str] | None = None) -> list[NoteSpec]:
    """Every instruction line of the tabular list, on the node that carries it (for the given
    categories: only theirs and those of the blocks and chapters above them). About 2 s."""
    notes: list[NoteSpec] = []
    seen: set[str] = set()
    for node in cm.get_all_codes(True):
        if node in seen:  # a block of one category (B20) is listed twice
            continue
        seen.add(node)
        level = _level(node)
        first, last = _span(node)
        if categories is not None and not any(first <= c <= last for c in categories):
            continue  # a chapter or block above none of them, or another category's node
        if (
            categories is not None
            and level not in (Level.CHAPTER, Level.BLOCK)
            and (node[:3] not in categories)
        ):
            continue
        lines: list[tuple[str, str, str]] = []
        for kind, get_list in LIST_GETTERS.items():
            lines += [(kind, "", line) for line in get_list(node)]
        for kind, get_text in TEXT_GETTERS.items():
            lines += [(kind, "", line) for line in get_text(node).split("\n")]
        for character, meaning in cm.get_seven_chr_def(node).items():
            lines.append((Kind.SEVENTH, character, meaning))
        positions: Counter[str] = Counter()
        for kind, character, line in lines:
            text = _clean(line)
            if not text:
                continue
            positions[kind] += 1
            notes.append(NoteSpec(node, level, first, last, kind, positions[kind], character, text))
    return notes


def _level(node: str) -> str:
    if cm.is_chapter(node):
        return Level.CHAPTER
    if cm.is_leaf(node) and cm.is_category_or_subcategory(node):
        return Level.CODE
    if cm.is_category(node):  # before blocks: B20 is both, and a category of its codes
        return Level.CATEGORY
    if cm.is_block(node):
        return Level.BLOCK
    return Level.SUBCATEGORY


def _span(node: str) -> tuple[str, str]:
    """The first and last category (three characters) a node covers."""
    if cm.is_chapter(node):
        blocks = [_span(child) for child in cm.get_children(node)]
        return min(first for first, _ in blocks), max(last for _, last in blocks)
    if cm.is_block(node) and not cm.is_category(node):
        first, _, last = node.partition("-")
        return first, last or first
    return node[:3], node[:3]


def _clean(line: str) -> str:
    """A line as a page shows it: the package joins a 7th character's notes with a slash and a
    tab, and the CDC's T36-T50 "code first" note begins with a stray comma."""
    return " ".join(line.replace("/\t", "; ").split()).lstrip(", ")


def official_terms(notes: list[NoteSpec]) -> "Callable[[list[str]], tuple[str, str]]":
    """For a code and its ancestors (nearest first, as simple-icd-10-cm lists them): its own
    official terms (the code's and its subcategories') and those it inherits (its category's
    and block's, and the titles above it), one a line."""
    by_node: dict[str, list[str]] = defaultdict(list)
    for note in notes:
        if note.kind in TERM_KINDS:
            by_node[note.node].append(note.text)

    def terms(chain: list[str]) -> tuple[str, str]:
        own: list[str] = []
        inherited: list[str] = []
        for node in chain:
            if cm.is_chapter(node):
                continue
            (inherited if len(node) <= 3 or "-" in node else own).extend(by_node.get(node, []))
            if node != chain[0] and cm.is_category_or_subcategory(node):
                # The title of the category or subcategory above names what the code is a
                # kind of ("Varicella [chickenpox]" above "Varicella without complication").
                inherited.append(cm.get_description(node))
        return "\n".join(dict.fromkeys(own)), "\n".join(dict.fromkeys(inherited))

    return terms


def tabular_source() -> dict[str, object]:
    released = release_date()
    return {
        "name": "ICD-10-CM tabular list",
        "publisher": "CDC National Center for Health Statistics",
        "release": f"{released:%B} {released.day}, {released.year}",
        "fiscal_year": released.year + (1 if released.month >= 10 else 0),
        "package": f"{PACKAGE} {version(PACKAGE)}",
    }


def save_notes(notes: list[NoteSpec], *, whole: bool) -> "Callable[..., str]":
    def save(*, code_set: CodeSet, dry_run: bool) -> str:
        if dry_run:
            return f"tabular notes: {len(notes):,} lines read (not compared in a dry run)"
        source = ensure_source("icd10cm-tabular", **tabular_source())
        known = KnownCodes.of(
            set_slug=code_set.slug,
            identifiers=Code.objects.filter(code_set=code_set).values_list("identifier", flat=True),
        )
        rows = [
            TabularNote(
                source_id=source.pk,
                node=note.node,
                level=note.level,
                first=note.first,
                last=note.last,
                kind=note.kind,
                position=note.position,
                character=note.character,
                text=note.text,
                html=link_codes(note.text, known=known),
            )
            for note in notes
        ]
        scope = TabularNote.objects.all()
        if not whole:
            scope = scope.filter(node__in={note.node for note in notes})
        result = sync_table(
            model=TabularNote,
            scope=scope,
            key=("node", "kind", "position"),
            fields=("source_id", "level", "first", "last", "character", "text", "html"),
            rows=rows,
            dry_run=False,
        )
        return f"tabular notes: {result}"

    return save


def save_drg_facts(categories: frozenset[str] | None) -> "Callable[..., str]":
    def save(*, code_set: CodeSet, dry_run: bool) -> str:
        grouper = drg.grouper()
        if dry_run:
            return f"MS-DRG {grouper.name} facts: not computed in a dry run"
        source = ensure_source(
            "ms-drg",
            name="MS-DRG grouper and Medicare Code Editor",
            publisher="Centers for Medicare & Medicaid Services",
            release=grouper.name,
            fiscal_year=grouper.fiscal_year,
            package=grouper.package,
        )
        codes = Code.objects.filter(code_set=code_set)
        if categories is not None:
            codes = codes.filter(identifier__regex=rf"^({'|'.join(sorted(categories))})")
        ids = dict(codes.values_list("identifier", "pk"))
        facts = drg.diagnosis_facts(identifiers=sorted(ids), version=grouper.version)
        rows = [
            DrgFacts(
                code_id=ids[identifier],
                source_id=source.pk,
                severity=fact.severity,
                principal_edits=fact.principal_edits,
                age_low=fact.ages[0] if fact.ages else None,
                age_high=fact.ages[1] if fact.ages else None,
                procedure_class="",
                drg=None,
                drg_title="",
            )
            for identifier, fact in facts.items()
        ]
        result = sync_table(
            model=DrgFacts,
            scope=DrgFacts.objects.filter(code__in=codes),
            key=("code_id",),
            fields=DRG_FIELDS,
            rows=rows,
            dry_run=False,
        )
        return f"MS-DRG {grouper.name} facts: {result}"

    return save
