import os
import subprocess
import sys

from django.conf import settings


def run_settings(**env):
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS"}}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=environment | {"DJANGO_SETTINGS_MODULE": "codeahead.settings", **env},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )


def test_production_refuses_to_start_without_secret_key_and_hosts():
    result = run_settings(DEBUG="false")

    assert result.returncode != 0
    assert "With DEBUG off, set SECRET_KEY and ALLOWED_HOSTS." in result.stderr


def test_production_starts_when_configured():
    result = run_settings(DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="codeahead.example")

    assert result.returncode == 0, result.stderr


def test_only_postgresql_is_accepted():
    result = run_settings(DATABASE_URL="sqlite:///db.sqlite3")

    assert result.returncode != 0
    assert "CodeAhead needs PostgreSQL" in result.stderr


def test_tests_run_on_postgresql():
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def test_rate_limit_counters_live_in_a_cache_every_process_shares():
    backend = settings.CACHES["default"]["BACKEND"]

    assert backend == "django.core.cache.backends.db.DatabaseCache"


def test_redis_url_moves_the_shared_cache_to_redis():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.CACHES['default']['BACKEND'], settings.CACHES['default']['LOCATION'])",
        ],
        env=os.environ
        | {"DJANGO_SETTINGS_MODULE": "codeahead.settings", "REDIS_URL": "redis://r:6379/1"},
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=False,
    )

    assert result.stdout.split() == [
        "django.core.cache.backends.redis.RedisCache",
        "redis://r:6379/1",
    ]


def test_development_key_is_random_per_checkout_and_kept(tmp_path):
    from codeahead.settings import development_secret_key

    path = tmp_path / ".secret_key"
    first = development_secret_key(path)
    again = development_secret_key(path)
    elsewhere = development_secret_key(tmp_path / "other")

    assert first == again != elsewhere
    assert len(first) >= 50
    assert path.stat().st_mode & 0o777 == 0o600


def test_development_settings_never_use_a_public_key():
    from pathlib import Path

    assert settings.SECRET_KEY != "development-only-key-never-used-in-production"
    assert ".secret_key" in (Path(settings.BASE_DIR) / ".gitignore").read_text().split()
    result = run_settings(DEBUG="true")
    assert result.returncode == 0, result.stderr
