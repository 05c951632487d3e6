"""Moderation in real browsers against the real server (the moderation issue).

Five people at five computers. Two moderators of the region, Mo and Noor, have its review queue
open; Anna, whose reply shares a phone number, has the home page open; Carla reads the thread.
Bram flags Anna's reply through the thread's "Flag" link and form. Both queues show the post
within two seconds, without a reload. Mo hides it with a reason from the queue; Noor's queue
lets it go live, Carla's thread replaces the text with the hidden notice live, and Anna's bell
rings: her inbox names the action and the reason, in Dutch.

Then: a live refresh keeps a keyboard user's focus, and axe-core (WCAG 2.1 A and AA) checks the
moderation pages in Dutch and in English, as test_accessibility.py does for the others.
"""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from forums import services as forum_services
from forums.models import Post
from moderation import people, posts, region_settings
from moderation.models import AuditEntry, Flag
from regions import services as region_services
from regions.models import Role
from tests.browser.helpers import (
    LANGUAGES,
    LIVE_WITHIN_MS,
    assert_no_axe_violations,
    assert_not_reloaded,
    label,
    logged_in_as,
    mark_page,
    tr,
)
from tests.factories import make_forums, make_member, make_region, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Wie kent een goede bodemadviseur?"
OPENING = "Wij zoeken iemand voor een quickscan van de bodem bij een nieuwe wijk."
OFFENDING = "Bel mijn collega Jan de Vries privé op 06-12345678, die weet alles."
FLAG_TEXT = "Een privénummer van iemand die hier niet meedoet."
HIDE_REASON = "Persoonlijke gegevens van iemand anders: telefoonnummer verwijderd."


def queue_item(page, post: Post):
    return page.locator(f"#queue-items article[aria-labelledby='queue-post-{post.pk}']")


def open_queue(context, region):
    page = context.new_page()
    page.goto(reverse("moderation:region_queue", args=[region.slug]))
    expect(page.get_by_role("heading", level=1)).to_contain_text(region.name)
    expect(page.locator("#moderation-queue [data-live-status]")).to_have_text(tr("Live"))
    expect(page.get_by_text(tr("No flagged posts."))).to_be_visible()
    expect(page.locator("[data-queue-count]")).to_have_text("0")
    mark_page(page)
    return page


