"""The benchmark database `codeahead_bench`: the public-domain code sets plus generated volume.

Built once and reused: `prepare_database()` in bench/run.py migrates (cheap when nothing is
new), imports a code set only when its codes are missing, and generates the volume only when the
marker table `bench_volume` says it has not been made. `fresh=True` drops the database and
builds everything again.

The volume is made by SQL (generate_series), not the ORM, in about half a minute:
users with verified addresses, sessions, and meters with their views spread over real codes in
the current and three past periods, so that the meter tables hold over a million rows.

CareerCenter's volume is made the same way, with its own marker (`bench_jobs_volume`), so a
database built before it only gains the jobs: 500 employers and 50,000 job postings spread over
every filter, published over the last 45 days (so about a third have expired), a few pending,
rejected, closed or removed. Their dates move with the clock: a run a day or more after they
were made moves them all as much later, so the list always has as many open jobs.
"""

import datetime
import subprocess
import time
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql

from ops.harness import ROOT, manage

NAME = "codeahead_bench"
HCPCS_FILE = ROOT / "fixtures" / "hcpcs" / "hcpcs_level2_2020.csv.gz"  # shipped, public domain
# Bump when the generated volume changes shape: the next run regenerates it.
VOLUME_VERSION = 2

USERS = 10_000  # a fifth premium (40-119 code pages a period), the rest free (1-6)
GUESTS = 150_000  # one view each, over four periods, and a session each
NETWORKS = 10_000  # daily network meters of the last 30 days, 1-3 views each
PERIODS = 4  # the current calendar month and the three before it

# The public-domain sets, each imported unless it holds its codes with their vectors and official
# data (`import_codes --if-not-loaded`), and the codes a complete set holds at least.
CODE_SETS: dict[str, tuple[int, list[str]]] = {
    "icd10cm": (70_000, ["icd10cm"]),
    "icd10pcs": (78_000, ["icd10pcs"]),
    "hcpcs": (6_500, ["hcpcs", str(HCPCS_FILE)]),
}

Say = Callable[[str], None]


def connect(dsn: str, dbname: str) -> psycopg.Connection[Any]:
    """`dsn`: a libpq connection string without the database name."""
    return psycopg.connect(dsn, dbname=dbname, autocommit=True)


