"""The edge of every live socket: what a refused, broken or hostile handshake or frame gets
(docs/live-protocol.md §2 and §7). Each answer is a documented error frame or close code, never
a traceback, and a client can tell "try again" from "go away"."""

import json
import logging

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from community.asgi import application
from live.consumers import MAX_NESTING, RATE_BURST, CloseCode, too_deep
from tests.community.test_redis_outage import redis_down  # noqa: F401 - a fixture
from tests.live.conftest import make_communicator
from tests.live.test_thread_socket import public_question


def ping_socket(**kwargs) -> WebsocketCommunicator:
    return make_communicator("/ws/ping/", **kwargs)


# --- frames ----------------------------------------------------------------------------------

def test_the_nesting_scan_counts_brackets_outside_strings_only():
    deep = "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1)
    assert too_deep(deep)
    assert too_deep(deep.encode())
    assert not too_deep("[" * MAX_NESTING + "]" * MAX_NESTING)
    assert not too_deep(json.dumps({"type": "ping", "text": "[" * 1000}))
    assert not too_deep(json.dumps({"type": "ping", "text": '\\"' + "{" * 1000}))
    assert too_deep('["\\\\", ' + deep + "]")  # an escaped backslash ends before the quote
    assert not too_deep(json.dumps([[] for _ in range(5000)]))  # many, but shallow


@pytest.mark.django_db(transaction=True)
async def test_a_deeply_nested_frame_gets_an_error_frame_and_the_socket_stays_open(caplog):
    communicator = ping_socket()
    connected, _ = await communicator.connect()
    assert connected
    levels = 30_000  # 60 KB, under the 64 KiB frame limit
    frame = '{"type": "ping", "a": ' + "[" * levels + "]" * levels + "}"
    assert len(frame) < 64 * 1024
    await communicator.send_to(text_data=frame)
    assert await communicator.receive_json_from() == {"type": "error", "code": "too_deep"}
    await communicator.send_to(bytes_data=frame.encode())
    assert await communicator.receive_json_from() == {"type": "error", "code": "too_deep"}
    await communicator.send_json_to({"type": "ping", "a": [[[1]]]})  # nesting within reason
    assert await communicator.receive_json_from() == {"type": "pong"}
    await communicator.disconnect()
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.django_db(transaction=True)
async def test_a_flooding_socket_is_logged_once_not_once_per_frame(caplog):
    communicator = ping_socket()
    connected, _ = await communicator.connect()
    assert connected
    with caplog.at_level(logging.WARNING, logger="live.consumers"):
        for _ in range(RATE_BURST + 900):  # faster than any refill: one burst
            await communicator.send_json_to({"type": "ping"})
        code = None
        while code is None:
            output = await communicator.receive_output(timeout=5)
            if output["type"] == "websocket.close":
                code = output["code"]
        assert code == CloseCode.RATE_LIMITED
        assert await communicator.receive_nothing(timeout=0.5)  # nothing after the close
    flooding = [r for r in caplog.records if "flooding" in r.getMessage()]
    assert len(flooding) == 1
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_frames_after_an_oversized_one_are_neither_answered_nor_logged(caplog):
    communicator = ping_socket()
    connected, _ = await communicator.connect()
    assert connected
    with caplog.at_level(logging.WARNING, logger="live.consumers"):
        for _ in range(5):
            await communicator.send_to(text_data='"' + "a" * (64 * 1024) + '"')
        await communicator.send_json_to({"type": "ping"})
        output = await communicator.receive_output(timeout=3)
        assert output == {"type": "websocket.close", "code": CloseCode.FRAME_TOO_BIG}
        assert await communicator.receive_nothing(timeout=0.5)
    assert len([r for r in caplog.records if "refused" in r.getMessage()]) == 1
    await communicator.disconnect()


# --- the channel layer away at the handshake --------------------------------------------------