def test_flag_reaches_both_queues_and_hiding_reaches_queue_thread_and_author_live(
        new_context, log_in):
    region = make_region(name="Regio Heuvelrug")
    vragen = make_forums(region)[2]
    carla = make_member(region=region, display_name="Carla Cornelis")
    anna = make_member(region=region, display_name="Anna Akker")
    bram = make_member(region=region, display_name="Bram Beek")
    mo = make_member(region=region, role=Role.MODERATOR, display_name="Mo Moderator")
    noor = make_member(region=region, role=Role.MODERATOR, display_name="Noor Nieuwenhuis")
    thread = make_thread(forum=vragen, author=carla, title=TITLE, body=OPENING,
                         kind="question")
    post = forum_services.create_post(actor=anna, thread=thread, body=OFFENDING)
    thread_url = thread.get_absolute_url()

    def person(user):
        context = new_context()
        log_in(context, user)
        return context

    # The two moderators watch the queue; the author is elsewhere on the site; a reader
    # follows the thread.
    mo_page = open_queue(person(mo), region)
    noor_page = open_queue(person(noor), region)

    anna_page = person(anna).new_page()
    anna_page.goto("/")
    bell_count = anna_page.locator("[data-unread-count]")
    expect(bell_count).to_be_hidden()

    carla_page = person(carla).new_page()
    carla_page.goto(thread_url)
    expect(carla_page.locator("[data-live-status]")).to_have_text(tr("Live"))
    carla_post = carla_page.locator(f"#post-{post.pk}")
    expect(carla_post).to_contain_text("06-12345678")
    mark_page(carla_page)

    # Bram flags Anna's reply: the link under her post, the form, a reason.
    bram_page = person(bram).new_page()
    bram_page.goto(thread_url)
    anna_post = bram_page.get_by_role("article", name="Anna Akker")
    anna_post.get_by_role("link", name=tr("Flag"), exact=True).click()
    expect(bram_page).to_have_url(reverse("moderation:flag", args=[post.pk]))
    expect(bram_page.get_by_role("heading", level=1)).to_have_text(tr("Flag a post"))
    bram_page.get_by_label(label("What is wrong with this post?")).select_option(
        Flag.Reason.PRIVACY)
    bram_page.get_by_label(label("Explanation")).fill(FLAG_TEXT)
    bram_page.get_by_role("button", name=tr("Send to the moderators")).click()
    expect(bram_page.get_by_text(tr("Thank you. The moderators will look at this post.")))\
        .to_be_visible()
    assert Flag.objects.filter(post=post, user=bram, is_open=True).exists()

    # Both queues show the flagged post, with Bram's reason, without a reload.
    for page in (mo_page, noor_page):
        item = queue_item(page, post)
        expect(item).to_be_visible(timeout=LIVE_WITHIN_MS)
        expect(item).to_contain_text("Anna Akker")
        expect(item).to_contain_text(TITLE)
        expect(item).to_contain_text(FLAG_TEXT)
        expect(page.locator("[data-queue-count]")).to_have_text("1")  # the header's count
        expect(page.locator("#moderation-queue [data-live-status]")).to_have_text(
            tr("The queue has been updated."))
        assert_not_reloaded(page)

    # Mo hides it from the queue, with a reason for Anna.
    item = queue_item(mo_page, post)
    item.get_by_label(label("Reason (shown to the author; required to hide or delete)"))\
        .fill(HIDE_REASON)
    # Her own page hears the bell too while it follows the redirect; a refresh then would
    # take the confirmation meant for the next page (it did, now and then).
    mo_fetches = []
    mo_page.on("request", lambda r: r.resource_type == "fetch" and mo_fetches.append(r.url))
    item.get_by_role("button", name=tr("Hide"), exact=True).click()
    expect(mo_page.get_by_text(tr("The post is hidden."))).to_be_visible()
    assert mo_fetches == []
    expect(mo_page).to_have_url(reverse("moderation:region_queue", args=[region.slug]))
    expect(queue_item(mo_page, post)).to_have_count(0)
    post.refresh_from_db()
    assert post.is_hidden and post.hidden_by == mo and post.hidden_reason == HIDE_REASON

    # Noor's queue lets the post go, live.
    expect(queue_item(noor_page, post)).to_have_count(0, timeout=LIVE_WITHIN_MS)
    expect(noor_page.get_by_text(tr("No flagged posts."))).to_be_visible()
    expect(noor_page.locator("[data-queue-count]")).to_have_text("0")
    assert_not_reloaded(noor_page)

    # Carla's thread shows the hidden notice instead of the text, live.
    expect(carla_post).to_contain_text(tr("the moderators have hidden this post."),
                                       timeout=LIVE_WITHIN_MS)
    expect(carla_post).not_to_contain_text("06-12345678")
    assert_not_reloaded(carla_page)

    # Anna's bell rings; her inbox says what happened and why, in Dutch.
    expect(bell_count).to_have_text("1", timeout=LIVE_WITHIN_MS)
    expect(bell_count).to_be_visible()
    anna_page.goto(reverse("notifications:inbox"))
    entry = anna_page.locator(".notification-list li").first
    expect(entry.get_by_role("link")).to_contain_text(
        tr("A moderator hid your post in “%(title)s”", title=TITLE))
    expect(entry).to_contain_text(f"{tr('Reason:')} {HIDE_REASON}")
    expect(anna_page.locator("html")).to_have_attribute("lang", "nl")

    # The log has the flag and the decision.
    actions = list(AuditEntry.objects.filter(region=region, object_id=post.pk)
                   .order_by("created_at").values_list("action", "actor"))
    assert actions == [("post.flagged", bram.pk), ("post.hidden", mo.pk)]
    assert post.body == OFFENDING  # kept for the moderators and the author


