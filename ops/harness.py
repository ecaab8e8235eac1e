"""The harness shared by the scripts that drive CodeAhead's servers (`make bench`, `make faults`)
and by bin/localdb: PostgreSQL clusters, gunicorn app servers, the environment they get, an HTTP
client, management commands, and Django in the calling process.

Every address is on 127.0.0.1 or a Unix socket; every request and every wait has a timeout.
This module imports only the standard library at load time, so that `bin/localdb stop`, `status`
and `destroy` work without the virtualenv (a second `make clean`); psycopg, redis and Django are
imported by the functions that need them.

    python -m ops.harness localdb start|stop|status|destroy   (what bin/localdb runs)
"""

import hashlib
import http.cookiejar
import importlib.util
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from functools import cached_property
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, TYPE_CHECKING, Self

if TYPE_CHECKING:
    from accounts.models import User

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
# A real browser's User-Agent: the guest network fingerprint reads its family and version.
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)

Say = Callable[[str], None]


class Unavailable(Exception):
    """This machine lacks something the harness needs; the message says what to install."""


def unwind_on(name: str, *signums: signal.Signals) -> None:
    """These signals unwind the script `name` like Ctrl-C, so its `finally` blocks and context
    managers stop every server it started and remove every temporary cluster."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(f"{name}: stopped by signal {signum}")

    for signum in signums:
        signal.signal(signum, handler)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def ensure_command(name: str, package: str, say: Say) -> str | None:
    """Path of the program `name`, installing Debian's `package` first when it is missing, the
    way a reader of the README would (needs root and apt-get). None when it is still missing."""
    found = shutil.which(name)
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        return None
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    install = [apt, "install", "-y", "-q", "--no-install-recommends", package]
    say(f"{name} is missing: {' '.join(install)}")
    if subprocess.run(install, env=env, check=False).returncode != 0:  # noqa: S603 - fixed
        say(f"{apt} update -q, then the install again")
        subprocess.run([apt, "update", "-q"], env=env, check=True)  # noqa: S603 - fixed
        subprocess.run(install, env=env, check=True)  # noqa: S603 - fixed
    return shutil.which(name)


# The environment of the app, and running it


# Only these are inherited, so the defaults of settings.py apply (rate limits, meter period,
# connection age, logging) whatever the caller's shell has set: a developer's settings never
# leak into a measurement or a fault run.
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")


def app_env(
    *,
    secret_key: str,
    database_url: str,
    behind_tls_proxy: bool,
    request_log_level: str = "INFO",
    redis_url: str = "",
    extra: dict[str, str] | None = None,
    smtp_port: int = 0,
    retry_delays: str = "",
) -> dict[str, str]:
    """The production settings (DEBUG off) as behind one proxy, which the app trusts for the
    client's address (X-Forwarded-For). `behind_tls_proxy`: the proxy terminates TLS and says so
    in X-Forwarded-Proto, as in production (the benchmark); otherwise plain HTTP on this machine,
    HTTPS=false. `request_log_level`: INFO logs one line per request, as in production.
    `smtp_port`: mail goes to an SMTP server on 127.0.0.1 there (an SmtpSink) instead of the
    console; `retry_delays`: TASKS_RETRY_DELAYS, for a run that cannot wait half an hour;
    `extra`: settings of a product under test (a Stripe stand-in's address, say)."""
    env = {key: os.environ[key] for key in INHERITED if key in os.environ}
    env |= {
        "DJANGO_SETTINGS_MODULE": "codeahead.settings",
        "DEBUG": "false",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "TRUSTED_PROXY_COUNT": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "LOG_LEVEL": "INFO",
        "REQUEST_LOG_LEVEL": request_log_level,
    }
    if behind_tls_proxy:
        env["SECURE_PROXY_SSL_HEADER"] = "HTTP_X_FORWARDED_PROTO,https"
    else:
        env["HTTPS"] = "false"
    if redis_url:
        env["REDIS_URL"] = redis_url
    if smtp_port:
        env |= {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_USE_TLS": "false",
            "EMAIL_TIMEOUT": "5",
            "DEFAULT_FROM_EMAIL": "CodeAhead <no-reply@faults.codeahead.invalid>",
        }
    if retry_delays:
        env["TASKS_RETRY_DELAYS"] = retry_delays
    return env | (extra or {})


def manage(env: dict[str, str], *args: str, timeout: float | None = None) -> None:
    """Run a management command of this project with `env`; its output is shown."""
    subprocess.run(  # noqa: S603 - manage.py of this project with our own arguments
        [str(VENV_BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=timeout,
    )


class AppServer:
    """One gunicorn master with its sync workers, as `make serve` runs it (gunicorn.conf.py), on a
    free port of 127.0.0.1, its output appended to `log`. As a context manager it is started and
    ready inside the block and stopped on the way out."""

    def __init__(
        self,
        name: str,
        env: dict[str, str],
        log: Path,
        workers: int = 2,
        ready_path: str = "/healthz",
    ) -> None:
        self.name = name
        self.port = free_port()
        self.log = log
        self.workers = workers
        self.ready_path = ready_path
        # Each server its own gunicorn control socket, beside its log (gunicorn.conf.py).
        self.env = env | {
            "BIND": f"127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(workers),
            "WEB_CONTROL_SOCKET": str(log.with_suffix(".ctl")),
        }
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._log_file = self.log.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - gunicorn from our venv, our config
            [str(VENV_BIN / "gunicorn"), "--config", "codeahead/gunicorn.conf.py"],
            cwd=ROOT,
            env=self.env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole, and only it
        )

    def wait_ready(self, timeout: float = 60) -> None:
        """Returns when `ready_path` answers 200."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"server {self.name} exited; see {self.log}")
            try:
                if fetch(self.base + self.ready_path, timeout=2).status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server {self.name} did not answer within {timeout} s")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # gunicorn's graceful stop (graceful_timeout 20 s)
            try:
                self.process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def worker_memory(self) -> list["ProcessMemory"]:
        """Resident memory of each worker process (the master's children), from /proc."""
        if self.process is None:
            return []
        return [process_memory(pid) for pid in child_pids(self.process.pid)]

    def __enter__(self) -> Self:
        try:
            self.start()
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


class Worker:
    """One task worker (`manage.py db_worker` on every queue), as `make worker` runs it, its
    output appended to `log`. stop() is SIGTERM: it finishes the task in hand, then exits."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    def start(self) -> None:
        self._log_file = self.log.open("ab")
        command = ["manage.py", "db_worker", "--queue-name", "*", "--no-reload"]
        self.process = subprocess.Popen(  # noqa: S603 - our own manage.py
            [str(VENV_BIN / "python"), *command, "--interval", "0.5", "--no-startup-delay"],
            cwd=ROOT,
            env=self.env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 30) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


class SmtpSink:
    """An SMTP server on 127.0.0.1:`port` (aiosmtpd) that keeps every message it accepts in the
    Maildir `root`, so what arrived can be counted across its stops and starts."""

    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20) -> None:
        import mailbox

        mailbox.Maildir(self.root, create=True)  # aiosmtpd's handler expects its folders
        handler = ["-c", "aiosmtpd.handlers.Mailbox", str(self.root)]
        self.process = subprocess.Popen(  # noqa: S603 - aiosmtpd from our venv
            [str(VENV_BIN / "python"), "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}",
             *handler],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError("the SMTP sink exited")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(3) == b"220":
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the SMTP sink did not answer within {timeout} s")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def messages(self) -> list[Message]:
        """Every message received so far, in no particular order."""
        import mailbox

        if not (self.root / "cur").is_dir():
            return []
        return list(mailbox.Maildir(self.root, create=False))


@dataclass(frozen=True, slots=True)
class ProcessMemory:
    """A process's memory in kB: `rss` counts every page it has resident, shared ones whole
    (a memory-mapped file all workers read counts in each); `pss` shares those out between the
    processes mapping them; `private` is what it alone holds."""

    pid: int
    rss: int
    pss: int
    private: int


def child_pids(parent: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            children.append(int(stat.parent.name))
    return sorted(children)


def process_memory(pid: int) -> ProcessMemory:
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        values[name] = int(rest.split()[0])
    private = values.get("Private_Clean", 0) + values.get("Private_Dirty", 0)
    return ProcessMemory(pid, values.get("Rss", 0), values.get("Pss", 0), private)


# HTTP


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: Message
    body: str


def fetch(url: str, headers: dict[str, str] | None = None, timeout: float = 10) -> Reply:
    """One GET without cookies (other than a Cookie header given) or redirects followed."""
    return Browser().get(url, headers=headers, timeout=timeout)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """A person's browser: one cookie jar for the whole site. Cookies belong to the host, not
    the port, so servers A and B on 127.0.0.1 see the same cookies, as behind a load balancer.
    Redirects are not followed, so every status is seen as the server sent it."""

    def __init__(self, host: str = "", client_ip: str = "") -> None:
        """`host` and `client_ip`: the Host and X-Forwarded-For headers a proxy in front of the
        servers would send (the servers trust one proxy: TRUSTED_PROXY_COUNT=1)."""
        self.host = host
        self.client_ip = client_ip
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirects()
        )

    def _open(self, request: urllib.request.Request, timeout: float) -> Reply:
        request.add_header("User-Agent", USER_AGENT)
        if self.host:
            request.add_header("Host", self.host)
        if self.client_ip:
            request.add_header("X-Forwarded-For", self.client_ip)
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return Reply(response.status, response.headers, response.read().decode())
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.headers, error.read().decode(errors="replace"))

    def get(self, url: str, headers: dict[str, str] | None = None, timeout: float = 10) -> Reply:
        request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - 127.0.0.1
        return self._open(request, timeout)

    def post(self, url: str, fields: dict[str, str], timeout: float = 30) -> Reply:
        data = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(url, data=data, method="POST")  # noqa: S310
        return self._open(request, timeout)

    def submit(self, page_url: str, action_url: str, fields: dict[str, str]) -> Reply:
        """Post a form as a person does: fetch the page holding it for its CSRF token first."""
        page = self.get(page_url)
        match = CSRF_FIELD.search(page.body)
        if page.status != 200 or match is None:
            raise RuntimeError(f"form page {page_url}: {page.status}, no CSRF token")
        return self.post(action_url, {"csrfmiddlewaretoken": match.group(1), **fields})

    def log_in(self, base: str, email: str, password: str) -> Reply:
        """The real login form: fetch it for its CSRF token, then post it."""
        form = self.get(base + "/accounts/login/")
        match = CSRF_FIELD.search(form.body)
        if form.status != 200 or match is None:
            raise RuntimeError(f"login form on {base}: {form.status}, no CSRF token")
        return self.post(
            base + "/accounts/login/",
            {"csrfmiddlewaretoken": match.group(1), "login": email, "password": password},
        )

    def cookie(self, name: str = "sessionid") -> str:
        """`name=value` for a Cookie header, or "" when the jar has no such cookie."""
        for cookie in self.jar:
            if cookie.name == name and cookie.value is not None:
                return f"{cookie.name}={cookie.value}"
        return ""


# Django in this process: what the scripts read and write straight in the database


def setup_django(env: dict[str, str]) -> None:
    """Django with the app servers' settings: settings.py reads the environment once, at setup,
    so this process's environment becomes exactly `env` (see INHERITED)."""
    os.environ.clear()
    os.environ.update(env)
    import django

    django.setup()


def close_db() -> None:
    """Drop this process's connection (before a restart of the database, or a long wait)."""
    from django.db import connections

    connections.close_all()


def password_hash(password: str) -> str:
    """Hashed once for a run: production hashing is slow on purpose."""
    from django.contrib.auth.hashers import make_password

    return make_password(password)


def verified_account(email: str, *, plan: str = "free", hashed_password: str = "") -> "User":
    """The account of `email`, made on first use as after a finished signup (and an editor's
    plan change): a verified primary address, the password hash given or none usable."""
    from allauth.account.models import EmailAddress

    from accounts.models import User
    from metering.models import Plan

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, plan=Plan.objects.get(slug=plan))
        if hashed_password:
            user.password = hashed_password
            user.save(update_fields=["password"])
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def account_meter_used(email: str) -> int | None:
    """Views the account of `email` has used this period; None before its first."""
    from accounts.models import User
    from metering.models import Meter
    from metering.plans import period_start, today_utc

    key = User.objects.values_list("meter_key", flat=True).get(email=email)
    meter = Meter.objects.filter(
        scope="account", key=key, period_start=period_start(today_utc())
    ).first()
    return meter.used if meter else None


# PostgreSQL


DB_USER = "codeahead"
DB_NAME = "codeahead"
# How every cluster of ours runs: no TCP listener (its socket only), and no fsync, since its data
# is for development, tests and measurements and may be lost in a crash.
SERVER_SETTINGS = "-c listen_addresses='' -c fsync=off -c synchronous_commit=off"


def pg_bindir() -> Path | None:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl), or None."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    for bindir in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (bindir / "initdb").is_file():
            return bindir
    return None


def postgres_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise Unavailable(
            "running as root needs a 'postgres' system user: install PostgreSQL with "
            "'apt-get install postgresql'."
        ) from None


def as_owner(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: as root, run them as the postgres user."""
    if os.geteuid() != 0:
        return command
    postgres_user()
    return ["runuser", "-u", "postgres", "--", *command]


def _run(command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own command line
        command,
        cwd="/",  # the postgres user may not be allowed into the checkout
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        start_new_session=True,  # Ctrl-C in the terminal reaches the caller, not the database
    )


def _must(command: list[str], timeout: float) -> None:
    done = _run(command, timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")


class PostgresCluster:
    """A cluster in `root`: data in root/data, its Unix socket in root/run, run by the postgres
    user when we are root. `project()` is the project-local one of bin/localdb; the scripts make
    throwaway ones in a temporary folder."""

    def __init__(self, root: Path, port: int, log: Path | None = None) -> None:
        self.root = root
        self.data = root / "data"
        self.socket_dir = root / "run"
        self.log = log or root / "postgres.log"
        self.port = port

    @classmethod
    def project(cls) -> "PostgresCluster":
        """The cluster in .pg, or where .pg links to (see localdb_start)."""
        real = PROJECT_PG.resolve()
        return cls(real, PROJECT_PORT, real / "server.log")

    @cached_property
    def bindir(self) -> Path:
        found = pg_bindir()
        if found is None:
            raise Unavailable(
                "PostgreSQL server is not installed: install it with 'apt-get install postgresql'."
            )
        return found

    def url(self, dbname: str = DB_NAME) -> str:
        """DATABASE_URL for the app: the socket folder percent-encoded as the host."""
        host = urllib.parse.quote(str(self.socket_dir), safe="")
        return f"postgres://{DB_USER}@{host}:{self.port}/{dbname}"

    def conninfo(self, dbname: str | None = DB_NAME) -> str:
        """A libpq connection string; without the database name when `dbname` is None."""
        from psycopg.conninfo import make_conninfo

        return make_conninfo(host=str(self.socket_dir), port=self.port, user=DB_USER, dbname=dbname)

    @property
    def initialised(self) -> bool:
        return (self.data / "PG_VERSION").is_file()

    def claim(self) -> None:
        """Create `root` if missing and make it the server's (as root: the postgres user's)."""
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            owner = postgres_user()
            os.chown(self.root, owner.pw_uid, owner.pw_gid)

    def writable(self) -> bool:
        """Whether the server's user may write to `root`."""
        return _run(as_owner(["test", "-w", str(self.root)]), timeout=10).returncode == 0

    def init(self) -> None:
        initdb = str(self.bindir / "initdb")
        command = [initdb, "-D", str(self.data), "-U", DB_USER, "--auth=trust"]
        _must(as_owner([*command, "--encoding=UTF8", "--locale=C.UTF-8"]), timeout=120)

    def _pg_ctl(self, *args: str) -> list[str]:
        return as_owner([str(self.bindir / "pg_ctl"), "-D", str(self.data), *args])

    def status(self) -> int:
        """pg_ctl status: 0 running, 3 not running, 4 no cluster in `root`."""
        return _run(self._pg_ctl("status"), timeout=30).returncode

    def running(self) -> bool:
        return self.status() == 0

    def start(self) -> None:
        """Returns when the server accepts connections (pg_ctl -w)."""
        _must(as_owner(["mkdir", "-p", str(self.socket_dir)]), timeout=10)
        options = f"-p {self.port} -k {self.socket_dir} {SERVER_SETTINGS}"
        logged = ("-l", str(self.log), "-w", "-t", "60")
        _must(self._pg_ctl(*logged, "-o", options, "start"), timeout=90)

    def create_database(self, name: str = DB_NAME) -> None:
        """Create the database `name` unless it is there (its extensions come with the
        migrations)."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as connection:
            query = "SELECT 1 FROM pg_database WHERE datname = %s"
            if connection.execute(query, [name]).fetchone() is None:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def create(self) -> None:
        """A new cluster in an empty `root`: initdb, start, and the database."""
        self.claim()
        self.init()
        self.start()
        self.create_database()

    def accepts_connections(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.conninfo(), connect_timeout=2) as connection:
                connection.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every connection is cut, then the server starts again. Returns
        when the server accepts connections again (pg_ctl -w, then checked with a query)."""
        logged = ("-l", str(self.log), "-w", "-t", "60")
        _must(self._pg_ctl(*logged, "-m", "fast", "restart"), timeout=90)
        deadline = time.monotonic() + 30
        while not self.accepts_connections():
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not come back within 30 s; see {self.log}")
            time.sleep(0.05)

    def stop(self) -> None:
        """A fast shutdown (connections cut), or an immediate one when that fails; nothing when
        the server is not running."""
        if not (self.initialised and self.running()):
            return
        try:
            _must(self._pg_ctl("-m", "fast", "stop"), timeout=30)
        except (RuntimeError, subprocess.TimeoutExpired):
            _must(self._pg_ctl("-m", "immediate", "stop"), timeout=30)


# Redis


class RedisServer:
    """redis-server on 127.0.0.1:`port`, nothing saved to disk."""

    def __init__(self, binary: str, root: Path, port: int) -> None:
        self.binary = binary
        self.root = root
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.root.mkdir(parents=True, exist_ok=True)
        command = [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.root),
            "--logfile",
            str(self.root / "redis.log"),
        ]
        self.process = subprocess.Popen(command, start_new_session=True)  # noqa: S603
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {self.root / 'redis.log'}")
            try:
                if client.ping():
                    return
            except redis.RedisError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not answer within 20 s")
            time.sleep(0.1)

    def keys(self) -> int:
        import redis

        return int(redis.Redis.from_url(self.url, socket_timeout=2).dbsize())

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# bin/localdb: the project-local cluster for development and tests, in .pg, socket in .pg/run


