import subprocess
import sys

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/codes/cpt/0439T/", "/search/?q=pain", "/accounts/login/"])
def test_every_page_sends_the_security_headers(client, path):
    response = client.get(path)

    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_only_inline_script_carries_the_request_nonce(client):
    response = client.get("/codes/cpt/0439T/")
    nonce = response["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]

    html = response.content.decode()
    # The deferred search.js and casepilot.js files, and the schema.org data.
    assert html.count("<script") == 3
    assert html.count("<script src=") == 2 and html.count(" defer></script>") == 2
    assert f'<script type="application/ld+json" nonce="{nonce}">' in html
    assert "style=" not in html


def test_admin_pages_need_no_inline_script_or_style(admin_client):
    html = admin_client.get("/admin/codes/code/add/").content.decode()

    assert "<script>" not in html and "<style" not in html


def production(**env) -> str:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER)"
    )
    base = {"DEBUG": "false", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "codeahead.example"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "codeahead.settings"} | base | env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        check=True,
    )
    return result.stdout.strip()


def test_production_over_tls_sends_hsts_and_secure_cookies():
    assert production(SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https") == (
        "True True True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https')"
    )


def test_plain_http_deployments_can_turn_tls_settings_off():
    assert production(HTTPS="false") == "False False False 0 None"
