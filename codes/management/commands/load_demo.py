from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DataError, IntegrityError

from codes.demo import DEMO_DIR, DemoDataError, load_demo


class Command(BaseCommand):
    help = "Load the demo code sets, codes and content sections from fixtures/demo/."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--update",
            action="store_true",
            help="Overwrite demo rows that differ from the files (admin edits are lost).",
        )
        parser.add_argument(
            "--directory",
            type=Path,
            default=DEMO_DIR,
            help="Folder of *.toml files to load (default: fixtures/demo).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = load_demo(directory=options["directory"], update=options["update"])
        except DemoDataError as error:
            for problem in error.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"{len(error.problems)} problem(s) in the demo data; nothing was loaded."
            ) from None
        except (IntegrityError, DataError) as error:
            # The load is one transaction, rolled back by now.
            raise CommandError(
                f"The database refused the demo data ({' '.join(str(error).split())}); "
                "nothing was loaded."
            ) from error
        self.stdout.write(f"Demo data loaded. {summary}")