PROJECT_PG = ROOT / ".pg"
PROJECT_PORT = 54329  # also in codeahead/settings.py (LOCAL_DATABASE)


def localdb_start() -> int:
    """Initialise on first use, start if not running, create the database if missing."""
    if importlib.util.find_spec("psycopg") is None:  # it creates the database, at the end
        raise Unavailable(
            "psycopg is missing: 'make db' builds the virtualenv, then starts the database."
        )
    if os.geteuid() == 0 and not os.path.lexists(PROJECT_PG):
        postgres_user()  # before anything is made: without it, say what to install
        if _run(as_owner(["test", "-x", str(ROOT)]), timeout=10).returncode != 0:
            # The checkout sits where the postgres user cannot go (under /root, say): keep the
            # cluster in /var/tmp and point .pg at it, so every path below stays the same.
            digest = hashlib.md5(str(ROOT).encode(), usedforsecurity=False).hexdigest()[:12]
            outside = Path("/var/tmp") / f"codeahead-pg-{digest}"  # noqa: S108 - ours, by name
            outside.mkdir(parents=True, exist_ok=True)
            PROJECT_PG.symlink_to(outside)
            print(
                f"localdb: {ROOT} is closed to the postgres user; the cluster lives in {outside}",
                flush=True,
            )
    cluster = PostgresCluster.project()
    cluster.claim()
    if os.geteuid() == 0 and not cluster.writable():
        raise Unavailable(
            f"the postgres user cannot write to {PROJECT_PG}: make it writable for postgres, "
            "or set DATABASE_URL."
        )
    if not cluster.initialised:
        print("localdb: creating a PostgreSQL cluster in .pg/data", flush=True)
        cluster.init()
    if not cluster.running():
        try:
            cluster.start()
        except RuntimeError as error:
            print(error, file=sys.stderr)  # pg_ctl's own words
            raise RuntimeError("PostgreSQL did not start; see .pg/server.log") from None
    cluster.create_database()
    return 0


