"""ops/harness.py: what the scripts that drive the servers share (no server is started here)."""

from pathlib import Path

from ops import harness
from ops.harness import PostgresCluster, app_env


def test_app_env_passes_on_only_the_allowed_variables(monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin")
    monkeypatch.setenv("TZ", "UTC")
    shell = {"METER_PERIOD", "DB_CONN_MAX_AGE", "WEB_CONCURRENCY", "CSRF_TRUSTED_ORIGINS"}
    for name in shell:
        monkeypatch.setenv(name, "from the developer's shell")

    env = app_env(secret_key="s", database_url="postgres://x/y", behind_tls_proxy=True)

    assert env["PATH"] == "/usr/bin"
    assert env["TZ"] == "UTC"
    assert shell & set(env) == set()


def test_app_env_does_not_pass_on_the_shells_redis(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://elsewhere/0")

    env = app_env(secret_key="s", database_url="postgres://x/y", behind_tls_proxy=False)

    assert "REDIS_URL" not in env


def test_app_env_behind_a_tls_proxy_trusts_its_forwarded_proto():
    env = app_env(secret_key="s", database_url="postgres://x/y", behind_tls_proxy=True)

    assert env["SECURE_PROXY_SSL_HEADER"] == "HTTP_X_FORWARDED_PROTO,https"
    assert "HTTPS" not in env
    assert env["DEBUG"] == "false"
    assert env["TRUSTED_PROXY_COUNT"] == "1"
    assert env["REQUEST_LOG_LEVEL"] == "INFO"


def test_app_env_over_plain_http_turns_https_off_and_may_use_redis():
    env = app_env(
        secret_key="s",
        database_url="postgres://x/y",
        behind_tls_proxy=False,
        request_log_level="WARNING",
        redis_url="redis://127.0.0.1:1/0",
    )

    assert env["HTTPS"] == "false"
    assert "SECURE_PROXY_SSL_HEADER" not in env
    assert env["REQUEST_LOG_LEVEL"] == "WARNING"
    assert env["REDIS_URL"] == "redis://127.0.0.1:1/0"


def test_cluster_url_names_its_socket_folder_as_the_host():
    cluster = PostgresCluster(Path("/srv/a b/pg"), 5433)

    assert cluster.url("bench") == "postgres://codeahead@%2Fsrv%2Fa%20b%2Fpg%2Frun:5433/bench"


def test_cluster_starts_on_its_socket_only_without_fsync(monkeypatch, tmp_path):
    commands: list[list[str]] = []
    monkeypatch.setattr(harness, "_must", lambda command, timeout: commands.append(command))
    monkeypatch.setattr(harness, "pg_bindir", lambda: Path("/usr/lib/postgresql/15/bin"))
    cluster = PostgresCluster(tmp_path, 5433)

    cluster.start()

    pg_ctl = commands[-1]
    options = pg_ctl[pg_ctl.index("-o") + 1]
    assert options == (
        f"-p 5433 -k {tmp_path / 'run'} "
        "-c listen_addresses='' -c fsync=off -c synchronous_commit=off"
    )
    assert pg_ctl[-1] == "start"


def test_localdb_without_a_known_command_prints_its_usage(capsys):
    assert harness.main(["localdb"]) == 2
    assert harness.main(["localdb", "restart"]) == 2

    assert capsys.readouterr().err == "usage: bin/localdb start|stop|status|destroy\n" * 2


def test_localdb_without_postgresql_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setattr(harness, "pg_bindir", lambda: None)

    assert harness.main(["localdb", "start"]) == 1

    assert capsys.readouterr().err == (
        "localdb: PostgreSQL server is not installed: install it with 'apt-get install "
        "postgresql' (or set DATABASE_URL to an existing database).\n"
    )


def test_app_env_sends_mail_to_a_local_smtp_sink_when_asked():
    plain = app_env(secret_key="s", database_url="postgres://x/y", behind_tls_proxy=False)
    mail = app_env(
        secret_key="s",
        database_url="postgres://x/y",
        behind_tls_proxy=False,
        smtp_port=2525,
        retry_delays="1,2",
    )

    assert plain["EMAIL_BACKEND"].endswith("console.EmailBackend")
    assert mail["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
    assert (mail["EMAIL_HOST"], mail["EMAIL_PORT"], mail["EMAIL_USE_TLS"]) == (
        "127.0.0.1", "2525", "false",
    )  # fmt: skip
    assert mail["TASKS_RETRY_DELAYS"] == "1,2"
