"""Gunicorn settings for `make serve` and production, read from the environment."""

import multiprocessing
import os

bind = os.environ.get(
    "BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
)
# Sync workers: each request is short and database-bound; two per core keeps both busy.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "20"))
keepalive = int(os.environ.get("WEB_KEEPALIVE", "5"))
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# One request line per request comes from the application's own log (codeahead.requests).
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
wsgi_app = "codeahead.wsgi:application"
# gunicorn's control socket (gunicornc) sits in one per-user path, so two servers on one host
# would collide: it is off unless WEB_CONTROL_SOCKET names a path for this server.
control_socket = os.environ.get("WEB_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
