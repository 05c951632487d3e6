import logging

import pytest
from django.test import Client

from tests.conftest import site_log


@pytest.fixture
def security_log():
    """What the site's own django.security handler (settings.LOGGING) writes."""
    with site_log("django.security") as stream:
        yield stream


@pytest.mark.django_db
def test_too_many_form_fields_is_one_warning_line_without_traceback(security_log):
    fields = {f"field{i}": "x" for i in range(2000)}
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "a" * 32  # so the CSRF check reads the form (and its fields)
    response = client.post("/", fields)

    assert response.status_code == 400
    lines = security_log.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert " WARNING django.security.TooManyFieldsSent " in lines[0]
    assert "Traceback" not in security_log.getvalue()


@pytest.mark.django_db
def test_a_forged_host_header_is_a_warning_too(security_log):
    response = Client().get("/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    output = security_log.getvalue()
    assert " WARNING django.security.DisallowedHost " in output
    assert "Traceback" not in output and " ERROR " not in output


def test_other_security_records_pass_unchanged(security_log):
    logging.getLogger("django.security.csrf").warning("Forbidden (CSRF cookie not set.)")
    logging.getLogger("django.security.something").error("a real error")

    output = security_log.getvalue()
    assert " WARNING django.security.csrf Forbidden" in output
    assert " ERROR django.security.something a real error" in output
