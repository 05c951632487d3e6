"""The bell in real browsers: Bram has a page open; Anna mentions him in a reply; within two
seconds his bell shows 1 without a reload; he opens the bell, clicks the notification and lands
on Anna's post, which is then read and the bell goes back to none."""

import re

import pytest
from playwright.sync_api import expect

from forums import services
from forums.models import Post
from tests.browser.helpers import LIVE_WITHIN_MS, label, tr
from tests.factories import make_forums, make_member, make_region, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_mention_rings_the_bell_live_and_leads_to_the_post(new_context, log_in):
    region = make_region(name="Regio Bel")
    forum = make_forums(region)[2]  # public questions
    anna = make_member(region=region, username="anna_bel", display_name="Anna Bel")
    bram = make_member(region=region, username="bram_bel", display_name="Bram Bel")
    thread = make_thread(forum=forum, author=bram, title="Peilbuizen uitlezen",
                         body="Hoe vaak doen jullie dat?")
    for n in range(26):  # enough replies that the mention lands on page 2
        services.create_post(actor=bram, thread=thread, body=f"Tussenstand {n}")

    bram_page = new_context().new_page()
    log_in(bram_page.context, bram)
    bram_page.goto("/")
    count = bram_page.locator("[data-unread-count]")
    expect(count).to_be_hidden()

    anna_page = new_context().new_page()
    log_in(anna_page.context, anna)
    anna_page.goto(thread.get_absolute_url() + "?page=2")
    anna_page.get_by_label(label("Your reply")).fill(
        "Goede vraag @bram_bel, wij doen het elk kwartaal.")
    anna_page.get_by_role("button", name=tr("Post reply")).click()

    expect(count).to_have_text("1", timeout=LIVE_WITHIN_MS)
    expect(count).to_be_visible()
    expect(bram_page.locator("[data-unread-text]")).to_have_text("1 ongelezen melding")

    bram_page.locator(".notifications-menu summary").click()
    item = bram_page.get_by_role("link", name=re.compile("Anna Bel noemde je in"))
    expect(item).to_be_visible()
    item.click()
    post = Post.objects.get(thread=thread, body__contains="@bram_bel")
    expect(bram_page).to_have_url(re.compile(rf"#{post_anchor(post)}$"))
    expect(bram_page.locator(f"#{post_anchor(post)}")).to_contain_text("elk kwartaal")
    expect(bram_page.locator("[data-unread-count]")).to_be_hidden()


def post_anchor(post) -> str:
    from django.test import Client

    location = Client().get(post.get_absolute_url())["Location"]
    return location.rsplit("#", 1)[1]
