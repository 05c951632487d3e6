"""The author withdraws their post waiting for approval, in a real browser and in both
languages: the thread page's Withdraw link, the confirmation, the button; both pages without
axe violations."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import override_settings
from playwright.sync_api import expect

from forums import services as forum_services
from forums.models import Post
from tests.browser.helpers import tr
from tests.browser.test_accessibility import AXE_OPTIONS, LANGUAGES, format_violations
from tests.factories import make_forums, make_member, make_region, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAITING = "Mijn eerste vraag over grondwaterstanden."


@pytest.fixture(scope="module")
def axe():
    return Axe()


def _no_violations(axe, page, language):
    violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, (f"{len(violations)} axe violation(s) on {page.url} ({language}):\n"
                            + format_violations(violations))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_author_withdraws_a_waiting_post(language, new_context, log_in, axe):
    region = make_region(name="Regio Intrekken")
    thread = make_thread(forum=make_forums(region)[2], title="Grondwater")
    newcomer = make_member(region=region, display_name="Nieuwe Nel")
    with override_settings(MODERATION_NEW_MEMBER_GUARD=True):
        waiting = forum_services.create_post(actor=newcomer, thread=thread, body=WAITING)
    assert waiting.is_pending

    page = new_context(language=language).new_page()
    log_in(page.context, newcomer)
    page.goto(thread.get_absolute_url())
    expect(page.get_by_text(WAITING)).to_be_visible()
    _no_violations(axe, page, language)
    page.get_by_role("link", name=tr("Withdraw", language), exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        tr("Withdraw your post?", language))
    _no_violations(axe, page, language)
    page.get_by_role("button", name=tr("Withdraw", language), exact=True).click()

    expect(page).to_have_url(f"{thread.get_absolute_url()}")
    expect(page.get_by_text(tr("Your post has been withdrawn.", language))).to_be_visible()
    expect(page.get_by_text(WAITING)).to_have_count(0)
    assert not Post.objects.filter(pk=waiting.pk).exists()
