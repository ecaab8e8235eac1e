"""Helpers for tests that run real threads or real processes against the test database."""

import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

from django.db import connection


def in_parallel(work, items):
    """Run `work(item)` for every item at the same moment, each thread on its own connection."""
    barrier = threading.Barrier(len(items))

    def run(item):
        try:
            barrier.wait()
            return work(item)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(run, items))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The test database as a DATABASE_URL, for server and worker processes started by a test."""
    db = connection.settings_dict
    auth = quote(db["USER"], safe="") + (
        f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    )
    host = quote(db["HOST"] or "", safe="")
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{db['NAME']}"
