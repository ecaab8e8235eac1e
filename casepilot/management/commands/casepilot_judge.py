"""Run CasePilot's judged set: the share of answers citing their expected sources, the share
saying what they must, the share doing both, the default engine's answer times (p50, p95) and the
memory the answers added to this process."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from casepilot.judge import JUDGED, judge, rss_kib
from codes.search import search


class Command(BaseCommand):
    help = "Answer the judged CasePilot questions with the default engine and score them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, default=JUDGED, help="The judged set (TOML).")
        parser.add_argument("--min-score", type=float, default=0.0,
                            help="Exit non-zero below this share of answers both citing and saying "
                                 "what they must (0-1).")  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        # A first pass warms the process as a worker's first questions would (the embedding
        # model, the vectors, the plans); the second is timed. The memory is what both added.
        before = rss_kib()
        list(search("laparoscopic removal of the gallbladder").queryset or [])
        searched = rss_kib()  # what a worker that has served a search already holds
        judge(options["file"])
        report = judge(options["file"])
        after = rss_kib()
        added, beyond_search = max(0, after - before), max(0, after - searched)
        for result in report.results:
            mark = "ok  " if result.passed else "MISS"
            missing = f"  missing {', '.join(result.missing)}" if result.missing else ""
            unsaid = f"  not saying {', '.join(result.unsaid)}" if result.unsaid else ""
            self.stdout.write(
                f"{mark} {result.seconds * 1000:7.1f} ms  {result.question}{missing}{unsaid}"
            )
        total = len(report.results)
        cited = sum(r.cites for r in report.results)
        said = sum(r.says for r in report.results)
        passed = sum(r.passed for r in report.results)
        self.stdout.write(
            f"\nExpected sources cited: {cited}/{total} ({report.sources_score:.0%})\n"
            f"Expected content said: {said}/{total} ({report.content_score:.0%})\n"
            f"Both: {passed}/{total} ({report.score:.0%})\n"
            f"Answer time, default engine: p50 {report.percentile(0.5) * 1000:.1f} ms, "
            f"p95 {report.percentile(0.95) * 1000:.1f} ms\n"
            f"Memory added by answering (RSS, this process): {added / 1024:.1f} MiB, "
            f"{beyond_search / 1024:.1f} MiB of it beyond what search already loads "
            "(the embedding model and the code vectors, which the two share)"
        )
        if report.score < options["min_score"]:
            raise SystemExit(1)
