"""The author withdraws their post waiting for approval, in a real browser and in both
languages: the thread page's Withdraw link, the confirmation, the button; both pages without
axe violations."""

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from forums import services as forum_services
from forums.models import Post
from tests.browser.helpers import LANGUAGES, assert_no_axe_violations, tr
from tests.factories import make_forums, make_member, make_region, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAITING = "Mijn eerste vraag over grondwaterstanden."


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
    assert_no_axe_violations(axe, page, language)
    page.get_by_role("link", name=tr("Withdraw", language), exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        tr("Withdraw your post?", language))
    assert_no_axe_violations(axe, page, language)
    page.get_by_role("button", name=tr("Withdraw", language), exact=True).click()

    expect(page).to_have_url(f"{thread.get_absolute_url()}")
    expect(page.get_by_text(tr("Your post has been withdrawn.", language))).to_be_visible()
    expect(page.get_by_text(WAITING)).to_have_count(0)
    assert not Post.objects.filter(pk=waiting.pk).exists()
