"""The forums in a real browser against the real server: a member starts a thread, a colleague
at another computer replies with a quote (submitted with the keyboard only) and reacts, the
first member sees both; a regional reporter publishes a report with its three lessons-learned
sections, and the header search finds it with the word highlighted.

Elements are found by role and accessible name; the Dutch names come from the translation
catalogues the server uses (helpers.tr/label).
"""

import re

import pytest
from playwright.sync_api import expect

from forums.models import Post, Reaction, Thread
from regions.models import Role
from tests.browser.helpers import label, tr
from tests.factories import make_forums, make_member, make_region

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Ervaringen met gebiedsgerichte stikstofaanpak"
OPENING = "Wie heeft al een gebiedsproces met agrariërs opgezet? Hoe deden jullie dat?"
REPLY = "Wij begonnen met keukentafelgesprekken; dat werkte goed."
REPORT_TITLE = "Verslag werksessie grondmobiliteit"
REPORT_BODY = "Met twaalf collega's van gemeenten, provincie en waterschap spraken we over grond."
SECTIONS = {
    "Success factors": "Een vaste trekker en korte lijnen met de provincie.",
    "Obstacles": "Onzekerheid over de financiering na 2027.",
    "Lessons and recommendations": "Begin vroeg met een kavelruilcoördinator in het gebied.",
}
SEARCH_WORD = "kavelruilcoördinator"


def _thread_url_pattern() -> re.Pattern:
    return re.compile(r"/onderwerp/\d+/")


