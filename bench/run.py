"""`make bench`: CodeAhead under gunicorn with production settings, loaded by wrk.

1. Installs wrk (Debian's package) when it is missing.
2. Prepares the database `codeahead_bench` (bench/dataset.py): migrations, demo data, the
   public-domain code sets and generated volume; reused by the next run.
3. Times the real search query against a naive `icontains` scan, in this process, and runs the
   judged query set (bench/judged_queries.toml) through it for recall@5 and MRR (bench/judged.py).
4. Starts gunicorn with the project's settings (codeahead/gunicorn.conf.py, DEBUG off, collected
   static files) on a free port of 127.0.0.1, as if behind one TLS-terminating proxy (every
   request carries X-Forwarded-Proto and X-Forwarded-For), loads each scenario with wrk after a
   short warm-up, and always stops the server again.
   The workers' resident memory is read before and after the keyword search scenario: what
   semantic search (the query embedder, the memory-mapped vectors) adds to each.
5. Prints a table and writes bench/results/latest.json.

Every request goes to 127.0.0.1 only, and every wrk run is bounded in time.
"""

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# bench/dataset.py: this script's folder is on sys.path; ops.*: the project's is now.
import dataset  # noqa: E402
import judged  # noqa: E402

from ops.harness import (  # noqa: E402
    AppServer,
    PostgresCluster,
    ProcessMemory,
    Reply,
    account_meter_used,
    app_env,
    close_db,
    ensure_command,
    fetch,
    manage,
    password_hash,
    setup_django,
    unwind_on,
    verified_account,
)
from ops.load import percentile  # noqa: E402

BENCH = ROOT / "bench"
WRK_SCRIPTS = BENCH / "wrk"
RESULTS = BENCH / "results"

# The signed-in viewer of the revisit scenario: a verified free account, made on first use.
REVISIT_EMAIL = "bench-revisit@bench.codeahead.invalid"
REVISIT_PATH = "/codes/cpt/0439T/"
FLOOR_PATH = "/robots.txt"
STATIC_NAME = "css/site.css"
KEYWORD_QUERIES = [
    "diabetes type 2",
    "fracture of femur",
    "chronic kidney disease",
    "htn",
    "knee replacement",
    "astma",
    "wheelchair",
    "echocardiography",
]
EXACT_CODE_PATH = "/search/?q=e119"
BROWSE_SET_PATH = "/codes/icd10cm/"
# The chapter holding this code is the section page of the browse scenario.
BROWSE_SECTION_OF = ("icd10cm", "E11.9")
GUEST_CODES = 200  # code pages the guest scenario spreads over
# The job list with three filters, four ways (bench/dataset.py generates 50,000 jobs).
CAREERS_PATHS = [
    "/careers/?work_mode=remote&credential=CPC&min_pay=50000",
    "/careers/?work_mode=hybrid&setting=outpatient&employment_type=full_time",
    "/careers/?state=TX&credential=CRC&sort=pay",
    "/careers/?state=OH&setting=auditing&min_pay=40000",
]

# The in-process search comparison: realistic queries, each timed REPETITIONS times.
COMPARE_QUERIES = [
    "diabetes type 2",
    "type 2 diabetes with hyperglycemia",
    "fracture of femur",
    "hip fracture",
    "chronic kidney disease",
    "hypertension",
    "heart failure",
    "asthma",
    "pneumonia",
    "breast cancer",
    "migraine",
    "major depressive disorder",
    "urinary tract infection",
    "sepsis",
    "knee replacement",
    "colonoscopy",
    "ambulance",
    "wheelchair",
    "insulin",
    "glucose monitor",
    "bypass coronary artery",
    "echocardiography",
]
REPETITIONS = 5

TARGETS = [
    # (key in the results, wanted value, at most (else at least), what it means)
    ("guest_first_view_ratio", 0.25, False, "guest first view >= 0.25 x floor"),
    ("revisit_ratio", 0.35, False, "revisit >= 0.35 x floor"),
    ("search_speedup_p50", 30.0, False, "search >= 30 x faster than the naive scan (p50)"),
    ("search_p95_ms", 60.0, True, "keyword search p95 <= 60 ms (in process)"),
    ("judged_recall_at_5", 0.95, False, "judged queries: recall@5 >= 0.95"),
    ("search_worker_extra_rss_mb", 100.0, True, "search adds <= 100 MB RSS per worker"),
    # Two queries over 50,000 jobs and a page of twenty: no dearer than a keyword search.
    ("careers_ratio", 0.04, False, "job list, 3 filters >= 0.04 x floor"),
]


