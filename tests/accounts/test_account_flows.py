import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_invalid_verification_link_offers_a_new_one(client):
    response = client.get("/account/confirm-email/bogus-key/")
    html = response.content.decode()
    assert response.status_code in (200, 404)
    assert reverse("account_email") in html
    assert "Traceback" not in html


def test_bad_password_reset_link_offers_a_new_one(client):
    user = make_user()
    response = client.get(f"/account/password/reset/key/{user.pk}-not-a-token/", follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert reverse("account_reset_password") in html


def test_password_reset_mail_link_sets_a_new_password(client):
    user = make_user(username="herstel")
    client.post(reverse("account_reset_password"), {"email": user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/account/password/reset/key/\S+/)", mail.outbox[0].body)
    response = client.get(link.group(1), follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link.group(1)
    new = "Een-nieuw-wachtwoord-2026"
    client.post(form_url, {"password1": new, "password2": new})
    user.refresh_from_db()
    assert user.check_password(new)


def test_changing_email_needs_verification_of_the_new_address(client):
    user = make_user(username="wissel")
    client.force_login(user)
    client.post(reverse("account_email"), {"action_add": "", "email": "nieuw@example.nl"})
    new = EmailAddress.objects.get(user=user, email="nieuw@example.nl")
    assert not new.verified
    user.refresh_from_db()
    assert user.email == "wissel@example.nl"  # the old address stays until the new one is verified
    assert any("nieuw@example.nl" in m.to for m in mail.outbox)


def test_repeated_failed_logins_are_rate_limited_with_a_clear_message(client):
    user = make_user()
    for _ in range(6):
        client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    html = response.content.decode()
    assert "Te veel inlogpogingen" in html
    assert f'value="{user.email}"' in html


def test_too_many_requests_get_a_site_page(client):
    statuses = [client.post(reverse("account_reset_password"), {"email": "x@example.nl"})
                .status_code for _ in range(8)]
    assert 429 in statuses
    response = client.post(reverse("account_reset_password"), {"email": "x@example.nl"})
    assert response.status_code == 429
    assert 'class="site-header"' in response.content.decode()


def test_login_page_offers_passkeys(client):
    html = client.get(reverse("account_login")).content.decode()
    assert "passkey" in html.lower()
