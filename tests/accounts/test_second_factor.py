"""Wrong second-factor codes: limited per account and per address (longer than allauth's own
five minutes, and not wiped by a correct code), refused with a clear message, recorded."""

import time

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation

from accounts.forms import TOO_MANY_CODES
from moderation.models import AuditEntry
from tests.browser.helpers import totp_code
from tests.factories import PASSWORD, TOTP_SECRET, make_user

pytestmark = pytest.mark.django_db

with translation.override("nl"):
    TOO_MANY = str(TOO_MANY_CODES)
IP = "192.0.2.44"


def _limit(per: str) -> int:
    """The configured count of ACCOUNT_RATE_LIMITS["mfa_failed"] per "ip" or "key"."""
    for rate in settings.ACCOUNT_RATE_LIMITS["mfa_failed"].split(","):
        amount, _duration, rate_per = rate.strip().split("/")
        if rate_per == per:
            return int(amount)
    raise LookupError(per)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _password_step(user, client: Client | None = None) -> Client:
    client = client or Client()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD},
                           REMOTE_ADDR=IP)
    assert response["Location"] == reverse("mfa_authenticate")
    return client


def _send_code(client: Client, code: str):
    return client.post(reverse("mfa_authenticate"), {"code": code}, REMOTE_ADDR=IP)


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_25_wrong_codes_are_limited_with_a_clear_message_and_a_right_one_waits_too():
    user = make_user(mfa=True)
    client = _password_step(user)
    code = totp_code(TOTP_SECRET)
    pages = [_send_code(client, _wrong(code)).content.decode() for _ in range(25)]
    limited = [TOO_MANY in html for html in pages]
    first = limited.index(True)
    assert 0 < first <= _limit("key") and all(limited[first:])
    assert all("Ongeldige code" in html for html in pages[:first])
    assert 'name="code"' in pages[-1]  # the form is still there, to try again later
    html = _send_code(client, code).content.decode()
    assert TOO_MANY in html and not _logged_in(client)


def test_a_right_code_in_between_does_not_reset_the_count_of_the_account():
    user = make_user(mfa=True)
    spare = RecoveryCodes.activate(user).get_unused_codes()
    code = totp_code(TOTP_SECRET)
    for round_start in range(0, _limit("key"), 4):  # 4: below allauth's 5 in 5 minutes
        client = _password_step(user)
        for _ in range(min(4, _limit("key") - round_start)):
            assert "Ongeldige code" in _send_code(client, _wrong(code)).content.decode()
        html = _send_code(client, spare.pop()).content.decode()
        if round_start + 4 < _limit("key"):
            assert _logged_in(client)
    assert TOO_MANY in html and not _logged_in(client)


def test_wrong_codes_count_per_address_across_accounts():
    """Someone with a list of passwords tries a few codes on each account and keeps a valid
    account of their own to log in with in between (which wipes allauth's per-IP count)."""
    own = make_user(mfa=True)
    spare = RecoveryCodes.activate(own).get_unused_codes()
    code = totp_code(TOTP_SECRET)
    for round_start in range(0, _limit("ip"), 4):  # 4 per account: below every key limit
        victim = _password_step(make_user(mfa=True))
        for _ in range(min(4, _limit("ip") - round_start)):
            assert "Ongeldige code" in _send_code(victim, _wrong(code)).content.decode()
        mine = _password_step(own)
        _send_code(mine, spare.pop())
        if round_start + 4 < _limit("ip"):
            assert _logged_in(mine)
    assert not _logged_in(mine)  # the own account's code too: the address is limited
    fresh = make_user(mfa=True)
    client = _password_step(fresh)
    html = _send_code(client, totp_code(TOTP_SECRET)).content.decode()
    assert TOO_MANY in html and not _logged_in(client)
    assert not AuditEntry.objects.filter(object_id=fresh.pk).exists()


@override_settings(ACCOUNT_RATE_LIMITS={**settings.ACCOUNT_RATE_LIMITS,
                                        "mfa_failed": "2/2s/key,30/h/ip"})
def test_the_form_works_again_once_the_limit_has_run_out():
    user = make_user(mfa=True)
    client = _password_step(user)
    code = totp_code(TOTP_SECRET)
    _send_code(client, _wrong(code))
    _send_code(client, _wrong(code))
    assert TOO_MANY in _send_code(client, code).content.decode()
    time.sleep(2.1)
    _send_code(client, totp_code(TOTP_SECRET))
    assert _logged_in(client)


def test_wrong_codes_are_in_the_audit_log_without_the_code():
    user = make_user(mfa=True)
    client = _password_step(user)
    wrong = _wrong(totp_code(TOTP_SECRET))
    for _ in range(3):
        client.post(reverse("mfa_authenticate"), {"code": wrong}, REMOTE_ADDR=IP,
                    HTTP_USER_AGENT="Firefox/140 (test)")
    entries = AuditEntry.objects.filter(action="mfa.login_failed")
    assert entries.count() == 3
    entry = entries.first()
    assert (entry.object_type, entry.object_id) == ("user", user.pk)
    assert entry.actor is None and entry.region is None
    assert entry.result == AuditEntry.Result.DENIED
    assert (entry.ip_address, entry.user_agent) == (IP, "Firefox/140 (test)")
    values = " ".join(str(v) for v in AuditEntry.objects.values().first().values())
    assert wrong not in values


def test_a_wrong_code_when_confirming_again_is_recorded_with_the_user_as_actor(client):
    user = make_user(mfa=True)
    client.force_login(user)
    response = client.post(reverse("mfa_reauthenticate"),
                           {"code": _wrong(totp_code(TOTP_SECRET))}, REMOTE_ADDR=IP)
    assert "Ongeldige code" in response.content.decode()
    entry = AuditEntry.objects.get(action="mfa.reauthentication_failed")
    assert (entry.actor, entry.object_id, entry.ip_address) == (user, user.pk, IP)
