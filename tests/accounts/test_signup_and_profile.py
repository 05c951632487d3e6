import re
import time

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.urls import reverse

from accounts.models import Profile, User
from accounts.validators import normalise_display_name
from core.session_clock import LAST_ACTIVITY, LOGGED_IN_AT
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def signup(client, REMOTE_ADDR="127.0.0.1", **overrides):  # noqa: N803 - Django's name
    data = {
        "email": "anna@waterschap.example", "username": "anna", "display_name": "Anna de Vries",
        "organisation": "Waterschap Vechtstromen", "government_layer": "waterschap",
        "password1": PASSWORD, "password2": PASSWORD,
    }
    data.update(overrides)
    return client.post(reverse("account_signup"), data, REMOTE_ADDR=REMOTE_ADDR)


def test_signup_sends_a_verification_mail_and_blocks_login_until_verified(client):
    response = signup(client)
    assert response.status_code == 302
    user = User.objects.get(username="anna")
    assert user.profile.display_name == "Anna de Vries"
    assert user.profile.government_layer == "waterschap"
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/account/confirm-email/\S+/", mail.outbox[0].body).group(0)
    # Not logged in before verification.
    client.logout()
    response = client.post(reverse("account_login"),
                           {"login": "anna@waterschap.example", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    path = link.split("://", 1)[1].split("/", 1)[1]
    client.post("/" + path)
    assert EmailAddress.objects.get(user=user).verified
    client.post(reverse("account_login"), {"login": "anna@waterschap.example",
                                           "password": PASSWORD})
    assert client.session["_auth_user_id"] == str(user.pk)


def test_signup_errors_keep_what_was_typed(client):
    response = signup(client, display_name="x" * 61, password2="something-else")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="anna@waterschap.example"' in html
    assert 'value="Waterschap Vechtstromen"' in html
    assert 'aria-invalid="true"' in html
    assert not User.objects.exists()


def test_wrong_verification_link_says_so(client):
    response = client.get("/account/confirm-email/not-a-real-key/")
    assert response.status_code in (200, 404)
    html = response.content.decode()
    assert "verlopen" in html or "ongeldig" in html


def test_display_names_differing_only_by_case_are_refused(client):
    make_user(display_name="Anna de Vries")
    response = signup(client, display_name="ANNA DE VRIES")
    assert response.status_code == 200
    assert "al in gebruik" in response.content.decode()
    assert Profile.objects.count() == 1


def test_display_names_are_nfkc_normalised_and_lose_bidi_controls():
    assert normalise_display_name("Ａｎｎａ") == "Anna"
    assert normalise_display_name("Anna\u202eseirV") == "AnnaseirV"
    assert normalise_display_name("  Anna \u200b de   Vries ") == "Anna de Vries"


def test_nul_byte_in_profile_is_a_form_error_and_text_is_kept(client):
    user = make_user()
    client.force_login(user)
    response = client.post(reverse("accounts:profile_edit"), {
        "display_name": "Naam\x00", "organisation": "Gemeente Westerveld",
        "government_layer": "gemeente", "job_title": "", "bio": "b" * 1001,
    })
    assert response.status_code == 200
    html = response.content.decode()
    assert "Gemeente Westerveld" in html
    assert "b" * 1001 in html
    user.profile.refresh_from_db()
    assert user.profile.organisation == "Gemeente Testdorp"


def test_profile_edit_saves_and_profile_page_shows_layer_and_regions(client):
    from regions.models import Membership
    from tests.factories import make_region

    user = make_user()
    Membership.objects.create(user=user, region=make_region(name="Regio Profieltest"))
    client.force_login(user)
    response = client.post(reverse("accounts:profile_edit"), {
        "display_name": "Bram Jansen", "organisation": "Provincie Fryslân",
        "government_layer": "provincie", "job_title": "Programmamanager", "bio": "Veenweide.",
    })
    assert response.status_code == 302
    page = client.get(reverse("accounts:profile", args=[user.username])).content.decode()
    assert "Bram Jansen" in page and "Provincie Fryslân" in page
    assert "Provincie" in page and "Regio Profieltest" in page


def test_profiles_are_for_logged_in_colleagues_and_unknown_ones_404(client):
    user = make_user()
    response = client.get(reverse("accounts:profile", args=[user.username]))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    client.force_login(user)
    assert client.get(reverse("accounts:profile", args=["nobody"])).status_code == 404


def test_idle_session_is_logged_out(client, settings):
    user = make_user()
    client.force_login(user)
    assert client.get("/").context["user"].is_authenticated
    session = client.session
    session[LAST_ACTIVITY] = time.time() - settings.SESSION_IDLE_TIMEOUT - 5
    session.save()
    response = client.get("/")
    assert not response.context["user"].is_authenticated
    assert "_auth_user_id" not in client.session


def test_absolute_lifetime_ends_an_active_session(client, settings):
    client.force_login(make_user())
    client.get("/")
    session = client.session
    session[LOGGED_IN_AT] = time.time() - settings.SESSION_ABSOLUTE_LIFETIME - 5
    session.save()
    assert not client.get("/").context["user"].is_authenticated


def test_page_carries_seconds_left_and_keepalive_resets_the_clock(client, settings):
    client.force_login(make_user())
    html = client.get("/").content.decode()
    assert re.search(r'data-session-seconds-left="(\d+)"', html)
    assert 'id="session-warning"' in html and 'role="alertdialog"' in html
    session = client.session
    session[LAST_ACTIVITY] = time.time() - settings.SESSION_IDLE_TIMEOUT + 50
    session.save()
    response = client.post(reverse("accounts:keepalive"))
    assert response.json()["seconds_left"] >= settings.SESSION_IDLE_TIMEOUT - 1
    assert client.session[LAST_ACTIVITY] > time.time() - 5


def test_keepalive_for_anonymous_says_logged_out(client):
    assert client.post(reverse("accounts:keepalive")).status_code == 401


def test_password_reset_does_not_reveal_whether_an_account_exists(client):
    make_user(username="bestaat")
    known = client.post(reverse("account_reset_password"), {"email": "bestaat@example.nl"})
    unknown = client.post(reverse("account_reset_password"), {"email": "nope@example.nl"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


def test_username_must_be_a_plain_mention_handle(client):
    response = signup(client, username="anna<script>")
    assert response.status_code == 200
    assert not User.objects.exists()


def _signup_limit(period: str) -> int:
    for rate in settings.ACCOUNT_RATE_LIMITS["signup"].split(","):
        amount, duration, _per = rate.strip().split("/")
        if duration == period:
            return int(amount)
    raise LookupError(period)


def test_signup_attempts_are_limited_per_address_so_usernames_cannot_be_listed(client):
    make_user(username="bezet")
    limit = _signup_limit("m")
    assert limit <= 10 and _signup_limit("h") <= 60
    for n in range(limit):
        response = signup(client, username=f"probeer{n}", password2="klopt-niet",
                          REMOTE_ADDR="192.0.2.9")
        assert response.status_code == 200
    response = signup(client, username="bezet", REMOTE_ADDR="192.0.2.9")
    assert response.status_code == 429
    html = response.content.decode()
    assert 'class="site-header"' in html and "bezet" not in html
    assert signup(client, username="anders", REMOTE_ADDR="192.0.2.10").status_code != 429
