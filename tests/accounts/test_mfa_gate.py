"""MFARequired is the one way a power held without a second factor is refused: the permission
modules raise it and MFARequiredMiddleware turns it into the reason and the set-up page, which
comes back to the page that asked. Any other refusal stays a 403."""

from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts import permissions
from accounts.mfa import MFARequired, require_mfa
from tests.accounts.gated_urls import GATE_MESSAGE
from tests.factories import TOTP_SECRET, make_user

pytestmark = pytest.mark.django_db


def _set_up_and_come_back_to(response) -> str:
    """The page the set-up sends the user back to, after checking the redirect goes there."""
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("mfa_activate_totp")
    return parse_qs(location.query)["next"][0]


@pytest.mark.urls("tests.accounts.gated_urls")
def test_mfa_required_from_a_view_sends_to_set_up_with_the_reason_and_the_way_back(client):
    client.force_login(make_user(mfa=False))
    response = client.get("/gated/?page=2")
    assert _set_up_and_come_back_to(response) == "/gated/?page=2"
    assert GATE_MESSAGE in client.get(reverse("home")).content.decode()


@pytest.mark.urls("tests.accounts.gated_urls")
def test_a_plain_permission_denied_stays_a_403_without_a_message(client):
    client.force_login(make_user(mfa=False))
    assert client.get("/refused/").status_code == 403
    assert GATE_MESSAGE not in client.get(reverse("home")).content.decode()


def test_mfa_required_is_a_permission_denied_with_a_default_reason():
    """Where no middleware turns it into the set-up page (a socket, the API) it is a 403."""
    assert issubclass(MFARequired, PermissionDenied)
    assert str(MFARequired())
    assert str(MFARequired("Waarom")) == "Waarom"


def test_require_mfa_passes_with_a_second_factor_only():
    require_mfa(make_user(mfa=True))
    with pytest.raises(MFARequired):
        require_mfa(make_user(mfa=False))


def test_staff_without_a_second_factor_are_sent_from_the_admin_to_set_up_and_back(client):
    staff = make_user(staff=True, mfa=False)
    client.force_login(staff)
    login = client.get(reverse("admin:index"))
    assert login.status_code == 302
    back = _set_up_and_come_back_to(client.get(login["Location"]))
    assert back.startswith(reverse("admin:login"))
    assert "tweestapsverificatie" in client.get(reverse("home")).content.decode()
    TOTP.activate(staff, TOTP_SECRET)
    returned = client.get(back)
    assert (returned.status_code, returned["Location"]) == (302, reverse("admin:index"))


def test_the_admin_gate_asks_staff_only():
    permissions.require_admin_mfa(make_user(mfa=False))  # the admin's own login refuses them
    with pytest.raises(MFARequired):
        permissions.require_admin_mfa(make_user(staff=True, mfa=False))
    assert permissions.can_use_admin(make_user(staff=True, mfa=True))
    assert not permissions.can_use_admin(make_user(staff=True, mfa=False))
    assert not permissions.can_use_admin(make_user(mfa=True))
