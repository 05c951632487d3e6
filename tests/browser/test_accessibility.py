"""axe-core (WCAG 2.1 A and AA rules) on the site's main pages, in Dutch and in English.

Every page and language is its own test; a failure lists each violation with the rule, its
impact, what it means and the elements it found.
"""

import re
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from notifications import tokens
from regions import services as region_services
from regions.models import Role
from tests.browser.helpers import tr
from tests.factories import PASSWORD, make_member, make_region

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
LANGUAGES = ["nl", "en"]


@pytest.fixture(scope="module")
def axe():
    return Axe()


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


def _anonymous(url):
    return lambda scene, page, log_in: url(scene) if callable(url) else url


def _as(who, url):
    def setup(scene, page, log_in):
        log_in(page.context, getattr(scene, who))
        return url(scene) if callable(url) else url
    return setup


def _mfa_login_step(scene, page, log_in):
    """The login's second step: the password was right, now the TOTP code."""
    page.goto("/account/login/")
    page.locator("#id_login").fill(scene.moderator.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form [type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/account/2fa/authenticate/$"))
    return None  # already there


PAGES = {
    "home": _anonymous("/"),
    "region-anonymous": _anonymous(lambda s: s.region.get_absolute_url()),
    "region-member": _as("member", lambda s: s.region.get_absolute_url()),
    "region-request-form": _as("outsider", lambda s: f"/regio/{s.region.slug}/lid-worden/"),
    "member-list": _as("member", lambda s: f"/regio/{s.region.slug}/leden/"),
    "profile": _as("member", lambda s: f"/profiel/{s.moderator.username}/"),
    "profile-edit": _as("member", "/profiel/bewerken/"),
    "signup": _anonymous("/account/signup/"),
    "login": _anonymous("/account/login/"),
    "login-mfa-code": _mfa_login_step,
    "reauthenticate": _as("member", "/account/reauthenticate/"),
    "mfa-totp-setup": _as("member", "/account/2fa/totp/activate/"),
    "region-manage": _as("moderator", lambda s: f"/regio/{s.region.slug}/beheer/"),
    "not-found": _anonymous("/bestaat-niet/"),
    "accessibility-statement": _anonymous("/toegankelijkheid/"),
    "privacy": _anonymous("/privacy/"),
    # The moderator has a notification: the outsider's membership request.
    "notifications": _as("moderator", "/meldingen/"),
    "notification-settings": _as("member", "/meldingen/voorkeuren/"),
    "unsubscribe": _anonymous(lambda s: "/meldingen/afmelden/%s/" % tokens.make(s.member.pk,
                                                                              "mention")),
}


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}\n  {v['helpUrl']}")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    * {target}\n      {node['html'][:200]}")
            summary = node.get("failureSummary", "").replace("\n", "\n        ")
            if summary:
                lines.append(f"        {summary}")
    return "\n".join(lines)


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

    results = axe.run(page, options=AXE_OPTIONS)

    violations = results.response["violations"]
    assert not violations, (
        f"{len(violations)} axe violation(s) on {page.url} ({language}):\n"
        + format_violations(violations)
    )


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
