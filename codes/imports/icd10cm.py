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
"""

import re
from collections import Counter
from dataclasses import replace
from datetime import date, datetime
from importlib.resources import files

import simple_icd_10_cm as cm

from codes.imports.core import (
    ImportDataError,
    ImportSummary,
    Progress,
    SectionSpec,
    SourceRow,
    check_rows,
    get_code_set,
    import_rows,
    title_from,
)

PACKAGE = "simple-icd-10-cm"
# The package's tabular list is named after its release: icd10c-tabular-April-1-2026.xml.
RELEASE_NAME = re.compile(r"tabular-([A-Za-z]+-\d{1,2}-\d{4})\.xml$")
# "Diabetes mellitus (E08-E13)": the published range ending a chapter or block description.
RANGE_SUFFIX = re.compile(r"\s*\(([0-9A-Z]{3})-([0-9A-Z]{3})\)$")


def import_icd10cm(*, dry_run: bool = False, progress: Progress | None = None) -> ImportSummary:
    """Check every billable code of the package, then load them. Raises ImportDataError."""
    code_set = get_code_set("icd10cm")
    rows, sections, problems = read_package()
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
        progress=progress,
    )


def release_date() -> date:
    """The day the package's release took effect, read from its data file's name."""
    names = [entry.name for entry in files("simple_icd_10_cm.data").iterdir()]
    matches = [match for name in names if (match := RELEASE_NAME.search(name))]
    if len(matches) != 1:
        raise ImportDataError([f"{PACKAGE}: cannot tell the release date of its tabular list"])
    return datetime.strptime(matches[0][1], "%B-%d-%Y").date()


def read_package() -> tuple[list[SourceRow], list[SectionSpec], list[str]]:
    """The package's billable codes, the sections above them, and anything unexpected."""
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
        rows.append(
            SourceRow(
                where=where,
                identifier=code,
                title=title_from(short="", descriptor=description),
                official_description=description,
                section=section.slug,
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