def localdb_stop() -> int:
    PostgresCluster.project().stop()
    return 0


def localdb_status() -> int:
    """0 when running (pg_ctl's status)."""
    return PostgresCluster.project().status()


def localdb_destroy() -> int:
    """Stop the server and delete the cluster, and its /var/tmp home if it has one."""
    cluster = PostgresCluster.project()
    cluster.stop()
    if PROJECT_PG.is_symlink():
        if cluster.root.exists():
            shutil.rmtree(cluster.root)
        PROJECT_PG.unlink()
    elif PROJECT_PG.exists():
        shutil.rmtree(PROJECT_PG)
    return 0


LOCALDB = {
    "start": localdb_start,
    "stop": localdb_stop,
    "status": localdb_status,
    "destroy": localdb_destroy,
}


def main(argv: list[str]) -> int:
    if argv[:1] != ["localdb"] or len(argv) < 2 or argv[1] not in LOCALDB:
        print("usage: bin/localdb start|stop|status|destroy", file=sys.stderr)
        return 2
    try:
        if pg_bindir() is None:
            raise Unavailable(
                "PostgreSQL server is not installed: install it with 'apt-get install "
                "postgresql' (or set DATABASE_URL to an existing database)."
            )
        return LOCALDB[argv[1]]()
    except (Unavailable, RuntimeError, OSError) as error:
        print(f"localdb: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