def say(message: str) -> None:
    print(f"bench: {message}", flush=True)


# wrk


def ensure_wrk() -> str:
    """Path of wrk, installing Debian's package when it is missing (as root)."""
    found = ensure_command("wrk", "wrk", say)
    if found is None:
        raise SystemExit("bench: wrk is missing: install it with 'apt-get install wrk'.")
    return found


@dataclass
class Target:
    target: str
    key: str
    wanted: float
    value: float | None
    met: bool | None


@dataclass
class Scenario:
    name: str
    label: str
    script: str  # a file in bench/wrk
    paths: list[str]
    cookie: str = ""
    status: int = 200  # what the first path answers; checked once before the load


@dataclass
class Measured:
    name: str
    label: str
    path: str
    paths: int
    requests: int
    rps: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    error_detail: dict[str, int]
    ratio_to_floor: float = 0.0
    cpu_busy_before: float = 0.0  # share of the CPUs other processes used just before
    notes: list[str] = field(default_factory=list)


@dataclass
class LoadConfig:
    threads: int
    connections: int
    duration: int  # seconds per scenario
    warmup: int  # seconds before each, not counted


def run_wrk(
    wrk: str, url: str, config: LoadConfig, script: Path, args: list[str], seconds: int
) -> dict[str, Any]:
    command = [
        wrk,
        f"-t{config.threads}",
        f"-c{config.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
        "--",
        *args,
    ]
    done = subprocess.run(  # noqa: S603 - wrk with our own arguments
        command, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("BENCH_RESULT "))
            return result
    raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")


def wrk_args(scenario: Scenario, paths_file: Path) -> list[str]:
    if scenario.script == "guest.lua":
        # A fresh stretch of network fingerprints each time: the network allowance is daily.
        return [str(paths_file), str(secrets.randbelow(65536 * 48))]
    return [str(paths_file), scenario.cookie]


# Each worker builds a code's viewer-independent parts once (codes/pages.py); a scenario over
# many codes gets the warm-up that lets every worker see each code a few times, so the run
# measures a new viewer on a known page, not the first build of its parts.
MANY_PATHS = 50
MANY_PATHS_WARMUP = 10


def warmup_seconds(config: LoadConfig, scenario: Scenario) -> int:
    if config.warmup and len(scenario.paths) > MANY_PATHS:
        return max(config.warmup, MANY_PATHS_WARMUP)
    return config.warmup


def measure(
    wrk: str, base_url: str, config: LoadConfig, scenario: Scenario, workdir: Path
) -> Measured:
    paths_file = workdir / f"{scenario.name}.paths"
    paths_file.write_text("\n".join(scenario.paths) + "\n")
    script = WRK_SCRIPTS / scenario.script
    if warmup := warmup_seconds(config, scenario):
        run_wrk(wrk, base_url, config, script, wrk_args(scenario, paths_file), warmup)
    raw = run_wrk(wrk, base_url, config, script, wrk_args(scenario, paths_file), config.duration)
    seconds = raw["duration_us"] / 1e6
    errors = raw["errors"]
    return Measured(
        name=scenario.name,
        label=scenario.label,
        path=scenario.paths[0]
        + (f" (+{len(scenario.paths) - 1} more)" if len(scenario.paths) > 1 else ""),
        paths=len(scenario.paths),
        requests=raw["requests"],
        rps=round(raw["requests"] / seconds, 1) if seconds else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p95_ms=raw["p95_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        errors=sum(errors.values()),
        error_detail=errors,
    )


def cpu_busy(seconds: float) -> float:
    """Share of all CPUs busy over `seconds` (from /proc/stat)."""

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        return fields[3] + fields[4], sum(fields)  # idle + iowait, all

    idle, total = sample()
    time.sleep(seconds)
    idle2, total2 = sample()
    return 1 - (idle2 - idle) / max(1, total2 - total)


class Quiet:
    """Waits until other processes leave the CPUs mostly idle before a scenario: developers
    share this machine, and a test running beside the benchmark halves its figures. The waiting
    is bounded (`budget` seconds for the whole run); what was seen is reported."""

    BUSY = 0.15

    def __init__(self, budget: float) -> None:
        self.left = budget

    def wait(self) -> float:
        busy = cpu_busy(0.5)
        if busy > self.BUSY and self.left > 0:
            say(f"CPUs {busy:.0%} busy with other work: waiting (at most {self.left:.0f} s)")
        while busy > self.BUSY and self.left > 0:
            started = time.monotonic()
            busy = cpu_busy(2)
            self.left -= time.monotonic() - started
        return busy


# The server


def fetch_proxied(server: AppServer, path: str, cookie: str = "") -> Reply:
    """GET `path` as the TLS proxy in front of the site would pass it on (bench/wrk/common.lua
    sends the same X-Forwarded-Proto and X-Forwarded-For)."""
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "2001:db8::1"}
    if cookie:
        headers["Cookie"] = cookie
    return fetch(server.base + path, headers)


