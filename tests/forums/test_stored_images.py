"""Images from other sites are never loaded: not on the page, not in the live event, not from
HTML stored before the rule (migration 0008), and the CSP would refuse them anyway."""

import importlib
import json

import pytest
from django.apps import apps
from django.conf import settings

from forums import services
from forums.models import Post, ReportSections, ThreadEvent
from tests.factories import make_forums, make_member, make_thread

pytestmark = pytest.mark.django_db

PIXEL = "https://evil.example/pixel.gif?u=x"
LEGACY_IMG = f'<img src="{PIXEL}" alt="Kaart &amp; co" loading="lazy">'
migration = importlib.import_module("forums.migrations.0008_stored_images_become_links")


def test_the_page_and_the_live_event_load_no_image_from_elsewhere(
        client, broadcasts, django_capture_on_commit_callbacks):
    forum = make_forums()[2]
    thread = make_thread(forum=forum)
    with django_capture_on_commit_callbacks(execute=True):
        post = services.create_post(actor=make_member(region=forum.region), thread=thread,
                                    body=f"Kijk: ![Kaart]({PIXEL})")
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "<img" not in page and "evil.example" in page
    assert f'<a href="{PIXEL}" rel="nofollow noopener noreferrer ugc">Kaart</a>' \
        in page
    [(_group, message)] = [(g, e) for g, e in broadcasts if e.get("type") == "thread.event"]
    assert message["event"]["post_id"] == post.pk
    live_html = json.dumps(message["event"]["html"])
    assert "evil.example" in live_html and "<img" not in live_html


def test_the_csp_lets_pages_load_images_from_this_site_and_data_uris_only(client):
    csp = client.get("/")["Content-Security-Policy"]
    [img_src] = [part.split()[1:] for part in csp.split(";") if part.split()[:1] == ["img-src"]]
    # data: stays for allauth's TOTP QR code (an SVG data URI on the set-up page).
    assert sorted(img_src) == ["'self'", "data:"]


def test_stored_html_with_images_becomes_links_and_cached_pages_render_again(client):
    forum = make_forums()[2]
    thread = make_thread(forum=forum, body="Eerste versie")
    post = thread.posts.get()
    assert "Eerste versie" in client.get(thread.get_absolute_url()).content.decode()  # cached
    legacy = f"<p>Zie {LEGACY_IMG}</p>\n"
    Post.objects.filter(pk=post.pk).update(html=legacy)
    ReportSections.objects.create(thread=thread, lessons="x", lessons_html=legacy)
    event = ThreadEvent.objects.filter(thread=thread).last()
    ThreadEvent.objects.filter(pk=event.pk).update(payload={
        **event.payload, "html": {code: f"<article>{legacy}</article>"
                                  for code, _name in settings.LANGUAGES}})
    other = ThreadEvent.objects.create(thread=thread, seq=event.seq + 100, type="x",
                                       payload={"note": "<img zonder html-sleutel"})

    migration.rewrite_stored_images(apps, None)

    link = ('<a href="https://evil.example/pixel.gif?u=x" '
            'rel="nofollow noopener noreferrer ugc">Kaart &amp; co</a>')
    assert Post.objects.get(pk=post.pk).html == f"<p>Zie {link}</p>\n"
    assert ReportSections.objects.get(thread=thread).lessons_html == f"<p>Zie {link}</p>\n"
    assert set(ThreadEvent.objects.get(pk=event.pk).payload["html"].values()) == {
        f"<article><p>Zie {link}</p>\n</article>"}
    assert ThreadEvent.objects.get(pk=other.pk).payload == {"note": "<img zonder html-sleutel"}
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "<img" not in page and link in page  # not the page cached before the migration


@pytest.mark.parametrize(("stored", "expected"), [
    ('<img src="/static/a.png" alt="">', '<a href="/static/a.png">/static/a.png</a>'),
    ('<img alt="a&quot;>b" src="https://a.example/x.png" title="t">',
     '<a href="https://a.example/x.png" rel="nofollow noopener noreferrer ugc">a&quot;&gt;b</a>'),
    ("<IMG alt=\"los\">", "los"),
    ("geen afbeelding", "geen afbeelding"),
])
def test_the_migration_reads_the_tags_the_sanitiser_wrote(stored, expected):
    assert migration.images_as_links(stored) == expected
