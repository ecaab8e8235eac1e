from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from careercenter.demo import DEMO_FILE, DemoJobsError, load_demo_jobs


class Command(BaseCommand):
    help = "Load the CareerCenter demo employers and jobs from fixtures/careers/jobs.toml."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--update",
            action="store_true",
            help="Make demo jobs that differ from the file match it again, dates moved to today.",
        )
        parser.add_argument("--file", type=Path, default=DEMO_FILE, help="The TOML file to load.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = load_demo_jobs(path=options["file"], update=options["update"])
        except DemoJobsError as error:
            for problem in error.problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(error.problems)} problem(s); nothing was loaded.") from None
        if options["verbosity"]:
            self.stdout.write(f"Demo jobs loaded. {summary}")
