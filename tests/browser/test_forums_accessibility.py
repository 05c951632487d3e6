"""axe-core (WCAG 2.1 A and AA rules) on the forum pages, in Dutch and in English.

One scene has everything the pages can show: tags, a pinned thread, a question with an accepted
answer, reactions, a quote and a mention, an edited post, a report with its three sections and
unread posts. Every page and language is its own test; a failure lists each violation as
test_accessibility.py does.
"""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from forums import services as forum_services
from forums.rendering import quote_markdown
from regions.models import Role
from tests.browser.helpers import (
    LANGUAGES,
    anonymous_at,
    assert_no_axe_violations,
    logged_in_as,
    tr,
)
from tests.factories import make_forums, make_member, make_post, make_region, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Scene:
    def __init__(self):
        self.region = make_region(name="Regio Kromme Rijn")
        self.algemeen, self.verslagen, self.vragen = make_forums(self.region)
        self.moderator = make_member(region=self.region, role=Role.MODERATOR,
                                     display_name="Mona Moderator")
        self.reporter = make_member(region=self.region, role=Role.REPORTER,
                                    display_name="Rik Reporter", organisation="Provincie Utrecht")
        self.member = make_member(region=self.region, display_name="Lotte Lid",
                                  organisation="Waterschap Vechtstromen")
        water = forum_services.create_tag(actor=self.moderator, region=self.region, name="Water")
        bodem = forum_services.create_tag(actor=self.moderator, region=self.region, name="Bodem")
        self.tag = water

        pinned = make_thread(forum=self.vragen, author=self.moderator, tags=[water],
                             title="Welkom: zo werkt dit forum",
                             body="Lees dit eerst. **Vragen** zijn welkom.")
        forum_services.set_thread_flags(actor=self.moderator, thread=pinned, is_pinned=True)
        make_thread(forum=self.vragen, author=self.reporter, title="Terugblik op de bijeenkomst",
                    body="Wat vonden jullie ervan?")

        # A question by the member, answered by the moderator (accepted), with reactions,
        # a quoting reply and an edited opening post.
        self.question = make_thread(
            forum=self.vragen, author=self.member, kind="question", tags=[water, bodem],
            title="Wie heeft ervaring met peilbesluiten?",
            body="Wij starten volgend jaar met een nieuw peilbesluit. Tips?")
        answer = make_post(thread=self.question, author=self.moderator, body=(
            f"Ja, @{self.member.username}: begin vroeg met de grondeigenaren.\n\n"
            "- Keukentafelgesprekken\n- Een vaste contactpersoon\n\n"
            "Zie ook [de handreiking](https://example.org/handreiking)."))
        forum_services.create_post(
            actor=self.reporter, thread=self.question, quote_of=answer,
            body=quote_markdown(author_name=self.moderator.display_name,
                                post_url=answer.get_absolute_url(), body=answer.body)
            + "Helemaal eens.")
        for user, kind in ((self.member, "useful"), (self.reporter, "agree"),
                           (self.member, "thanks")):
            forum_services.toggle_reaction(actor=user, post=answer, kind=kind)
        forum_services.accept_answer(actor=self.member, thread=self.question, post=answer)
        self.opening = self.question.posts.get(position=1)
        forum_services.edit_post(actor=self.member, post=self.opening, body=(
            "Wij starten volgend jaar met een nieuw peilbesluit. Tips? "
            "(Aangevuld: het gaat om het gebied rond Wijk bij Duurstede.)"))

        self.report = make_thread(
            forum=self.verslagen, author=self.reporter, kind="report", tags=[bodem],
            title="Verslag werksessie grondmobiliteit",
            body="Met twaalf collega's spraken we over grond en kavelruil.",
            report={"success_factors": "Een vaste trekker.",
                    "obstacles": "Onzekere financiering.",
                    "lessons": "Begin vroeg met een *kavelruilcoördinator*."})
        self.report_opening = self.report.posts.get(position=1)

        # Unread for the member: a thread they replied in (so watch) got a newer post.
        chat = make_thread(forum=self.algemeen, author=self.moderator,
                           title="Agenda regiodag", body="Wie schuift aan?")
        make_post(thread=chat, author=self.member, body="Ik kom.")
        make_post(thread=chat, author=self.reporter, body="Ik ook, met een collega.")


def _new_thread_with_errors(scene, page, log_in):
    """The reporter's form (report sections too), submitted empty: errors in place."""
    log_in(page.context, scene.reporter)
    page.goto(f"/forum/{scene.verslagen.pk}/nieuw-onderwerp/")
    page.get_by_role("button", name=tr("Publish", page_language(page))).click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("[aria-invalid=true]")).not_to_have_count(0)
    return None  # already there


