"""axe-core (WCAG 2.1 A and AA rules) on the site's main pages, in Dutch and in English.

Every page and language is its own test; a failure lists each violation with the rule, its
impact, what it means and the elements it found.
"""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from notifications import tokens
from regions import services as region_services
from regions.models import Role
from tests.browser.helpers import (
    LANGUAGES,
    anonymous_at,
    assert_no_axe_violations,
    logged_in_as,
    tr,
)
from tests.factories import PASSWORD, make_member, make_region

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Scene:
    """The people and regions a page needs; the region has a pending request so the
    management page shows its request form too."""

    def __init__(self):
        self.region = make_region(name="Regio Toegankelijk", is_open=False)
        self.moderator = make_member(region=self.region, role=Role.MODERATOR,
                                     display_name="Mona Moderator")
        self.member = make_member(region=self.region, display_name="Lotte Lid",
                                  organisation="Waterschap Vechtstromen")
        self.outsider = make_member(region=make_region(), display_name="Bram Buiten")
        region_services.request_membership(actor=self.outsider, region=self.region,
                                    motivation="Ik werk in de buurt.")


def _mfa_login_step(scene, page, log_in):
    """The login's second step: the password was right, now the TOTP code."""
    page.goto("/account/login/")
    page.locator("#id_login").fill(scene.moderator.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form [type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/account/2fa/authenticate/$"))
    return None  # already there


PAGES = {
    "home": anonymous_at("/"),
    "region-anonymous": anonymous_at(lambda s: s.region.get_absolute_url()),
    "region-member": logged_in_as("member", lambda s: s.region.get_absolute_url()),
    "region-request-form": logged_in_as("outsider",
                                        lambda s: f"/regio/{s.region.slug}/lid-worden/"),
    "member-list": logged_in_as("member", lambda s: f"/regio/{s.region.slug}/leden/"),
    "profile": logged_in_as("member", lambda s: f"/profiel/{s.moderator.username}/"),
    "profile-edit": logged_in_as("member", "/profiel/bewerken/"),
    "signup": anonymous_at("/account/signup/"),
    "login": anonymous_at("/account/login/"),
    "login-mfa-code": _mfa_login_step,
    "reauthenticate": logged_in_as("member", "/account/reauthenticate/"),
    "mfa-totp-setup": logged_in_as("member", "/account/2fa/totp/activate/"),
    "region-manage": logged_in_as("moderator", lambda s: f"/regio/{s.region.slug}/beheer/"),
    "not-found": anonymous_at("/bestaat-niet/"),
    "accessibility-statement": anonymous_at("/toegankelijkheid/"),
    "privacy": anonymous_at("/privacy/"),
    # The moderator has a notification: the outsider's membership request.
    "notifications": logged_in_as("moderator", "/meldingen/"),
    "notification-settings": logged_in_as("member", "/meldingen/voorkeuren/"),
    "unsubscribe": anonymous_at(lambda s: "/meldingen/afmelden/%s/" % tokens.make(s.member.pk,
                                                                                "mention")),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_axe_violations(name, language, new_context, log_in, axe):
    scene = Scene()
    context = new_context(language=language)
    page = context.new_page()
    url = PAGES[name](scene, page, log_in)
    if url is not None:
        response = page.goto(url)
        assert response.status == (404 if name == "not-found" else 200), page.url
        assert urlsplit(response.url).path == url, f"{url} redirected to {response.url}"
    expect(page.locator("html")).to_have_attribute("lang", language)

    assert_no_axe_violations(axe, page, language)


def test_language_switch_button(page):
    page.goto("/privacy/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    page.get_by_role("link", name="English").click()
    expect(page).to_have_url(re.compile(r"/privacy/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert {"name": "django_language", "value": "en"}.items() <= next(
        c for c in page.context.cookies() if c["name"] == "django_language").items()
    page.get_by_role("link", name="Nederlands").click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    assert tr("Accessibility statement") in page.locator("footer").inner_text()