def test_a_live_refresh_keeps_the_keyboard_focus_of_the_other_moderator(new_context, log_in):
    """Noor tabbed to "Hide" on one flagged post while Mo dismisses the flags on another: her
    queue refreshes live and her focus stays on that button (not thrown back to the top)."""
    region = make_region(name="Regio Focus")
    vragen = make_forums(region)[2]
    anna = make_member(region=region, display_name="Anna Akker")
    bram = make_member(region=region, display_name="Bram Beek")
    mo = make_member(region=region, role=Role.MODERATOR, display_name="Mo Moderator")
    noor = make_member(region=region, role=Role.MODERATOR, display_name="Noor Nieuwenhuis")
    thread = make_thread(forum=vragen, author=anna, title=TITLE, body=OPENING)
    first = forum_services.create_post(actor=anna, thread=thread, body="Eerste twijfelgeval.")
    second = forum_services.create_post(actor=anna, thread=thread, body="Tweede twijfelgeval.")
    for post in (first, second):
        posts.flag_post(actor=bram, post=post, reason=Flag.Reason.OFF_TOPIC)

    context = new_context()
    log_in(context, noor)
    noor_page = context.new_page()
    noor_page.goto(reverse("moderation:region_queue", args=[region.slug]))
    expect(noor_page.locator("#moderation-queue [data-live-status]")).to_have_text(tr("Live"))
    mark_page(noor_page)
    hide_second = queue_item(noor_page, second).get_by_role("button", name=tr("Hide"),
                                                            exact=True)
    hide_second.focus()
    expect(hide_second).to_be_focused()

    context = new_context()
    log_in(context, mo)
    mo_page = context.new_page()
    mo_page.goto(reverse("moderation:region_queue", args=[region.slug]))
    queue_item(mo_page, first).get_by_role("button", name=tr("Dismiss flags")).click()
    expect(mo_page.get_by_text(tr("The flags have been dismissed."))).to_be_visible()

    expect(queue_item(noor_page, first)).to_have_count(0, timeout=LIVE_WITHIN_MS)
    assert_not_reloaded(noor_page)
    expect(queue_item(noor_page, second).get_by_role("button", name=tr("Hide"), exact=True))\
        .to_be_focused()

    # When the item with her focus leaves the queue, focus goes to the list's heading.
    queue_item(mo_page, second).get_by_role("button", name=tr("Dismiss flags")).click()
    expect(queue_item(noor_page, second)).to_have_count(0, timeout=LIVE_WITHIN_MS)
    expect(noor_page.get_by_role("heading", name=re.compile(
        re.escape(tr("Flagged posts"))))).to_be_focused()


# --- Accessibility -------------------------------------------------------------------------
# axe-core (WCAG 2.1 A and AA) on the moderation pages, in Dutch and in English, each filled
# with what it can show: a queue with a flagged post, a post hidden by flags, a membership
# request and a suspension; a log with entries; a member with a suspension and a warning.


class Scene:
    def __init__(self):
        self.region = make_region(name="Regio Toegankelijk Modereren", is_open=False)
        vragen = make_forums(self.region)[2]
        self.moderator = make_member(region=self.region, role=Role.MODERATOR,
                                     display_name="Mona Moderator")
        self.member = make_member(region=self.region, display_name="Lotte Lid",
                                  organisation="Waterschap Vechtstromen")
        self.reader = make_member(region=self.region, display_name="Rik Lezer")
        flaggers = [make_member(region=self.region, display_name=f"Melder {n}")
                    for n in range(3)]
        outsider = make_member(region=make_region(), display_name="Bram Buiten")
        region_services.request_membership(actor=outsider, region=self.region,
                                           motivation="Ik werk in de buurt.")
        thread = make_thread(forum=vragen, author=self.moderator, title=TITLE, body=OPENING)
        self.post = forum_services.create_post(actor=self.member, thread=thread, body=OFFENDING)
        posts.flag_post(actor=flaggers[0], post=self.post,
                        reason=Flag.Reason.PRIVACY, text=FLAG_TEXT)
        # Enough flags hide this one pending review (the queue's "hidden" badge).
        self.spam = forum_services.create_post(actor=self.member, thread=thread,
                                               body="Koop nu goedkope zonnepanelen!")
        for flagger in flaggers:
            posts.flag_post(actor=flagger, post=self.spam,
                            reason=Flag.Reason.SPAM)
        people.suspend(
            actor=self.moderator, user=flaggers[2], region=self.region,
            reason="Herhaaldelijk ongegronde meldingen.",
            ends_at=timezone.now() + timedelta(days=7))
        people.suspend(
            actor=self.moderator, user=self.member, region=self.region,
            reason="Persoonlijke gegevens gedeeld.", ends_at=timezone.now() + timedelta(days=3))
        people.warn(actor=self.moderator, user=self.member, region=self.region,
                    message="Deel geen telefoonnummers van anderen.")
        region_settings.update_settings(actor=self.moderator, region=self.region,
                                        flag_threshold=3, approval_posts=0)