# Django in this process (the search comparison, the revisit session, the scenario URLs)


@dataclass
class Urls:
    guest_codes: list[str]
    static: str
    section: str
    revisit_cookie: str


def prepare_urls() -> Urls:
    """The paths the scenarios request, and a signed-in session for the revisit."""
    from django.conf import settings
    from django.db.models import TextField
    from django.db.models.functions import MD5, Cast
    from django.templatetags.static import static
    from django.test import Client

    from codes.models import Code, Section

    sampled = (
        Code.objects.select_related("code_set")
        .only("identifier", "code_set__slug")
        .order_by(MD5(Cast("id", TextField())))[: GUEST_CODES - 40]
    )
    demo = Code.objects.filter(is_sample=True).select_related("code_set").order_by("identifier")
    guest_codes = [code.get_absolute_url() for code in [*demo[:40], *sampled]]

    slug, identifier = BROWSE_SECTION_OF
    code = Code.objects.select_related("code_set", "section").get(
        code_set__slug=slug, identifier=identifier
    )
    assert code.section is not None
    chapter = Section.objects.ancestors_of(code.section, code.code_set)[0]

    client = Client()
    client.force_login(
        verified_account(REVISIT_EMAIL, plan="free"),
        backend="django.contrib.auth.backends.ModelBackend",
    )
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return Urls(
        guest_codes=guest_codes,
        static=static(STATIC_NAME),
        section=chapter.get_absolute_url(),
        revisit_cookie=cookie,
    )