@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("logged_in", [False, True])
async def test_a_handshake_while_redis_is_down_opens_and_closes_4503(
        redis_down, session_for, logged_in, caplog):  # noqa: F811 - the fixture
    """Not the 403 of a foreign Origin: a client must be able to tell "try again later"."""
    thread, _asker, other, _moderator = await public_question()
    session_key = await session_for(other) if logged_in else None
    communicator = make_communicator(f"/ws/threads/{thread.pk}/", session_key=session_key)
    connected, _ = await communicator.connect(timeout=10)
    assert connected, "the handshake was refused (HTTP 403)"
    output = await communicator.receive_output(timeout=10)
    assert output == {"type": "websocket.close", "code": CloseCode.UNAVAILABLE}
    await communicator.disconnect()
    assert "Traceback" not in caplog.text
    assert "channel layer unavailable" in caplog.text


@pytest.mark.django_db(transaction=True)
async def test_the_ping_socket_works_while_redis_is_down(redis_down):  # noqa: F811
    communicator = ping_socket()
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    await communicator.send_json_to({"type": "ping"})
    assert await communicator.receive_json_from(timeout=5) == {"type": "pong"}
    await communicator.disconnect()




# --- the Origin check --------------------------------------------------------------------------

SITE = "http://127.0.0.1:8000"  # SITE_URL of the tests, as in `make run`

ORIGINS = [
    # (Host header, X-Forwarded-Proto, Origin, accepted)
    (None, None, SITE, True),  # SITE_URL's origin
    ("127.0.0.1:8000", None, SITE, True),  # make run
    ("127.0.0.1:43127", None, "http://127.0.0.1:43127", True),  # daphne on a random port
    ("127.0.0.1:8080", "http", "http://127.0.0.1:8080", True),  # scripts/prod-local's nginx
    ("localhost:8000", None, "http://localhost:8000", True),
    ("127.0.0.1:8000", None, "http://127.0.0.1:9999", False),  # another port
    (None, None, "http://127.0.0.1:9999", False),
    ("127.0.0.1:8000", None, "https://127.0.0.1:8000", False),  # another scheme
    ("localhost:8000", "https", "http://localhost:8000", False),  # behind TLS: https://
    ("localhost:8000", "https", "https://localhost:8000", True),
    ("evil.example", None, "http://evil.example", False),  # a host not in ALLOWED_HOSTS
    ("127.0.0.1:8000", None, "http://127.0.0.1", False),
    ("127.0.0.1:8000", None, "null", False),
    ("127.0.0.1:8000", None, None, False),  # no Origin at all
    ("127.0.0.1:8000", None, "", False),
]


async def handshake(host: str | None, proto: str | None, origin: str | None) -> bool:
    headers = [(b"origin", origin.encode())] if origin is not None else []
    if host is not None:
        headers.append((b"host", host.encode()))
    if proto is not None:
        headers.append((b"x-forwarded-proto", proto.encode()))
    communicator = WebsocketCommunicator(application, "/ws/ping/", headers=headers)
    connected, _ = await communicator.connect()
    if connected:
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_json_from() == {"type": "pong"}
        await communicator.disconnect()
    return connected


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("host", "proto", "origin", "accepted"), ORIGINS)
async def test_the_origin_must_be_the_sites_own_scheme_host_and_port(
        host, proto, origin, accepted):
    assert await handshake(host, proto, origin) is accepted


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("origin", "accepted"), [
    ("https://werkplaats.example.nl", True),  # CSRF_TRUSTED_ORIGINS
    ("https://forum.werkplaats.example.nl", True),  # its *. entry
    ("http://werkplaats.example.nl", False),
    ("https://werkplaats.example.nl:8443", False),
    ("https://werkplaats.example.nl.evil.example", False),
    ("https://werkplaats.example.com", True),  # SITE_URL
])
async def test_trusted_origins_and_the_site_url_are_accepted_as_the_csrf_check_does(
        settings, origin, accepted):
    settings.ALLOWED_HOSTS = ["werkplaats.example.nl", ".werkplaats.example.nl"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://werkplaats.example.nl",
                                     "https://*.werkplaats.example.nl"]
    settings.SITE_URL = "https://werkplaats.example.com"
    assert await handshake("daphne.internal", None, origin) is accepted


# --- access that ends outside a logout --------------------------------------------------------