def page_language(page) -> str:
    cookie = next((c for c in page.context.cookies() if c["name"] == "django_language"), None)
    return cookie["value"] if cookie else "nl"


PAGES = {
    "forum": logged_in_as("member", lambda s: f"/forum/{s.vragen.pk}/"),
    "forum-filtered": anonymous_at(lambda s: f"/forum/{s.vragen.pk}/?kind=question&tag=water"),
    "thread-anonymous": anonymous_at(lambda s: s.question.get_absolute_url()),
    "thread-member": logged_in_as("member", lambda s: s.question.get_absolute_url()),
    "report": anonymous_at(lambda s: s.report.get_absolute_url()),
    "search": anonymous_at("/zoeken/?q=peilbesluit"),
    "latest": logged_in_as("member", "/nieuw/"),
    "unread": logged_in_as("member", "/ongelezen/"),
    "tag": anonymous_at(lambda s: s.tag.get_absolute_url()),
    "new-thread-errors": _new_thread_with_errors,
    "edit-post": logged_in_as("reporter", lambda s: f"/bericht/{s.report_opening.pk}/bewerken/"),
    "history": logged_in_as("member", lambda s: f"/bericht/{s.opening.pk}/geschiedenis/"),
    "manage-forums": logged_in_as("moderator", lambda s: f"/regio/{s.region.slug}/fora/"),
    "profile": logged_in_as("moderator", lambda s: f"/profiel/{s.member.username}/"),
}

def _member_thread_controls(page, lang):
    """The asker's view: reply form, own edit links, pressed reactions, the accepted answer."""
    expect(page.get_by_role("button", name=tr("Post reply", lang))).to_be_visible()
    expect(page.locator(".accepted-answer")).to_be_visible()
    own = page.get_by_role("article", name="Lotte Lid")
    expect(own.get_by_role("link", name=tr("Edit", lang), exact=True)).to_be_visible()
    expect(own.get_by_role("link", name=tr("History", lang))).to_be_visible()
    answer = page.get_by_role("article", name="Mona Moderator")
    expect(answer.get_by_role("button", name=tr("Useful", lang))).to_have_attribute(
        "aria-pressed", "true")
    expect(answer.get_by_role("link", name=tr("Unmark as answer", lang))).to_be_visible()


# What each page must show, so a test cannot pass on an empty or wrong page.
EXPECTED = {
    "forum": lambda p, s, lang: expect(p.locator(".thread-row--pinned")).to_have_count(1),
    "forum-filtered": lambda p, s, lang: expect(
        p.get_by_role("link", name=s.question.title)).to_be_visible(),
    "thread-anonymous": lambda p, s, lang: expect(
        p.locator(".accepted-answer")).to_be_visible(),
    "thread-member": lambda p, s, lang: _member_thread_controls(p, lang),
    "report": lambda p, s, lang: expect(
        p.get_by_role("heading", name=tr("Lessons and recommendations", lang))).to_be_visible(),
    "search": lambda p, s, lang: expect(p.locator(".search-hit mark").first).to_be_visible(),
    "latest": lambda p, s, lang: expect(p.get_by_role("link", name=s.report.title))
    .to_be_visible(),
    "unread": lambda p, s, lang: expect(p.get_by_role("link", name="Agenda regiodag"))
    .to_be_visible(),
    "tag": lambda p, s, lang: expect(p.get_by_role("link", name=s.question.title))
    .to_be_visible(),
    "new-thread-errors": lambda p, s, lang: None,
    "edit-post": lambda p, s, lang: expect(
        p.get_by_label(re.compile(re.escape(tr("Obstacles", lang))))).to_have_value(
        "Onzekere financiering."),
    "history": lambda p, s, lang: expect(p.get_by_role("heading", level=2)).to_have_count(2),
    "manage-forums": lambda p, s, lang: expect(
        p.get_by_role("heading", name=s.verslagen.name)).to_be_visible(),
    "profile": lambda p, s, lang: expect(
        p.get_by_role("link", name=s.question.title)).to_be_visible(),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(PAGES))
def test_forum_page_has_no_axe_violations(name, language, new_context, log_in, axe):
    scene = Scene()
    context = new_context(language=language)
    page = context.new_page()
    url = PAGES[name](scene, page, log_in)
    if url is not None:
        response = page.goto(url)
        assert response.status == 200, f"{url}: {response.status}"
        final = urlsplit(response.url)
        # A reader with unread posts is sent to the first of them (same thread, ?page=N).
        assert final.path == urlsplit(url).path, f"{url} redirected to {response.url}"
    expect(page.locator("html")).to_have_attribute("lang", language)
    EXPECTED[name](page, scene, language)

    assert_no_axe_violations(axe, page, language)
