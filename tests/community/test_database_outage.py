"""The database away for a moment (a PostgreSQL restart): a request answers 503 with
Retry-After and gives back what was typed; a dead pooled connection is replaced unseen."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.conftest import site_log
from tests.factories import make_forums, make_member, make_thread
from tests.pg import terminate_every_connection, terminate_own_connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TYPED = "Mijn zorgvuldig getypte reactie,\nover twee regels."


@pytest.fixture
def reply_setup():
    forum = make_forums()[2]
    thread = make_thread(forum=forum)
    client = Client(raise_request_exception=False)
    client.force_login(make_member(region=forum.region))
    client.get(thread.get_absolute_url())  # the CSRF cookie, as a reader has it
    yield client, thread
    connection.close()  # the terminated one; the next test draws a fresh one


@pytest.fixture
def request_log():
    """What the site's own django.request handler (settings.LOGGING) writes."""
    with site_log("django.request") as stream:
        yield stream


def post_reply(client, thread, **headers):
    return client.post(reverse("forums:reply", args=[thread.pk]),
                       {"body": TYPED, "idempotency_key": "k" * 32}, headers=headers)


def test_a_reply_while_the_database_is_away_is_a_503_that_keeps_the_text(reply_setup):
    client, thread = reply_setup
    terminate_own_connection()

    response = post_reply(client, thread)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    page = response.content.decode()
    assert "<textarea" in page and 'name="body"' in page
    assert "Mijn zorgvuldig getypte reactie,\nover twee regels.</textarea>" in page
    assert f'action="{reverse("forums:reply", args=[thread.pk])}"' in page
    assert 'name="idempotency_key" value="' + "k" * 32 + '"' in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    # Sent again once the database is back: accepted with the token the page gave.
    connection.close()
    enforcing = Client(enforce_csrf_checks=True)
    enforcing.cookies = client.cookies
    again = enforcing.post(reverse("forums:reply", args=[thread.pk]),
                           {"body": TYPED, "idempotency_key": "k" * 32,
                            "csrfmiddlewaretoken": token})
    assert again.status_code == 302
    assert thread.posts.filter(body=TYPED).count() == 1


def test_the_503_is_one_warning_line_in_the_log(reply_setup, request_log):
    client, thread = reply_setup
    terminate_own_connection()

    assert post_reply(client, thread).status_code == 503

    lines = request_log.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert " WARNING django.request Service Unavailable: /onderwerp/" in lines[0]
    assert "(database unavailable: terminating connection due to administrator command" \
        in lines[0]


def test_the_live_client_gets_a_json_503(reply_setup):
    client, thread = reply_setup
    terminate_own_connection()

    response = post_reply(client, thread, X_Requested_With="fetch")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"] == "database_unavailable"
    assert response.json()["retry_after"] == 5


def test_an_error_that_leaves_the_connection_usable_is_not_an_outage():
    from django.db.utils import OperationalError

    from community.views import database_unavailable

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    timeout = OperationalError("canceling statement due to statement timeout")
    assert not database_unavailable(timeout)  # a 500, with its traceback in the log
    assert not database_unavailable(ValueError("not a database error"))

    terminate_own_connection()
    with pytest.raises(OperationalError) as lost, connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert database_unavailable(lost.value)
    connection.close()


def test_dead_idle_connections_in_the_pool_are_replaced(reply_setup):
    client, thread = reply_setup
    connection.close()  # back to the pool, idle: what a restart finds
    assert terminate_every_connection() >= 1

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert client.get(thread.get_absolute_url()).status_code == 200