PROMISE = 5  # seconds: every way access ends closes the user's sockets within this


def refresh_session_hash(session_key: str, user) -> None:
    """What update_session_auth_hash leaves in the session that changed the password."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import HASH_SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()


@pytest.mark.django_db(transaction=True)
async def test_deactivating_an_account_closes_its_sockets_4401_at_once(open_reader, session_for):
    thread, asker, other, _moderator = await public_question()
    readers = [await open_reader(thread.pk, session_key=await session_for(other))
               for _ in range(2)]
    bystander = await open_reader(thread.pk, session_key=await session_for(asker))

    def deactivate():
        other.is_active = False
        other.save()  # what the admin's change form does

    await sync_to_async(deactivate)()
    for reader in readers:
        assert await reader.close_code(timeout=PROMISE) == CloseCode.SESSION_ENDED
    await bystander.ping()


@pytest.mark.django_db(transaction=True)
async def test_a_new_password_closes_the_users_other_sessions_4401(open_reader, session_for):
    thread, asker, other, _moderator = await public_question()
    elsewhere = await open_reader(thread.pk, session_key=await session_for(other))
    changing_key = await session_for(other)
    changing = await open_reader(thread.pk, session_key=changing_key)
    bystander = await open_reader(thread.pk, session_key=await session_for(asker))

    @sync_to_async
    def change_password():
        from django.db import transaction

        with transaction.atomic():  # the announcement goes after the commit
            other.set_password("een-heel-nieuw-wachtwoord")
            other.save()
            refresh_session_hash(changing_key, other)

    await change_password()
    assert await elsewhere.close_code(timeout=PROMISE) == CloseCode.SESSION_ENDED
    await changing.ping()  # its session holds the new hash: still logged in
    await bystander.ping()
    await changing.nothing(timeout=0.5)


@pytest.mark.django_db(transaction=True)
async def test_changepassword_on_the_command_line_closes_the_sockets(
        open_reader, session_for, monkeypatch):
    from django.core.management import call_command

    thread, _asker, other, _moderator = await public_question()
    reader = await open_reader(thread.pk, session_key=await session_for(other))
    monkeypatch.setattr("getpass.getpass", lambda *args, **kwargs: "Een-nieuw-w8woord-voor-jou")
    await sync_to_async(call_command)("changepassword", other.username, stdout=None)
    assert await reader.close_code(timeout=PROMISE) == CloseCode.SESSION_ENDED


@pytest.mark.django_db(transaction=True)
async def test_an_unannounced_deactivation_is_found_by_the_periodic_recheck(
        open_reader, session_for, monkeypatch):
    from accounts.models import User
    from live import consumers

    monkeypatch.setattr(consumers, "SESSION_RECHECK_SECONDS", 0.2)
    thread, _asker, other, _moderator = await public_question()
    reader = await open_reader(thread.pk, session_key=await session_for(other))
    await sync_to_async(User.objects.filter(pk=other.pk).update)(is_active=False)  # no save()
    assert await reader.close_code(timeout=2) == CloseCode.SESSION_ENDED


@pytest.mark.django_db
def test_only_a_deactivation_or_a_new_password_is_announced(
        broadcasts, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from accounts.models import User
    from live import broadcast
    from tests.factories import make_user

    user = make_user()
    changed = [(broadcast.user_group(user.pk), {"type": "account.changed"})]
    with django_capture_on_commit_callbacks(execute=True):
        user.first_name = "Anders"
        user.save()
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
        User.objects.get(pk=user.pk).save()
        User.objects.only("username").get(pk=user.pk).save()
    assert broadcasts == []
    with django_capture_on_commit_callbacks(execute=True):
        user.set_password("een-heel-nieuw-wachtwoord")
        user.save()
    assert broadcasts == changed
    broadcasts.clear()
    with django_capture_on_commit_callbacks(execute=True):
        user.is_active = False
        user.save()
        user.save()  # still inactive: no second announcement
    assert broadcasts == changed
    broadcasts.clear()
    with django_capture_on_commit_callbacks(execute=True):
        user.is_active = True
        user.save()
    assert broadcasts == []
