"""The judged set (bench/casepilot_judged.toml): questions coders ask, each with the sources a
good answer must cite and what it must say. `judge()` answers each with the default engine, as a
reader who may read everything (the judged set measures retrieval and composition, not the meter),
and reports the share of answers citing every expected source, the share saying everything they
must, the share doing both (a question passes only so), the answer times and the memory it took.

Answers are composed exactly as on the site (retrieval, the default engine, the finishing step)
but neither charged nor stored.
"""

import datetime
import re
import statistics
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import RequestFactory

from casepilot.engines import Draft, RetrievalEngine
from casepilot.finish import SourceLink, finish
from casepilot.forms import code_context
from casepilot.retrieval import Passage, retrieve
from metering.viewers import viewer_for

JUDGED = Path(settings.BASE_DIR) / "bench" / "casepilot_judged.toml"


@dataclass(frozen=True)
class Reader:
    """A signed-in reader on the staff plan: every section readable, nothing metered."""

    pk: int = 0
    is_authenticated: bool = True
    is_staff: bool = True
    meter_key: str = "casepilot-judge"
    plan_id: int | None = None
    plan_ends_on: datetime.date | None = None


@dataclass(frozen=True)
class Judged:
    question: str
    expect: list[str]
    cited: list[str]
    missing: list[str]
    seconds: float
    must_say: list[str] = field(default_factory=list)
    unsaid: list[str] = field(default_factory=list)  # of must_say, what the answer does not say

    @property
    def cites(self) -> bool:
        return not self.missing

    @property
    def says(self) -> bool:
        return not self.unsaid

    @property
    def passed(self) -> bool:
        return self.cites and self.says


@dataclass
class Report:
    results: list[Judged] = field(default_factory=list)

    def share(self, passed: Callable[[Judged], bool]) -> float:
        return sum(passed(r) for r in self.results) / len(self.results) if self.results else 0.0

    @property
    def sources_score(self) -> float:
        """The share of answers citing every expected source."""
        return self.share(lambda r: r.cites)

    @property
    def content_score(self) -> float:
        """The share of answers saying everything they must."""
        return self.share(lambda r: r.says)

    @property
    def score(self) -> float:
        """The share of answers doing both."""
        return self.share(lambda r: r.passed)

    def percentile(self, share: float) -> float:
        times = sorted(r.seconds for r in self.results)
        if not times:
            return 0.0
        if len(times) == 1:
            return times[0]
        return statistics.quantiles(times, n=100, method="inclusive")[round(share * 100) - 1]


def load(path: Path = JUDGED) -> list[dict[str, Any]]:
    with path.open("rb") as handle:
        return list(tomllib.load(handle)["questions"])


def parts_of(passage: Passage) -> set[str]:
    """What an expectation may name of a cited passage: its code, and its code with its part."""
    code = f"{passage.code.code_set.slug}/{passage.code.identifier}"
    part = passage.section_kind or passage.kind
    return {code, f"{code}:{part}"}


def plain(markdown: str) -> str:
    """An answer's text as a reader sees it: tags, link targets and emphasis out, lower case."""
    text = re.sub(r"<[^>]+>", " ", markdown)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"[\\*_`\[\]]", "", text)
    return " ".join(text.split()).lower()


def unsaid(markdown: str, must_say: list[str]) -> list[str]:
    """What of `must_say` an answer does not say (case-insensitive)."""
    text = plain(markdown)
    return [phrase for phrase in must_say if " ".join(phrase.lower().split()) not in text]


def rss_kib() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def answer_once(question: str, code: str = "") -> tuple[Draft, str]:
    """One answer as the site composes it for a reader who may read everything."""
    request = RequestFactory().post("/casepilot/")
    request.user = Reader()  # type: ignore[assignment]
    request.session = {}  # type: ignore[assignment]
    context = code_context(code) if code else None
    retrieved = retrieve(viewer=viewer_for(request), question=question, context=context)
    draft = next(
        item
        for item in RetrievalEngine().answer_stream(retrieved, stream=False)
        if isinstance(item, Draft)
    )
    links = [SourceLink(n, p.url) for n, p in enumerate(draft.sources, start=1)]
    return draft, finish(draft.markdown, sources=links, from_model=False).markdown


def judge(path: Path = JUDGED) -> Report:
    report = Report()
    for item in load(path):
        started = time.perf_counter()
        draft, markdown = answer_once(item["question"], item.get("code", ""))
        seconds = time.perf_counter() - started
        cited: set[str] = set()
        for passage in draft.sources:
            cited |= parts_of(passage)
        expect = list(item["expect"])
        must_say = list(item.get("must_say", []))
        report.results.append(
            Judged(
                question=item["question"],
                expect=expect,
                cited=sorted(cited),
                missing=[e for e in expect if e not in cited],
                seconds=seconds,
                must_say=must_say,
                unsaid=unsaid(markdown, must_say),
            )
        )
    return report
