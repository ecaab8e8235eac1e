"""Throwaway services for `make faults`: a PostgreSQL cluster and a Redis server of our own.

Both live in a temporary folder and listen where nobody else does (PostgreSQL on a Unix socket in
that folder, Redis on a free loopback port). The project's own cluster in .pg is never touched.
PostgreSQL refuses to run as root, so as root its commands run as the `postgres` user, the way
bin/localdb does it.
"""

import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import psycopg

DB_USER = "codeahead"
DB_NAME = "codeahead"


def say(message: str) -> None:
    print(f"faults: {message}", flush=True)


def find_pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for bindir in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (bindir / name).is_file():
            return str(bindir / name)
    raise SystemExit(
        f"faults: {name} is missing: install PostgreSQL's server with 'apt-get install postgresql'."
    )


def _as_owner(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres user."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _run(command: list[str], timeout: float) -> None:
    done = subprocess.run(  # noqa: S603 - our own command line
        command,
        cwd="/",  # the postgres user may not be allowed into the checkout
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        start_new_session=True,  # Ctrl-C in the terminal reaches this script, not the database
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")


class PostgresCluster:
    """A cluster in `root`: data in root/data, its Unix socket in root/run, no TCP listener."""

    def __init__(self, root: Path, port: int) -> None:
        self.root = root
        self.data = root / "data"
        self.socket_dir = root / "run"
        self.log = root / "postgres.log"
        self.port = port
        self.pg_ctl = find_pg_bin("pg_ctl")
        self.initdb = find_pg_bin("initdb")
        self.started = False

    @property
    def url(self) -> str:
        """DATABASE_URL for the app: the socket folder percent-encoded as the host."""
        return f"postgres://{DB_USER}@{quote(str(self.socket_dir), safe='')}:{self.port}/{DB_NAME}"

    def conninfo(self, dbname: str = DB_NAME) -> str:
        return f"host={self.socket_dir} port={self.port} user={DB_USER} dbname={dbname}"

    def create(self) -> None:
        """initdb, start, and create the database (its extensions come with the migrations)."""
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        _run(
            _as_owner(
                [
                    self.initdb,
                    "-D",
                    str(self.data),
                    "-U",
                    DB_USER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            timeout=120,
        )
        _run(_as_owner(["mkdir", "-p", str(self.socket_dir)]), timeout=10)
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses='' "
            "-c fsync=off -c synchronous_commit=off"
        )
        _run(
            _as_owner(
                [
                    self.pg_ctl,
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    options,
                    "start",
                ]
            ),
            timeout=90,
        )
        self.started = True
        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {DB_NAME}")

    def accepts_connections(self) -> bool:
        try:
            with psycopg.connect(self.conninfo(), connect_timeout=2) as connection:
                connection.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every connection is cut, then the server starts again. Returns
        when the server accepts connections again (pg_ctl -w, then checked with a query)."""
        _run(
            _as_owner(
                [
                    self.pg_ctl,
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log),
                    "-w",
                    "-t",
                    "60",
                    "-m",
                    "fast",
                    "restart",
                ]
            ),
            timeout=90,
        )
        deadline = time.monotonic() + 30
        while not self.accepts_connections():
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL did not come back within 30 s; see {self.log}")
            time.sleep(0.05)

    def stop(self) -> None:
        if not self.started:
            return
        try:
            _run(_as_owner([self.pg_ctl, "-D", str(self.data), "-m", "fast", "stop"]), timeout=30)
        except (RuntimeError, subprocess.TimeoutExpired):
            _run(
                _as_owner([self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"]),
                timeout=30,
            )
        self.started = False


# Redis


def ensure_redis_server(install: bool) -> str | None:
    """Path of redis-server; installs Debian's package first when `install` and it is missing."""
    found = shutil.which("redis-server")
    if found or not install:
        return found
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        say("redis-server is missing and cannot be installed here (needs root and apt-get)")
        return None
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    command = [apt, "install", "-y", "-q", "--no-install-recommends", "redis-server"]
    say(f"redis-server is missing (FAULTS_REDIS=1): {' '.join(command)}")
    if subprocess.run(command, env=env, check=False).returncode != 0:  # noqa: S603 - fixed
        say(f"{apt} update -q, then the install again")
        subprocess.run([apt, "update", "-q"], env=env, check=True)  # noqa: S603 - fixed
        subprocess.run(command, env=env, check=True)  # noqa: S603 - fixed
    return shutil.which("redis-server")


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