def test_thread_reply_with_quote_reaction_report_and_search(new_context, log_in):
    region = make_region(name="Regio Kromme Rijn")
    algemeen, verslagen, _vragen = make_forums(region)
    anna = make_member(region=region, display_name="Anna Akker")
    bram = make_member(region=region, display_name="Bram Beek")
    rosa = make_member(region=region, role=Role.REPORTER, display_name="Rosa Reporter")

    # Anna starts a thread from the region page, through the forum's "Nieuw onderwerp" link.
    anna_context = new_context()
    log_in(anna_context, anna)
    anna_page = anna_context.new_page()
    anna_page.goto(region.get_absolute_url())
    anna_page.get_by_role("link", name=algemeen.name, exact=True).click()
    expect(anna_page.get_by_role("heading", level=1)).to_have_text(algemeen.name)
    anna_page.get_by_role("link", name=tr("New thread")).click()
    expect(anna_page).to_have_url(re.compile(rf"/forum/{algemeen.pk}/nieuw-onderwerp/$"))
    anna_page.get_by_label(label("Title")).fill(TITLE)
    expect(anna_page.get_by_role("radio", name=tr("Discussion"))).to_be_checked()
    anna_page.get_by_label(label("Message")).fill(OPENING)
    anna_page.get_by_role("button", name=tr("Publish")).click()
    expect(anna_page).to_have_url(_thread_url_pattern())
    expect(anna_page.get_by_role("heading", level=1)).to_have_text(TITLE)
    thread = Thread.objects.get(title=TITLE)
    opening = thread.posts.get(position=1)
    thread_url = thread.get_absolute_url()

    # Bram, at another computer, opens the thread and quotes Anna's post.
    bram_context = new_context()
    log_in(bram_context, bram)
    page = bram_context.new_page()
    page.goto(thread_url)
    anna_post = page.get_by_role("article", name="Anna Akker")
    expect(anna_post).to_contain_text(OPENING)
    quote_link = anna_post.get_by_role("link", name=tr("Reply with quote"))
    quote_link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"[?&]quote={opening.pk}#reply$"))
    reply_box = page.get_by_label(label("Your reply"))
    expect(reply_box).to_have_value(re.compile(
        rf"^> \*\*\[Anna Akker\]\({re.escape(opening.get_absolute_url())}\) schreef:\*\*\n>\n"
        rf"> {re.escape(OPENING)}\n\n$"))

    # Keyboard only from here: go to the end of the quote, type, Tab to the button, Enter.
    reply_box.focus()
    page.keyboard.press("Control+End")
    page.keyboard.type(REPLY)
    page.keyboard.press("Tab")
    post_button = page.get_by_role("button", name=tr("Post reply"))
    expect(post_button).to_be_focused()
    page.keyboard.press("Enter")
    bram_post = page.get_by_role("article", name="Bram Beek")
    expect(bram_post).to_contain_text(REPLY)
    reply = Post.objects.get(thread=thread, position=2)
    assert reply.quote_of_id == opening.pk
    assert reply.author_id == bram.pk

    # Bram finds Anna's post useful.
    useful = anna_post.get_by_role("button", name=tr("Useful"))
    expect(useful).to_have_attribute("aria-pressed", "false")
    useful.click()
    expect(useful).to_have_attribute("aria-pressed", "true")
    expect(useful.locator(".reaction__count")).to_have_text("1")
    assert Reaction.objects.filter(post=opening, user=bram, kind="useful").exists()

    # Anna reloads: the quote (a blockquote linking to her post) and the reaction are there.
    anna_page.reload()
    quoted = anna_page.get_by_role("article", name="Bram Beek").locator("blockquote")
    expect(quoted).to_contain_text(OPENING)
    expect(quoted.get_by_role("link", name="Anna Akker")).to_have_attribute(
        "href", opening.get_absolute_url())
    expect(anna_page.get_by_role("article", name="Bram Beek")).to_contain_text(REPLY)
    anna_useful = anna_page.get_by_role("article", name="Anna Akker").get_by_role(
        "button", name=tr("Useful"))
    expect(anna_useful.locator(".reaction__count")).to_have_text("1")
    expect(anna_useful).to_have_attribute("title", "Bram Beek")
    expect(anna_useful).to_have_attribute("aria-pressed", "false")

    # Rosa, the regional reporter (with two-factor authentication), publishes a report.
    rosa_context = new_context()
    log_in(rosa_context, rosa)
    rosa_page = rosa_context.new_page()
    rosa_page.goto(region.get_absolute_url())
    rosa_page.get_by_role("link", name=verslagen.name, exact=True).click()
    rosa_page.get_by_role("link", name=tr("New thread")).click()
    expect(rosa_page).to_have_url(re.compile(rf"/forum/{verslagen.pk}/nieuw-onderwerp/$"))
    expect(rosa_page.get_by_role("radio", name=tr("Report"))).to_be_checked()
    rosa_page.get_by_label(label("Title")).fill(REPORT_TITLE)
    rosa_page.get_by_label(label("Message")).fill(REPORT_BODY)
    for message, text in SECTIONS.items():
        rosa_page.get_by_label(label(message)).fill(text)
    rosa_page.get_by_role("button", name=tr("Publish")).click()
    expect(rosa_page).to_have_url(_thread_url_pattern())
    expect(rosa_page.get_by_role("heading", level=1)).to_have_text(REPORT_TITLE)
    report_post = rosa_page.get_by_role("article", name="Rosa Reporter")
    expect(report_post).to_contain_text(REPORT_BODY)
    headings = report_post.get_by_role("heading", level=2)
    expect(headings).to_have_text([tr(message) for message in SECTIONS])
    for message, text in SECTIONS.items():
        section = report_post.get_by_role("region", name=tr(message))
        expect(section.get_by_role("heading", name=tr(message))).to_be_visible()
        expect(section).to_contain_text(text)

    # The header search finds the report by a word from its lessons, marked in the snippet.
    search_box = rosa_page.get_by_role("searchbox", name=tr("Search the Werkplaats"))
    search_box.fill(SEARCH_WORD)
    search_box.press("Enter")
    expect(rosa_page).to_have_url(re.compile(r"/zoeken/\?q="))
    expect(rosa_page.get_by_role("heading", level=1)).to_have_text(tr("Search"))
    hit = rosa_page.get_by_role("listitem").filter(
        has=rosa_page.get_by_role("link", name=REPORT_TITLE))
    expect(hit).to_have_count(1)
    expect(hit.locator("mark")).to_have_text([SEARCH_WORD])
    hit.get_by_role("link", name=REPORT_TITLE).click()
    expect(rosa_page.get_by_role("heading", level=1)).to_have_text(REPORT_TITLE)