def create_database(dsn: str, *, fresh: bool, say: Say) -> None:
    """Create the benchmark database if missing; with `fresh`, drop it first (only ours)."""
    with connect(dsn, "postgres") as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [NAME]).fetchone()
        if exists and fresh:
            say(f"dropping database {NAME} (BENCH_FRESH)")
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(NAME)))
            exists = None
        if not exists:
            say(f"creating database {NAME}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(NAME)))


def code_counts(conn: psycopg.Connection[Any]) -> dict[str, int]:
    rows = conn.execute(
        "SELECT s.slug, count(c.id) FROM codes_codeset s "
        "LEFT JOIN codes_code c ON c.code_set_id = s.id GROUP BY s.slug"
    ).fetchall()
    return {slug: count for slug, count in rows}


def import_missing_sets(dsn: str, env: dict[str, str], say: Say) -> list[str]:
    """Import each public-domain set that is not complete yet, with its official data and
    vectors (a set is imported in one transaction, and the import refreshes the spelling
    correction words). Returns the sets still missing: an import that failed is reported and the
    benchmark goes on with what is there."""
    missing: list[str] = []
    for slug, (_, args) in CODE_SETS.items():
        started = time.monotonic()
        try:
            manage(env, "import_codes", *args, "--if-not-loaded")
        except subprocess.CalledProcessError:
            say(f"WARNING: importing {slug} failed; the benchmark goes on without it")
            missing.append(slug)
            continue
        if time.monotonic() - started > 5:
            say(f"imported {slug} in {time.monotonic() - started:.0f} s")
    with connect(dsn, NAME) as conn:
        counts = code_counts(conn)
    missing += [slug for slug, (expected, _) in CODE_SETS.items() if counts.get(slug, 0) < expected]
    return sorted(set(missing))


MARKER_TABLE = """
CREATE TABLE IF NOT EXISTS bench_volume (
    version integer PRIMARY KEY,
    made_at timestamptz NOT NULL DEFAULT now(),
    users integer NOT NULL,
    meters integer NOT NULL,
    views integer NOT NULL
)
"""

# One transaction. %(name)s are parameters; account, guest and network keys are hashes of a
# counter, shaped like the real ones (64 hex digits, or a uuid4 hex for guests).
VOLUME_SQL = [
    # Codes numbered 0..n-1, to pick "the k-th code" by a join (an array subscript would
    # detoast the whole array for every row).
    """
    CREATE TEMP TABLE bench_codes ON COMMIT DROP AS
    SELECT (row_number() OVER (ORDER BY id) - 1)::integer AS n, id FROM codes_code
    """,
    "ALTER TABLE bench_codes ADD PRIMARY KEY (n)",
    "ANALYZE bench_codes",
    """
    INSERT INTO accounts_user (password, last_login, is_superuser, first_name, last_name,
                               is_staff, is_active, date_joined, email, plan_ends_on, plan_id,
                               meter_key)
    SELECT %(password)s, now() - make_interval(days => mod(n, 60)), false, '', '', false, true,
           now() - make_interval(days => mod(n, 700)), 'bench-' || n || '@bench.codeahead.invalid',
           CASE WHEN mod(n, 5) = 0 THEN current_date + 30 END,
           CASE WHEN mod(n, 5) = 0 THEN premium.id ELSE free.id END,
           encode(sha256(convert_to('bench-account-' || n, 'UTF8')), 'hex')
    FROM generate_series(1, %(users)s) AS n,
         (SELECT id FROM metering_plan WHERE slug = 'premium') AS premium,
         (SELECT id FROM metering_plan WHERE slug = 'free') AS free
    """,
    """
    INSERT INTO account_emailaddress (email, verified, "primary", user_id)
    SELECT email, true, true, id FROM accounts_user
    WHERE email LIKE 'bench-%%@bench.codeahead.invalid'
    """,
    """
    INSERT INTO accounts_session (session_key, session_data, expire_date)
    SELECT md5('bench-session-' || n), 'e30:bench', now() + make_interval(days => mod(n, 14))
    FROM generate_series(1, %(guests)s) AS n
    """,
    """
    WITH periods AS (
        SELECT p, (date_trunc('month', current_date) - make_interval(months => p))::date AS start
        FROM generate_series(0, %(periods)s - 1) AS p
    ), meters AS (
        INSERT INTO metering_meter (scope, key, period_start, used, allowance, touched_at)
        SELECT 'account', encode(sha256(convert_to('bench-account-' || n, 'UTF8')), 'hex'),
               periods.start,
               CASE WHEN mod(n, 5) = 0 THEN 40 + mod(n * 7 + p, 80) ELSE 1 + mod(n + p, 6) END,
               CASE WHEN mod(n, 5) = 0 THEN NULL ELSE 6 END,
               periods.start + make_interval(days => mod(n, 28))
        FROM generate_series(1, %(users)s) AS n CROSS JOIN periods
        UNION ALL
        SELECT 'guest', md5('bench-guest-' || n), periods.start, 1, 1,
               periods.start + make_interval(days => mod(n, 28))
        FROM generate_series(1, %(guests)s) AS n JOIN periods ON periods.p = mod(n, %(periods)s)
        UNION ALL
        SELECT 'network', encode(sha256(convert_to('bench-network-' || n, 'UTF8')), 'hex'),
               current_date - 1 - mod(n, 30), 1 + mod(n, 3), 3,
               (current_date - 1 - mod(n, 30)) + interval '18 hours'
        FROM generate_series(1, %(networks)s) AS n
        RETURNING id, used, period_start
    )
    -- Distinct codes per meter: k * 104729 (a prime) never repeats modulo the code count.
    INSERT INTO metering_meterview (meter_id, code_id, viewed_at)
    SELECT meters.id, codes.id, meters.period_start + make_interval(mins => 480 + k)
    FROM meters CROSS JOIN LATERAL generate_series(1, meters.used) AS k
    JOIN bench_codes AS codes
      ON codes.n = mod(meters.id * 7919 + k * 104729, (SELECT count(*) FROM bench_codes))
    """,
    """
    INSERT INTO bench_volume (version, users, meters, views)
    SELECT %(version)s,
           (SELECT count(*) FROM accounts_user),
           (SELECT count(*) FROM metering_meter),
           (SELECT count(*) FROM metering_meterview)
    """,
]


def volume_made(conn: psycopg.Connection[Any]) -> bool:
    conn.execute(MARKER_TABLE)
    row = conn.execute("SELECT 1 FROM bench_volume WHERE version = %s", [VOLUME_VERSION])
    return row.fetchone() is not None


def make_volume(dsn: str, *, password_hash: str, say: Say) -> None:
    """Generate users, sessions, meters and views unless this version of them is there."""
    with connect(dsn, NAME) as conn:
        if volume_made(conn):
            return
        if conn.execute("SELECT 1 FROM bench_volume").fetchone():
            raise SystemExit(
                f"The generated volume in {NAME} is of an older version: run make bench "
                "BENCH_FRESH=1 to rebuild the benchmark database."
            )
        say(f"generating volume: {USERS:,} users, {GUESTS:,} guests, {NETWORKS:,} networks")
        started = time.monotonic()
        params = {
            "password": password_hash,
            "users": USERS,
            "guests": GUESTS,
            "networks": NETWORKS,
            "periods": PERIODS,
            "version": VOLUME_VERSION,
        }
        with conn.transaction():
            for statement in VOLUME_SQL:
                conn.execute(statement, params)  # type: ignore[call-overload]
        conn.execute("VACUUM ANALYZE")
        say(f"generated the volume in {time.monotonic() - started:.0f} s")


JOBS_VERSION = 2  # 2: the counters moved to careercenter_jobcounter
EMPLOYERS = 500
JOBS = 50_000

JOBS_MARKER_TABLE = """
CREATE TABLE IF NOT EXISTS bench_jobs_volume (
    version integer PRIMARY KEY,
    made_at timestamptz NOT NULL DEFAULT now(),
    jobs integer NOT NULL
)
"""

# One transaction; %(name)s are parameters. Choices cycle through coprime steps so that every
# combination of filters occurs.
JOBS_SQL = [
    """
    INSERT INTO accounts_user (password, last_login, is_superuser, first_name, last_name,
                               is_staff, is_active, date_joined, email, plan_ends_on, plan_id,
                               meter_key)
    SELECT %(password)s, NULL, false, '', '', false, true, now() - make_interval(days => n),
           'bench-employer-' || n || '@bench.codeahead.invalid', NULL, free.id,
           encode(sha256(convert_to('bench-employer-' || n, 'UTF8')), 'hex')
    FROM generate_series(1, %(employers)s) AS n,
         (SELECT id FROM metering_plan WHERE slug = 'free') AS free
    """,
    """
    INSERT INTO account_emailaddress (email, verified, "primary", user_id)
    SELECT email, true, true, id FROM accounts_user
    WHERE email LIKE 'bench-employer-%%@bench.codeahead.invalid'
    """,
    """
    INSERT INTO careercenter_employerprofile (account_id, organization, website, created_at)
    SELECT id, 'Bench Employer ' || substring(email FROM 'bench-employer-([0-9]+)@') || ' Health',
           '', date_joined
    FROM accounts_user WHERE email LIKE 'bench-employer-%%@bench.codeahead.invalid'
    """,
    """
    CREATE TEMP TABLE bench_employers ON COMMIT DROP AS
    SELECT (row_number() OVER (ORDER BY id) - 1)::integer AS k, id, organization
    FROM careercenter_employerprofile WHERE organization LIKE 'Bench Employer %%'
    """,
    "ALTER TABLE bench_employers ADD PRIMARY KEY (k)",
    """
    WITH choices AS (
        SELECT ARRAY['Medical Coder', 'Inpatient Coder', 'Outpatient Coder',
                     'Risk Adjustment Coder', 'Coding Auditor', 'Medical Biller and Coder',
                     'Professional Fee Coder', 'Coding Educator', 'CDI Specialist',
                     'Emergency Department Coder', 'Surgical Coder', 'HCC Coder'] AS titles,
               ARRAY['', 'Senior ', 'Lead ', 'Entry-Level ', 'Remote '] AS levels,
               ARRAY['TX', 'OH', 'IL', 'AZ', 'NC', 'FL', 'CA', 'NY', 'PA', 'GA', 'WA', 'CO',
                     'MI', 'TN', 'MN', 'MO', 'VA', 'MA', 'IN', 'WI'] AS states,
               ARRAY['Dallas', 'Columbus', 'Chicago', 'Phoenix', 'Asheville', 'Tampa',
                     'Sacramento', 'Albany', 'Pittsburgh', 'Atlanta', 'Spokane', 'Denver',
                     'Detroit', 'Nashville', 'Duluth', 'St. Louis', 'Richmond', 'Worcester',
                     'Indianapolis', 'Madison'] AS cities,
               ARRAY['CPC,COC', 'CRC', 'CCS,CIC,RHIT', 'CPMA,CPC', 'CPB', 'CCS-P,CPC',
                     'CDIP,CCDS', 'CCA', 'RHIA', '', 'CPC', 'CRC,CPC,CCS'] AS credentials,
               ARRAY['inpatient', 'outpatient', 'professional_fee', 'risk_adjustment',
                     'auditing', 'education'] AS settings,
               ARRAY['Code charts for our clients with care and accuracy.',
                     'Review documentation, query providers and keep quality above 95%%.',
                     'Work closely with our auditors; training and CEUs paid.',
                     'Join a friendly team; equipment provided; flexible hours.'] AS texts
    ), numbered AS (
        SELECT n,
               CASE WHEN mod(n, 20) < 9 THEN 'remote' WHEN mod(n, 20) < 14 THEN 'hybrid'
                    ELSE 'onsite' END AS work_mode,
               CASE mod(n, 50) WHEN 0 THEN 'pending' WHEN 1 THEN 'rejected'
                    WHEN 2 THEN 'closed' WHEN 3 THEN 'removed' ELSE 'approved' END AS status,
               now() - make_interval(mins => mod(n * 7919, 45 * 24 * 60)) AS posted,
               mod(n * 7, 40) < 16 AS yearly
        FROM generate_series(1, %(jobs)s) AS n
    )
    INSERT INTO careercenter_job (
        employer_id, organization, title, slug, description_markdown, description_html,
        work_mode, city, state, employment_type, setting, credentials, experience_years,
        pay_min, pay_max, pay_period, apply_url, apply_email, status, rejection_reason,
        created_at, updated_at, published_at, expires_at)
    SELECT e.id, e.organization,
           c.levels[1 + mod(n * 3, 5)] || c.titles[1 + mod(n, 12)],
           trim(both '-' FROM lower(regexp_replace(
               c.levels[1 + mod(n * 3, 5)] || c.titles[1 + mod(n, 12)], '[^A-Za-z0-9]+', '-',
               'g'))),
           c.texts[1 + mod(n, 4)] || E'\n\n' || c.texts[1 + mod(n + 1, 4)],
           '<p>' || c.texts[1 + mod(n, 4)] || '</p><p>' || c.texts[1 + mod(n + 1, 4)] || '</p>',
           work_mode,
           CASE WHEN work_mode = 'remote' THEN '' ELSE c.cities[1 + mod(n * 7, 20)] END,
           CASE WHEN work_mode = 'remote' AND mod(n, 3) > 0 THEN ''
                ELSE c.states[1 + mod(n * 7, 20)] END,
           CASE WHEN mod(n, 97) = 0 THEN 'internship'
                ELSE (ARRAY['full_time', 'full_time', 'full_time', 'full_time', 'full_time',
                            'full_time', 'part_time', 'contract', 'temporary',
                            'per_diem'])[1 + mod(n * 11, 10)] END,
           c.settings[1 + mod(n * 5, 6)],
           string_to_array(c.credentials[1 + mod(n * 13, 12)], ','),
           mod(n, 8),
           CASE WHEN yearly THEN 38000 + mod(n * 37, 60) * 1000 ELSE 17 + mod(n * 13, 26) END,
           CASE WHEN yearly THEN 38000 + mod(n * 37, 60) * 1000 + mod(n, 9) * 1500
                ELSE 17 + mod(n * 13, 26) + mod(n, 6) END,
           CASE WHEN yearly THEN 'year' ELSE 'hour' END,
           'https://employer' || e.k || '.bench.example/jobs/' || n, '',
           status,
           CASE WHEN status IN ('rejected', 'removed') THEN 'Not a coding job.' ELSE '' END,
           posted - interval '2 hours', posted,
           CASE WHEN status IN ('pending', 'rejected') THEN NULL ELSE posted END,
           CASE WHEN status IN ('pending', 'rejected') THEN NULL
                ELSE posted + interval '30 days' END
    FROM numbered CROSS JOIN choices c
    JOIN bench_employers e ON e.k = mod(numbered.n, %(employers)s)
    """,
    """
    INSERT INTO careercenter_jobcounter (job_id, views, apply_clicks)
    SELECT j.id, mod(j.id * 31, 500), mod(j.id * 17, 40)
    FROM careercenter_job j JOIN bench_employers e ON e.id = j.employer_id
    WHERE j.published_at IS NOT NULL
    """,
    """
    INSERT INTO bench_jobs_volume (version, jobs)
    SELECT %(version)s, (SELECT count(*) FROM careercenter_job)
    """,
]


# The generated jobs' dates, moved by the time since they were made (or last moved), so that
# as many are open, expired and new as when they were made. One transaction, with the marker.
SHIFT_JOBS_AFTER = datetime.timedelta(days=1)
SHIFT_JOBS_SQL = [
    """
    UPDATE careercenter_job SET created_at = created_at + shift.delta,
                                updated_at = updated_at + shift.delta,
                                published_at = published_at + shift.delta,
                                expires_at = expires_at + shift.delta
    FROM (SELECT now() - made_at AS delta FROM bench_jobs_volume WHERE version = %(version)s)
         AS shift
    WHERE employer_id IN (
        SELECT p.id FROM careercenter_employerprofile p JOIN accounts_user u ON u.id = p.account_id
        WHERE u.email LIKE 'bench-employer-%%@bench.codeahead.invalid'
    )
    """,
    "UPDATE bench_jobs_volume SET made_at = now() WHERE version = %(version)s",
]


# The generated employers and everything of theirs (Django's cascades are not the database's).
DROP_JOBS_SQL = [
    """
    CREATE TEMP TABLE bench_old_employers ON COMMIT DROP AS
    SELECT u.id AS account_id, p.id AS profile_id
    FROM accounts_user u LEFT JOIN careercenter_employerprofile p ON p.account_id = u.id
    WHERE u.email LIKE 'bench-employer-%'
    """,
    """
    CREATE TEMP TABLE bench_old_jobs ON COMMIT DROP AS
    SELECT id FROM careercenter_job
    WHERE employer_id IN (SELECT profile_id FROM bench_old_employers)
    """,
    "DELETE FROM careercenter_jobcounter WHERE job_id IN (SELECT id FROM bench_old_jobs)",
    "DELETE FROM careercenter_savedjob WHERE job_id IN (SELECT id FROM bench_old_jobs)",
    "DELETE FROM careercenter_job WHERE id IN (SELECT id FROM bench_old_jobs)",
    """
    DELETE FROM careercenter_employerprofile
    WHERE id IN (SELECT profile_id FROM bench_old_employers)
    """,
    """
    DELETE FROM account_emailaddress
    WHERE user_id IN (SELECT account_id FROM bench_old_employers)
    """,
    "DELETE FROM accounts_user WHERE id IN (SELECT account_id FROM bench_old_employers)",
    "DELETE FROM bench_jobs_volume",
]


def make_jobs(dsn: str, *, password_hash: str, say: Say) -> None:
    """Generate CareerCenter's employers and jobs unless this version of them is there; if it
    is, bring their dates up to today (SHIFT_JOBS_SQL) once a day has passed."""
    started = time.monotonic()
    with connect(dsn, NAME) as conn:
        conn.execute(JOBS_MARKER_TABLE)
        made = conn.execute(
            "SELECT now() - made_at FROM bench_jobs_volume WHERE version = %s", [JOBS_VERSION]
        ).fetchone()
        if made is None:
            _generate_jobs(conn, password_hash=password_hash, say=say)
        elif made[0] >= SHIFT_JOBS_AFTER:
            say(f"moving the generated jobs' dates {made[0].days} days later, to today")
            with conn.transaction():
                for statement in SHIFT_JOBS_SQL:
                    conn.execute(statement, {"version": JOBS_VERSION})  # type: ignore[call-overload]
        else:
            return
    # On a connection of its own, once the rows are committed: it sets the visibility map too,
    # which the list's index-only counts need (autovacuum would, later).
    with connect(dsn, NAME) as conn:
        conn.execute("VACUUM ANALYZE careercenter_job")
        conn.execute("VACUUM ANALYZE careercenter_jobcounter")
    say(f"jobs ready in {time.monotonic() - started:.0f} s")


def _generate_jobs(conn: psycopg.Connection[Any], *, password_hash: str, say: Say) -> None:
    if conn.execute("SELECT 1 FROM bench_jobs_volume").fetchone():
        say("removing the jobs of an older version of the generated volume")
        with conn.transaction():
            for statement in DROP_JOBS_SQL:
                conn.execute(statement)
    say(f"generating jobs: {EMPLOYERS:,} employers, {JOBS:,} postings")
    params = {
        "password": password_hash,
        "employers": EMPLOYERS,
        "jobs": JOBS,
        "version": JOBS_VERSION,
    }
    with conn.transaction():
        for statement in JOBS_SQL:
            conn.execute(statement, params)  # type: ignore[call-overload]


def describe(dsn: str) -> dict[str, Any]:
    """Row counts of the benchmark database, for the report."""
    with connect(dsn, NAME) as conn:
        tables = {
            "users": "accounts_user",
            "meters": "metering_meter",
            "meter_views": "metering_meterview",
            "sessions": "accounts_session",
        }
        counts: dict[str, Any] = {
            name: conn.execute(
                sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            ).fetchone()[0]  # type: ignore[index]
            for name, table in tables.items()
        }
        counts["meter_rows"] = counts["meters"] + counts["meter_views"]
        counts["jobs"] = conn.execute("SELECT count(*) FROM careercenter_job").fetchone()[0]  # type: ignore[index]
        counts["open_jobs"] = conn.execute(
            "SELECT count(*) FROM careercenter_job WHERE status = 'approved' AND expires_at > now()"
        ).fetchone()[0]  # type: ignore[index]
        counts["codes"] = code_counts(conn)
        return counts
