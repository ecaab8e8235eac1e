"""The site under test: gunicorn processes started the production way, and a browser to use them.

Every address is on 127.0.0.1; every request has a timeout.
"""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
# A real browser's User-Agent: the guest network fingerprint reads its family and version.
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
# The environment the app gets: only these are inherited, so the defaults of settings.py apply
# (rate limits, meter period, connection age) whatever the caller's shell has set.
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def app_env(*, secret_key: str, database_url: str, redis_url: str = "") -> dict[str, str]:
    """Production settings over plain HTTP on this machine (HTTPS=false)."""
    env = {key: os.environ[key] for key in INHERITED if key in os.environ}
    env |= {
        "DJANGO_SETTINGS_MODULE": "codeahead.settings",
        "DEBUG": "false",
        "HTTPS": "false",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        # As behind one proxy (a load balancer): client IPs come from X-Forwarded-For.
        "TRUSTED_PROXY_COUNT": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "LOG_LEVEL": "INFO",
        # One line per request would be tens of thousands of lines; errors are still logged.
        "REQUEST_LOG_LEVEL": "WARNING",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: Message
    body: str


def fetch(url: str, headers: dict[str, str] | None = None, timeout: float = 10) -> Reply:
    """One GET without cookies or redirects followed."""
    return Browser().get(url, headers=headers, timeout=timeout)


class AppServer:
    """One gunicorn master with its sync workers, as `make serve` runs it (gunicorn.conf.py)."""

    def __init__(self, name: str, env: dict[str, str], log: Path, workers: int = 2) -> None:
        self.name = name
        self.port = free_port()
        self.log = log
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
            [str(GUNICORN), "--config", "codeahead/gunicorn.conf.py"],
            cwd=ROOT,
            env=self.env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole, and only it
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"server {self.name} exited; see {self.log}")
            try:
                if fetch(self.base + "/healthz", timeout=2).status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server {self.name} did not answer within {timeout} s")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # gunicorn's graceful stop
            try:
                self.process.wait(timeout=25)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Browser:
    """A person's browser: one cookie jar for the whole site. Cookies belong to the host, not
    the port, so servers A and B on 127.0.0.1 see the same cookies, as behind a load balancer.
    Redirects are not followed, so every status is seen as the server sent it."""

    def __init__(self, host: str = "", client_ip: str = "") -> None:
        """`host` and `client_ip`: the Host and X-Forwarded-For headers a proxy in front of both
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
