"""CPT® from the operator's licensed AMA data file (the repository ships no CPT text).

Two layouts, told apart by the first line:

- tab-delimited, like the AMA data files: `code<TAB>descriptor` on each line, no header;
- CSV with a header row naming a `code` column and a descriptor column (`descriptor`,
  `long_descriptor` or `description`), and optionally a short one (`short_descriptor` or
  `title`), which then becomes the title.

The file says nothing about sections. A new code goes into the narrowest existing CPT section whose
range covers it (editors keep that tree in the admin); existing codes stay where they are.
"""

import csv
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

from codes.imports.core import (
    ImportDataError,
    ImportSummary,
    Progress,
    SourceRow,
    check_rows,
    get_code_set,
    import_rows,
    normalize_header,
    read_csv_table,
    read_lines,
    title_from,
)
from codes.models import Section

CSV_COLUMNS = {"code": ("code",), "descriptor": ("descriptor", "long_descriptor", "description")}
CSV_OPTIONAL = {"short": ("short_descriptor", "title")}


def import_cpt(
    *, path: Path, effective: date, dry_run: bool = False, progress: Progress | None = None
) -> ImportSummary:
    """Check every line of the CPT file at `path`, a release in effect from `effective`, then
    load it. Raises ImportDataError."""
    code_set = get_code_set("cpt")
    rows, problems = read_cpt_file(path)
    checked = check_rows(code_set=code_set, rows=rows, problems=problems)
    if not rows and not problems:
        problems.append(f"{path.name}: no codes found")
    if problems:
        raise ImportDataError(problems)
    place = section_placer(code_set.sections.all())
    return import_rows(
        code_set=code_set,
        rows=[replace(row, section=place(row.identifier)) for row in checked],
        sections=[],
        dry_run=dry_run,
        change_reason=f"import_codes cpt {path.name}",
        effective=effective,
        keep_sections=True,
        progress=progress,
    )


def read_cpt_file(path: Path) -> tuple[list[SourceRow], list[str]]:
    """The rows of a CPT file in either layout, and the problems met reading it."""
    lines, problems = read_lines(path)
    first = next((text for _, text in lines if text.strip()), "")
    if is_csv_header(first):
        table = read_csv_table(lines, columns=CSV_COLUMNS, optional=CSV_OPTIONAL, problems=problems)
        rows = [
            SourceRow(
                where=f"line {number}",
                identifier=values["code"],
                title=title_from(short=values["short"], descriptor=values["descriptor"]),
                official_description=values["descriptor"],
            )
            for number, values in table
        ]
    else:
        rows = read_tab_delimited(lines, problems=problems)
    return rows, problems


def is_csv_header(line: str) -> bool:
    """A comma-separated first line with a `code` column; anything else is read as tab-delimited."""
    if "\t" in line:
        return False
    fields = next(csv.reader([line]), [])
    return "code" in (normalize_header(name) for name in fields)


def read_tab_delimited(lines: Sequence[tuple[int, str]], *, problems: list[str]) -> list[SourceRow]:
    rows: list[SourceRow] = []
    for number, text in lines:
        if not text.strip():
            continue
        fields = text.rstrip("\r\n").split("\t")
        while len(fields) > 2 and not fields[-1].strip():
            fields.pop()  # trailing tabs
        if len(fields) != 2:
            problems.append(
                f"line {number}: expected a code and a descriptor separated by a tab, "
                f"found {len(fields)} field{'s' if len(fields) > 1 else ''}"
            )
            continue
        code, descriptor = fields
        if number == lines[0][0] and normalize_header(code) == "code":
            continue  # a header line, which the AMA files do not have but exports might
        rows.append(
            SourceRow(
                where=f"line {number}",
                identifier=code,
                title=title_from(short="", descriptor=descriptor),
                official_description=descriptor,
            )
        )
    return rows


def section_placer(sections: Iterable[Section]) -> Callable[[str], str | None]:
    """A function giving the slug of the narrowest section whose range covers a CPT code.

    Ranges are compared as strings of one kind: 99213 is in 99202–99215, 0439T only in ranges
    of Category III codes (…T), never in a Category I range that happens to sort around it.
    """
    sections = list(sections)
    parents = {section.pk: section.parent_id for section in sections}

    def depth(section: Section) -> int:
        level, parent = 0, section.parent_id
        while parent is not None and level < len(parents):
            level, parent = level + 1, parents.get(parent)
        return level

    def kind(code: str) -> tuple[int, str]:
        return len(code), code[-1] if code[-1:].isalpha() else ""

    deepest_first = sorted(sections, key=depth, reverse=True)

    def place(identifier: str) -> str | None:
        for section in deepest_first:
            if (
                kind(section.range_start) == kind(identifier) == kind(section.range_end)
                and section.range_start <= identifier <= section.range_end
            ):
                return section.slug
        return None

    return place