def _flag_form_with_errors(scene, page, log_in):
    """"Something else" without an explanation: the form comes back with the error in place."""
    log_in(page.context, scene.reader)
    page.goto(reverse("moderation:flag", args=[scene.post.pk]))
    page.locator("#id_reason").select_option(Flag.Reason.OTHER)
    page.locator("main form [type=submit]").click()
    expect(page.locator("[aria-invalid=true]")).to_have_count(1)
    return None  # already there


MODERATION_PAGES = {
    "queue": logged_in_as("moderator", lambda s: reverse("moderation:region_queue",
                                                          args=[s.region.slug])),
    "audit-log": logged_in_as("moderator", lambda s: reverse("moderation:region_audit",
                                                              args=[s.region.slug])),
    "flag-form": logged_in_as("reader", lambda s: reverse("moderation:flag", args=[s.post.pk])),
    "flag-form-errors": _flag_form_with_errors,
    "moderator-post": logged_in_as("moderator", lambda s: reverse("moderation:post",
                                                                   args=[s.post.pk])),
    "moderator-post-hidden": logged_in_as("moderator", lambda s: reverse("moderation:post",
                                                                          args=[s.spam.pk])),
    "member": logged_in_as("moderator", lambda s: reverse("moderation:member",
                                                           args=[s.member.username])),
}

# What each page must show, so a test cannot pass on an empty or wrong page.
MODERATION_EXPECTED = {
    "queue": lambda p, s, lang: (
        expect(p.locator("#queue-items article.queue-item")).to_have_count(2),
        expect(p.locator("#moderation-queue [data-live-status]")).to_have_text(
            tr("Live", lang)),
    ),
    "audit-log": lambda p, s, lang: expect(p.locator("tbody tr")).not_to_have_count(0),
    "flag-form": lambda p, s, lang: expect(p.get_by_role(
        "button", name=tr("Send to the moderators", lang))).to_be_visible(),
    "flag-form-errors": lambda p, s, lang: expect(p.get_by_role("alert")).to_be_visible(),
    "moderator-post": lambda p, s, lang: expect(p.get_by_role(
        "button", name=tr("Hide", lang), exact=True)).to_be_visible(),
    "moderator-post-hidden": lambda p, s, lang: expect(p.get_by_role(
        "button", name=tr("Keep hidden", lang))).to_be_visible(),
    "member": lambda p, s, lang: expect(p.get_by_role(
        "button", name=tr("Lift now", lang))).to_be_visible(),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(MODERATION_PAGES))
def test_moderation_page_has_no_axe_violations(name, language, new_context, log_in, axe):
    scene = Scene()
    page = new_context(language=language).new_page()
    url = MODERATION_PAGES[name](scene, page, log_in)
    if url is not None:
        response = page.goto(url)
        assert response.status == 200, f"{url}: {response.status}"
        assert urlsplit(response.url).path == url, f"{url} redirected to {response.url}"
    expect(page.locator("html")).to_have_attribute("lang", language)
    MODERATION_EXPECTED[name](page, scene, language)

    assert_no_axe_violations(axe, page, language)
