"""HCPCS Level II from CMS's table: CSV with the columns `code,long_description,short_description`.

The long description is the official one; CMS's short description (at most 28 characters) is the
title, as for CPT. Sections are the code set's letter groups (A…V), one per first letter present,
each ranging from its first to its last code in the file.
"""

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

from codes.imports.core import (
    CheckedRow,
    ImportDataError,
    ImportSummary,
    Progress,
    SectionSpec,
    SourceRow,
    check_rows,
    get_code_set,
    import_rows,
    read_csv_table,
    read_lines,
    title_from,
)

COLUMNS = {
    "code": ("code",),
    "descriptor": ("long_description",),
    "short": ("short_description",),
}

# CMS's names for the letter groups; A, E, G and J as in fixtures/demo/00-code-sets.toml.
SECTION_TITLES = {
    "A": "Transportation Services, Medical and Surgical Supplies",
    "B": "Enteral and Parenteral Therapy",
    "C": "Outpatient PPS",
    "D": "Dental Procedures",
    "E": "Durable Medical Equipment",
    "G": "Procedures and Professional Services (Temporary)",
    "H": "Alcohol and Drug Abuse Treatment Services",
    "J": "Drugs Administered Other Than Oral Method",
    "K": "Durable Medical Equipment (Temporary)",
    "L": "Orthotic and Prosthetic Procedures, Devices",
    "M": "Medical Services",
    "P": "Pathology and Laboratory Services",
    "Q": "Miscellaneous Services (Temporary)",
    "R": "Diagnostic Radiology Services",
    "S": "Temporary National Codes (Non-Medicare)",
    "T": "National Codes Established for State Medicaid Agencies",
    "U": "Coronavirus Diagnostic Panel",
    "V": "Vision, Hearing and Speech-Language Pathology Services",
}


def import_hcpcs(
    *, path: Path, effective: date, dry_run: bool = False, progress: Progress | None = None
) -> ImportSummary:
    """Check every row of the CMS file at `path`, a release in effect from `effective`, then
    load it. Raises ImportDataError."""
    code_set = get_code_set("hcpcs")
    lines, problems = read_lines(path)
    table = read_csv_table(lines, columns=COLUMNS, problems=problems)
    rows = [
        SourceRow(
            where=f"line {number}",
            identifier=values["code"],
            # CMS's short descriptors are 28-character abbreviations ("Ppps, initial visit");
            # the long description reads better as a title, cut to fit if needed.
            title=title_from(short="", descriptor=values["descriptor"]),
            official_description=values["descriptor"],
        )
        for number, values in table
    ]
    checked = check_rows(code_set=code_set, rows=rows, problems=problems)
    if not rows and not problems:
        problems.append(f"{path.name}: no codes found")
    if problems:
        raise ImportDataError(problems)
    checked = [replace(row, section=section_slug(row.identifier)) for row in checked]
    return import_rows(
        code_set=code_set,
        rows=checked,
        sections=letter_sections(checked),
        dry_run=dry_run,
        change_reason=f"import_codes hcpcs {path.name}",
        effective=effective,
        progress=progress,
    )


def section_slug(identifier: str) -> str:
    return f"hcpcs-{identifier[0].lower()}"


def letter_sections(rows: Sequence[CheckedRow]) -> list[SectionSpec]:
    ranges: dict[str, tuple[str, str]] = {}
    for row in rows:
        letter = row.identifier[0]
        first, last = ranges.get(letter, (row.identifier, row.identifier))
        ranges[letter] = (min(first, row.identifier), max(last, row.identifier))
    return [
        SectionSpec(
            slug=section_slug(letter),
            title=SECTION_TITLES.get(letter, f"{letter} Codes"),
            parent=None,
            range_start=first,
            range_end=last,
            position=ord(letter) - ord("A"),
        )
        for letter, (first, last) in sorted(ranges.items())
    ]
