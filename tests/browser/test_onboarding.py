"""A newcomer's first day, in a real browser against the real server: sign up, verify the
email address, log in, set up two-factor authentication, join an open region and ask to join
a closed one, which a moderator (logged in with password and TOTP) then approves.

Elements are found by role and accessible name, so the test also checks that every control
has a usable label. The Dutch names come from the translation catalogues the server uses
(helpers.tr/label), so rewording a translation does not break the test.
"""

import re

import pytest
from playwright.sync_api import expect

from regions.models import Membership, MembershipRequest, Role
from tests.browser.helpers import label, totp_code, tr
from tests.factories import PASSWORD, TOTP_SECRET, make_member, make_region

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "anna.de.vries@example.nl"
NEW_PASSWORD = "Kievit-op-het-land-2024"


def test_newcomer_signs_up_secures_account_and_joins_regions(page, new_context, mailbox):
    open_region = make_region(name="Regio Open Veld")
    closed_region = make_region(name="Regio Besloten Polder", is_open=False)
    moderator = make_member(region=closed_region, role=Role.MODERATOR)

    # Sign up, in Dutch (the context's browser language is nl-NL).
    page.goto("/account/signup/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Sign Up"))
    page.get_by_label(label("Email")).fill(EMAIL)
    page.get_by_label(label("Username")).fill("annadevries")
    page.get_by_label(label("Display name")).fill("Anna de Vries")
    page.get_by_label(label("Organisation")).fill("Gemeente Twenterand")
    page.get_by_label(label("Government layer")).select_option(label=tr("Municipality"))
    page.get_by_label(label("Password")).fill(NEW_PASSWORD)
    page.get_by_label(label("Password (again)")).fill(NEW_PASSWORD)
    page.get_by_role("button", name=tr("Sign Up")).click()
    expect(page).to_have_url(re.compile(r"/account/confirm-email/$"))

    # The verification link arrives by email (written to a file by the server process).
    message = mailbox.wait_for(to=EMAIL)
    link = re.search(r"https?://\S+/account/confirm-email/\S+/", message.get_content())
    assert link, message.get_content()
    page.goto(link.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Confirm Email Address"))
    page.get_by_role("button", name=tr("Confirm")).click()
    expect(page).to_have_url(re.compile(r"/account/login/"))

    # Log in with email address and password.
    page.get_by_label(label("Email")).fill(EMAIL)
    page.get_by_label(label("Password")).fill(NEW_PASSWORD)
    page.get_by_role("button", name=tr("Sign In"), exact=True).click()
    expect(page.locator("header").get_by_text("Anna de Vries")).to_be_visible()

    # Two-factor authentication: allauth first asks for the password again.
    page.goto("/account/2fa/totp/activate/")
    expect(page).to_have_url(re.compile(r"/account/reauthenticate/"))
    page.get_by_label(label("Password")).fill(NEW_PASSWORD)
    page.get_by_role("button", name=tr("Confirm")).click()
    expect(page).to_have_url(re.compile(r"/account/2fa/totp/activate/$"))
    secret = page.get_by_label(tr("Authenticator secret")).input_value()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    page.get_by_label(label("Authenticator code")).fill(totp_code(secret))
    page.get_by_role("button", name=tr("Activate")).click()
    # allauth shows the freshly generated recovery codes next.
    expect(page).to_have_url(re.compile(r"/account/2fa/recovery-codes/"))
    expect(page.get_by_label(tr("Unused codes"))).not_to_be_empty()

    # Join the open region at once.
    page.goto(open_region.get_absolute_url())
    page.get_by_role("button", name=tr("Join this region")).click()
    expect(page.get_by_role("status").filter(
        has_text=tr("Welcome to %(region)s!", region=open_region.name))).to_be_visible()
    expect(page.get_by_text(tr("You are a member of this region."))).to_be_visible()

    # Ask to join the closed region.
    page.goto(closed_region.get_absolute_url())
    page.get_by_role("link", name=tr("Request membership")).click()
    page.get_by_label(label("Why would you like to join? (optional)")).fill(
        "Ik werk aan het gebiedsplan voor de polder."
    )
    page.get_by_role("button", name=tr("Send request")).click()
    expect(page).to_have_url(re.compile(re.escape(closed_region.get_absolute_url()) + "$"))
    expect(page.get_by_role("button", name=tr("Withdraw request"))).to_be_visible()
    assert MembershipRequest.objects.filter(
        region=closed_region, user__email=EMAIL, status=MembershipRequest.Status.PENDING
    ).exists()

    # A moderator, at another computer, logs in with password and TOTP code and approves.
    mod_page = new_context().new_page()
    mod_page.goto("/account/login/")
    mod_page.get_by_label(label("Email")).fill(moderator.email)
    mod_page.get_by_label(label("Password")).fill(PASSWORD)
    mod_page.get_by_role("button", name=tr("Sign In"), exact=True).click()
    expect(mod_page).to_have_url(re.compile(r"/account/2fa/authenticate/"))
    mod_page.get_by_label(label("Code")).fill(totp_code(TOTP_SECRET))
    mod_page.get_by_role("button", name=tr("Sign In"), exact=True).click()
    expect(mod_page.locator("header").get_by_text(moderator.display_name)).to_be_visible()
    mod_page.goto(f"/regio/{closed_region.slug}/beheer/")
    request_card = mod_page.get_by_role("article", name="Anna de Vries")
    expect(request_card).to_contain_text("Ik werk aan het gebiedsplan voor de polder.")
    request_card.get_by_role(
        "button", name=tr("Approve %(name)s", name="Anna de Vries")
    ).click()
    expect(mod_page.get_by_role("status").filter(
        has_text=tr("%(name)s is now a member.", name="Anna de Vries"))).to_be_visible()
    expect(mod_page.get_by_text(tr("No open requests."))).to_be_visible()

    # The newcomer reloads the region page and is a member now.
    page.reload()
    expect(page.get_by_text(tr("You are a member of this region."))).to_be_visible()
    assert Membership.objects.filter(
        region=closed_region, user__email=EMAIL, role=Role.MEMBER
    ).exists()
