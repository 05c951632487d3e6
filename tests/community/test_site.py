import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_production_settings_pass_check_deploy():
    """DEBUG off, a real secret and hosts: `check --deploy` has nothing to say."""
    env = {k: v for k, v in os.environ.items() if k not in ("LOCAL_HTTP", "DEBUG")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "community.settings",
        "SECRET_KEY": "k" * 20 + "-a-long-random-production-secret-" + "Zq8#xV2!pL" * 3,
        "DEBUG": "0", "ALLOWED_HOSTS": "werkplaats.example.nl",
        "CSRF_TRUSTED_ORIGINS": "https://werkplaats.example.nl",
    })
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_security_headers_and_csp_without_inline_scripts(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    html = response.content.decode()
    # Every script is an external file: no inline code for the CSP to allow.
    import re

    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag, tag


def test_language_switch_remembers_english(client):
    assert "Regio" in client.get("/").content.decode()
    response = client.get(reverse("switch_language", args=["en"]), {"next": "/regio/twente/"})
    assert response.status_code == 302 and response["Location"] == "/regio/twente/"
    evil = client.get(reverse("switch_language", args=["en"]), {"next": "https://evil.example/"})
    assert evil["Location"] == "/"
    assert client.get(reverse("switch_language", args=["xx"])).status_code == 404
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Skip to content" in html


def test_dutch_is_the_default(client):
    html = client.get("/").content.decode()
    assert '<html lang="nl">' in html
    assert "Naar de inhoud" in html


@pytest.mark.parametrize("url", ["/toegankelijkheid/", "/privacy/", "/zoeken/?q=veen"])
def test_information_pages_render(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "<h1>" in response.content.decode()


def test_accessibility_and_privacy_pages_have_real_content(client):
    accessibility = client.get("/toegankelijkheid/").content.decode()
    privacy = client.get("/privacy/").content.decode()
    assert "WCAG" in accessibility
    assert "Autoriteit Persoonsgegevens" in privacy


def test_search_query_is_escaped(client):
    html = client.get("/zoeken/", {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.urls("tests.community.broken_urls")
def test_server_error_is_a_site_page_without_traceback(client):
    client.raise_request_exception = False
    response = client.get("/broken/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "boom-secret-detail" not in html and "Traceback" not in html


def test_csrf_failure_is_a_friendly_page(client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("account_login"), {"login": "x@example.nl", "password": "x"})
    assert response.status_code == 403
    assert "Traceback" not in response.content.decode()


def test_healthz(client):
    assert client.get("/healthz").content == b"ok"


def test_admin_requires_a_second_factor(client):
    staff = make_user(staff=True, mfa=False)
    client.force_login(staff)
    response = client.get("/beheer/")
    assert response.status_code == 302
    follow = client.get(response["Location"])
    assert follow.status_code == 302
    assert follow["Location"].startswith(reverse("mfa_activate_totp"))
    client.force_login(make_user(staff=True, mfa=True))
    assert client.get("/beheer/").status_code == 200


def test_admin_login_form_is_not_a_way_around_mfa(client):
    response = client.get("/beheer/login/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_an_english_browser_still_gets_dutch_until_english_is_chosen(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="nl">' in html
    client.cookies["django_language"] = "en"
    assert '<html lang="en">' in client.get("/").content.decode()
    client.cookies["django_language"] = "xx"
    assert '<html lang="nl">' in client.get("/").content.decode()