def careers_queries() -> dict[str, dict[str, int]]:
    """For each job-list path: the queries one request makes (in this process, with the
    server's settings, as the proxy would pass it on) and how many jobs it finds."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    found: dict[str, dict[str, int]] = {}
    for path in CAREERS_PATHS:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(
                path,
                HTTP_HOST="localhost",
                headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "2001:db8::1"},
            )
        if response.status_code != 200:
            raise RuntimeError(f"{path} answers {response.status_code}")
        count = re.search(r"([\d,]+) open jobs?", response.content.decode())
        jobs = int(count.group(1).replace(",", "")) if count else -1
        if jobs < 1:
            # Timing an empty list would measure nothing: the generated jobs are out of date.
            raise RuntimeError(f"{path} finds no job (bench/dataset.py makes the jobs)")
        found[path] = {"queries": len(captured), "jobs": jobs}
    return found


def meter_counts() -> dict[str, int]:
    from django.db.models import Count

    from metering.models import Meter, MeterView

    counts = dict(Meter.objects.values_list("scope").annotate(n=Count("id")).order_by())
    counts["views"] = MeterView.objects.count()
    return counts


# The search comparison


def compare_search() -> dict[str, Any]:
    """Time the page's search (count + first page, as the search page runs it) against a naive
    scan (every word in the title, index terms or context terms, `icontains`) over the same
    rows."""
    from functools import reduce
    from operator import and_

    from django.core.paginator import Paginator
    from django.db.models import Q

    from codes.models import Code
    from codes.search import hits, search
    from codes.views import RESULTS_PER_PAGE

    def real(query: str) -> int:
        result = search(query)
        if result.queryset is None:
            return 0
        page = Paginator(result.queryset, RESULTS_PER_PAGE).get_page(1)
        hits(list(page.object_list))
        return page.paginator.count

    def naive(query: str) -> int:
        # Over the same public text the real search reads: titles and official terms.
        words = query.split()
        condition = reduce(
            and_,
            (
                Q(title__icontains=w) | Q(index_terms__icontains=w) | Q(context_terms__icontains=w)
                for w in words
            ),
        )
        codes = (
            Code.objects.filter(condition)
            .select_related("code_set")
            .only("identifier", "title", "status", "code_set__slug", "code_set__name")
            .order_by("identifier")
        )
        page = Paginator(codes, RESULTS_PER_PAGE).get_page(1)
        list(page.object_list)
        return page.paginator.count

    def timed(function: Callable[[str], int], query: str) -> tuple[float, int]:
        started = time.perf_counter()
        found = function(query)
        return (time.perf_counter() - started) * 1000, found

    real_ms: list[float] = []
    naive_ms: list[float] = []
    per_query: dict[str, dict[str, float]] = {}
    for query in COMPARE_QUERIES:
        real(query), naive(query)  # warm the caches: both read hot pages
        mine: list[float] = []
        theirs: list[float] = []
        for _ in range(REPETITIONS):
            ms, found = timed(real, query)
            mine.append(ms)
            ms, naive_found = timed(naive, query)
            theirs.append(ms)
        real_ms += mine
        naive_ms += theirs
        per_query[query] = {
            "real_ms": round(statistics.median(mine), 2),
            "naive_ms": round(statistics.median(theirs), 2),
            "real_results": found,
            "naive_results": naive_found,
        }
    search_p50 = percentile(real_ms, 50)
    naive_p50 = percentile(naive_ms, 50)
    return {
        "search_p50_ms": round(search_p50, 2),
        "search_p95_ms": round(percentile(real_ms, 95), 2),
        "naive_search_p50_ms": round(naive_p50, 2),
        "naive_search_p95_ms": round(percentile(naive_ms, 95), 2),
        "search_speedup_p50": round(naive_p50 / search_p50, 1),
        "search_queries": len(COMPARE_QUERIES),
        "search_repetitions": REPETITIONS,
        "search_per_query": per_query,
    }


# Reporting


def git(*args: str) -> str:
    done = subprocess.run(  # noqa: S603 - read-only git queries
        ["git", *args],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip()


def table(results: list[Measured]) -> str:
    lines = [
        f"{'scenario':<22}{'path':<44}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}{'x floor':>9}"
    ]
    lines.append("-" * len(lines[0]))
    for row in results:
        path = row.path if len(row.path) <= 42 else row.path[:41] + "…"
        lines.append(
            f"{row.label:<22}{path:<44}{row.rps:>9.1f}{row.p50_ms:>9.1f}{row.p95_ms:>9.1f}"
            f"{row.p99_ms:>9.1f}{row.errors:>8}{row.ratio_to_floor:>9.2f}"
        )
        lines.extend(f"{'':<22}{note}" for note in row.notes)
    return "\n".join(lines)


# The run


@dataclass
class Run:
    """One benchmark run: its settings, and what it gathers for the table and the report."""

    options: argparse.Namespace
    started: float
    wrk: str
    workdir: Path  # wrk's path files and the server's log; removed at the end
    config: LoadConfig
    phases: dict[str, float] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)  # row counts of the benchmark database
    missing: list[str] = field(default_factory=list)  # code sets that could not be imported
    search: dict[str, Any] = field(default_factory=dict)  # the in-process search comparison
    judged: dict[str, Any] = field(default_factory=dict)  # recall@5 and MRR of the judged set
    memory: dict[str, Any] = field(default_factory=dict)  # workers' memory around the search
    careers: dict[str, dict[str, int]] = field(default_factory=dict)  # job list: queries, jobs
    results: list[Measured] = field(default_factory=list)
    errors_logged: int = 0  # tracebacks in the server's log
    figures: dict[str, Any] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)

    @property
    def server_log(self) -> Path:
        return self.workdir / "gunicorn.log"

    def phase(self, key: str, since: float) -> None:
        self.phases[key] = time.monotonic() - since


def print_summary(run: Run) -> None:
    print()
    print(table(run.results))
    if run.search:
        s = run.search
        print(
            f"\nsearch query, in process ({s['search_queries']} queries x "
            f"{s['search_repetitions']}; count + first page):\n"
            f"  real search   p50 {s['search_p50_ms']:8.2f} ms   p95 {s['search_p95_ms']:8.2f} ms\n"
            f"  naive scan    p50 {s['naive_search_p50_ms']:8.2f} ms   "
            f"p95 {s['naive_search_p95_ms']:8.2f} ms\n"
            f"  speed-up (p50) {s['search_speedup_p50']:.1f} x"
        )
    if run.judged:
        print("\n" + judged.summary(run.judged))
    if run.memory:
        m = run.memory
        print(
            f"\nworker memory around the keyword search scenario ({m['workers']} workers, mean):\n"
            f"  RSS {m['rss_before_mb']:.1f} -> {m['rss_after_mb']:.1f} MB"
            f" (+{m['extra_rss_mb']:.1f}), PSS {m['pss_before_mb']:.1f} -> "
            f"{m['pss_after_mb']:.1f} MB (+{m['extra_pss_mb']:.1f})"
        )
    if run.careers:
        print("\njob list, in process (queries per request; jobs found of the open ones):")
        for path, entry in run.careers.items():
            print(f"  {entry['queries']} queries  {entry['jobs']:>6,} jobs  {path}")
    print("\ntargets (reported, not asserted):")
    for target in run.targets:
        verdict = {True: "met", False: "NOT met", None: "not measured"}[target.met]
        print(f"  {target.target:<50} {target.value!s:>8}  {verdict}")
    if run.missing:
        print(f"\nWARNING: code sets missing from the benchmark database: {', '.join(run.missing)}")
    if run.errors_logged:
        print(f"\nWARNING: {run.errors_logged} tracebacks in the gunicorn log {run.server_log}")
    config = run.config
    print(
        f"\n{os.cpu_count()} CPUs, gunicorn {run.options.workers} sync workers, wrk "
        f"-t{config.threads} -c{config.connections} {config.duration} s per scenario; "
        f"{run.phases['total_s']:.0f} s in all"
    )


def report(run: Run) -> dict[str, Any]:
    """The results file: bench/results/latest.json unless --output says otherwise."""
    return {
        **run.figures,
        "targets": [asdict(target) for target in run.targets],
        "scenarios": {row.name: asdict(row) for row in run.results},
        "search_per_query": run.search.get("search_per_query", {}),
        "judged": run.judged,
        "worker_memory": run.memory,
        "careers_paths": run.careers,
        "dataset": run.data,
        "missing_code_sets": run.missing,
        "server_tracebacks": run.errors_logged,
        "gunicorn": {"workers": run.options.workers, "worker_class": "sync"},
        "wrk": asdict(run.config),
        "phases": {key: round(value, 1) for key, value in run.phases.items()},
        "machine": {
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="rebuild codeahead_bench first")
    # 2 x cores, the default of codeahead/gunicorn.conf.py: on two cores 2, 3 and 4 sync workers
    # serve code pages equally fast (CPU-bound), 6 is slower, and 4 gives the best floor.
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn sync workers"
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--duration", type=int, default=12, help="seconds per scenario")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per scenario")
    parser.add_argument("--only", nargs="*", help="run only these scenarios (floor always runs)")
    parser.add_argument("--no-search-compare", action="store_true")
    parser.add_argument(
        "--quiet-wait", type=int, default=120, help="seconds in all to wait for an idle machine"
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    return parser.parse_args()


def prepare_database(run: Run, cluster: PostgresCluster, env: dict[str, str]) -> None:
    """The benchmark database (bench/dataset.py: built on first use, then reused), Django in
    this process, and the static files the server serves."""
    dsn = cluster.conninfo(dbname=None)
    say(f"preparing database {dataset.NAME}")
    dataset.create_database(dsn, fresh=run.options.fresh, say=say)
    manage(env, "migrate", "--noinput", "--verbosity=0")
    manage(env, "createcachetable")
    manage(env, "load_demo")
    run.missing = dataset.import_missing_sets(dsn, env, say)
    setup_django(env)
    hashed = password_hash(secrets.token_urlsafe(16))
    dataset.make_volume(dsn, password_hash=hashed, say=say)
    dataset.make_jobs(dsn, password_hash=hashed, say=say)
    data = run.data = dataset.describe(dsn)
    say(
        f"{data['users']:,} users, {data['meter_rows']:,} meter rows "
        f"({data['meters']:,} meters, {data['meter_views']:,} views), codes {data['codes']}, "
        f"{data['jobs']:,} jobs ({data['open_jobs']:,} open)"
    )
    manage(env, "collectstatic", "--noinput", "--verbosity=0")
    run.phase("prepare_s", run.started)


def time_search(run: Run) -> None:
    if run.options.no_search_compare:
        return
    # Timed like the scenarios, on a machine other work leaves mostly idle where possible.
    busy = Quiet(run.options.quiet_wait / 2).wait()
    if busy > Quiet.BUSY:
        say(f"timing search with the CPUs {busy:.0%} busy with other work")
    say(f"timing search: {len(COMPARE_QUERIES)} queries x {REPETITIONS}, real and naive")
    mark = time.monotonic()
    run.search = compare_search()
    run.phase("search_compare_s", mark)


def judge(run: Run) -> None:
    """The judged query set through the real search, in this process (bench/judged.py)."""
    if run.options.no_search_compare:
        return
    say(f"judging search: {len(judged.load())} queries of bench/judged_queries.toml")
    mark = time.monotonic()
    run.judged = judged.evaluate()
    run.phase("judged_s", mark)


def scenarios(urls: Urls, only: list[str] | None) -> list[Scenario]:
    every = [
        Scenario("floor", "floor (robots.txt)", "paths.lua", [FLOOR_PATH]),
        Scenario("static", "static file", "paths.lua", [urls.static]),
        Scenario("guest_first_view", "guest first view", "guest.lua", urls.guest_codes),
        Scenario("revisit", "signed-in revisit", "paths.lua", [REVISIT_PATH], urls.revisit_cookie),
        Scenario(
            "search",
            "keyword search",
            "paths.lua",
            [f"/search/?{urllib.parse.urlencode({'q': q})}" for q in KEYWORD_QUERIES],
        ),
        Scenario("exact_search", "exact-code search", "paths.lua", [EXACT_CODE_PATH], status=302),
        Scenario("browse", "browse code set", "paths.lua", [BROWSE_SET_PATH]),
        Scenario("browse_section", "browse chapter", "paths.lua", [urls.section]),
        Scenario("careers", "jobs, 3 filters", "paths.lua", CAREERS_PATHS),
    ]
    if only:
        return [s for s in every if s.name == "floor" or s.name in only]
    return every


def load_scenario(
    run: Run, server: AppServer, scenario: Scenario, quiet: Quiet, revisit_used: int | None
) -> Measured:
    """Check the scenario's first page answers as expected, wait for a quiet machine, load it
    with wrk, and note what else was seen (meter rows written, views used by the revisits)."""
    status = fetch_proxied(server, scenario.paths[0], scenario.cookie).status
    if status != scenario.status:
        raise RuntimeError(f"{scenario.paths[0]} answers {status}, not {scenario.status}")
    busy = quiet.wait()
    warmup = warmup_seconds(run.config, scenario)
    say(f"loading {scenario.name}: {warmup} s warm-up, {run.config.duration} s")
    before = meter_counts() if scenario.name == "guest_first_view" else {}
    memory_before = server.worker_memory() if scenario.name == "search" else []
    row = measure(run.wrk, server.base, run.config, scenario, run.workdir)
    if memory_before:
        run.memory = memory_change(memory_before, server.worker_memory())
    row.cpu_busy_before = round(busy, 2)
    if busy > Quiet.BUSY:
        row.notes.append(f"other processes kept the CPUs {busy:.0%} busy before it")
    if before:
        after = meter_counts()
        row.notes.append(
            f"wrote {after.get('guest', 0) - before.get('guest', 0):,} guest meters and "
            f"{after['views'] - before['views']:,} views (warm-up included)"
        )
    if scenario.name == "revisit" and account_meter_used(REVISIT_EMAIL) != revisit_used:
        row.notes.append("WARNING: the revisits used views")
    return row


def memory_change(before: list[ProcessMemory], after: list[ProcessMemory]) -> dict[str, Any]:
    """Mean RSS and PSS of the workers that served the search scenario, before and after it."""
    kept = {m.pid for m in before} & {m.pid for m in after}

    def mean(rows: list[ProcessMemory], name: str) -> float:
        values = [getattr(m, name) for m in rows if m.pid in kept]
        return round(statistics.fmean(values) / 1024, 1) if values else 0.0

    figures = {
        "workers": len(kept),
        "rss_before_mb": mean(before, "rss"),
        "rss_after_mb": mean(after, "rss"),
        "pss_before_mb": mean(before, "pss"),
        "pss_after_mb": mean(after, "pss"),
    }
    figures["extra_rss_mb"] = round(figures["rss_after_mb"] - figures["rss_before_mb"], 1)
    figures["extra_pss_mb"] = round(figures["pss_after_mb"] - figures["pss_before_mb"], 1)
    return figures


def load_scenarios(run: Run, env: dict[str, str], urls: Urls, chosen: list[Scenario]) -> None:
    """gunicorn with the project's settings on a free port, each scenario loaded in turn; the
    server is always stopped again."""
    mark = time.monotonic()
    quiet = Quiet(run.options.quiet_wait)
    server = AppServer("gunicorn", env, run.server_log, workers=run.options.workers)
    say(
        f"starting gunicorn: {server.workers} sync workers on 127.0.0.1:{server.port} "
        f"(log: {run.server_log})"
    )
    with server:
        revisit = fetch_proxied(server, REVISIT_PATH, urls.revisit_cookie)
        if revisit.status != 200 or 'id="official-heading"' not in revisit.body:
            raise RuntimeError(f"the signed-in user does not see {REVISIT_PATH} unlocked")
        revisit_used = account_meter_used(REVISIT_EMAIL)
        for scenario in chosen:
            run.results.append(load_scenario(run, server, scenario, quiet, revisit_used))
        close_db()
    say("gunicorn stopped")
    run.phase("load_s", mark)
    log = run.server_log
    run.errors_logged = log.read_text().count("Traceback") if log.exists() else 0


def score(run: Run) -> None:
    """Each scenario against the floor, the headline figures, and the targets."""
    floor = run.results[0].rps
    for row in run.results:
        row.ratio_to_floor = row.rps / floor if floor else 0.0
    by_name = {row.name: row for row in run.results}
    figures: dict[str, Any] = {f"{row.name}_rps": round(row.rps, 1) for row in run.results}
    for name in ("guest_first_view", "revisit", "search", "careers"):
        if name in by_name:
            figures[f"{name}_ratio"] = round(by_name[name].ratio_to_floor, 3)
    figures.update({k: v for k, v in run.search.items() if k != "search_per_query"})
    if run.judged:
        figures["judged_recall_at_5"] = run.judged["recall_at_5"]
        figures["judged_mrr"] = run.judged["mrr"]
    if run.memory:
        figures["search_worker_extra_rss_mb"] = run.memory["extra_rss_mb"]
        figures["search_worker_extra_pss_mb"] = run.memory["extra_pss_mb"]
    if run.careers:
        figures["careers_queries"] = max(entry["queries"] for entry in run.careers.values())
    run.figures = figures
    for key, wanted, at_most, text in TARGETS:
        value = figures.get(key)
        met = None if value is None else (value <= wanted if at_most else value >= wanted)
        run.targets.append(Target(text, key, wanted, value, met))


def main() -> None:
    options = parse_options()
    started = time.monotonic()
    unwind_on("bench", signal.SIGTERM)  # `kill` of this script stops gunicorn too
    run = Run(
        options,
        started,
        wrk=ensure_wrk(),
        workdir=Path(tempfile.mkdtemp(prefix="codeahead-bench-")),
        config=LoadConfig(options.threads, options.connections, options.duration, options.warmup),
    )
    cluster = PostgresCluster.project()  # bin/localdb's, started by make bench
    # As behind one proxy that terminates TLS: every request of the benchmark carries
    # X-Forwarded-Proto and X-Forwarded-For.
    env = app_env(
        secret_key=secrets.token_urlsafe(50),
        database_url=cluster.url(dataset.NAME),
        behind_tls_proxy=True,
    )
    prepare_database(run, cluster, env)
    urls = prepare_urls()
    run.careers = careers_queries()
    time_search(run)
    judge(run)
    close_db()
    load_scenarios(run, env, urls, scenarios(urls, options.only))
    score(run)
    run.phase("total_s", started)
    print_summary(run)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(json.dumps(report(run), indent=2) + "\n")
    say(f"wrote {options.output}")
    shutil.rmtree(run.workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
