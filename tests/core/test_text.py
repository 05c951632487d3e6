"""Form bodies with bytes that are not UTF-8: a field error in the reader's language, what was
typed kept, nothing stored (core/text.py). Raw bodies, as a broken or hostile client
sends them: raw bytes, percent-encoded bytes, multipart."""

from urllib.parse import quote_from_bytes

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from accounts.models import Profile
from core.text import INVALID_TEXT_MESSAGE
from forums.models import Post, Thread
from moderation.models import Flag
from tests.factories import make_member, make_thread

pytestmark = pytest.mark.django_db

BAD = b"\xff\xfe\xc0\xae"
URLENCODED = "application/x-www-form-urlencoded"
BOUNDARY = "grens"
KEPT = "Goed begin é"  # the valid text around the bad bytes comes back, not as "Ã©"


def urlencoded_percent(fields: dict[str, bytes]) -> bytes:
    return b"&".join(name.encode() + b"=" + quote_from_bytes(value).encode()
                     for name, value in fields.items())


def multipart(fields: dict[str, bytes]) -> bytes:
    parts = [b"--" + BOUNDARY.encode() + b'\r\nContent-Disposition: form-data; name="'
             + name.encode() + b'"\r\n\r\n' + value + b"\r\n" for name, value in fields.items()]
    return b"".join(parts) + b"--" + BOUNDARY.encode() + b"--\r\n"


def raw_urlencoded(fields):
    body = b"&".join(name.encode() + b"=" + b"".join(
        part if part == BAD else quote_from_bytes(part).encode()
        for part in _split(value)) for name, value in fields.items())
    return body, URLENCODED


def percent_urlencoded(fields):
    return urlencoded_percent(fields), URLENCODED


def raw_multipart(fields):
    return multipart(fields), f"multipart/form-data; boundary={BOUNDARY}"


def latin1_multipart(fields):
    return multipart(fields), f"multipart/form-data; boundary={BOUNDARY}; charset=latin-1"


def _split(value: bytes) -> list[bytes]:
    pieces = value.split(BAD)
    out = []
    for index, piece in enumerate(pieces):
        if index:
            out.append(BAD)
        out.append(piece)
    return out


ENCODINGS = [raw_urlencoded, percent_urlencoded, raw_multipart, latin1_multipart]
TYPED = KEPT.encode() + BAD + b" einde"


def post_raw(client, url, fields, encoding):
    body, content_type = encoding(fields)
    return client.generic("POST", url, body, content_type=content_type)


def assert_refused_in_the_field(response, field_name):
    # Dutch, once the lead merges /work/notes/h3-strings.po ("Deze tekst bevat tekens die
    # geen geldige tekst zijn."); until then gettext gives the English.
    with translation.override("nl"):
        error = str(INVALID_TEXT_MESSAGE)
    assert response.status_code in (200, 400)
    html = response.content.decode()
    assert html.count(error) == 1
    assert KEPT.replace("é", "&#233;") in html or KEPT in html
    assert "Ã©" not in html and "ÿþ" not in html
    form = response.context["form"]
    assert form.errors[field_name] == [error]


@pytest.mark.parametrize("encoding", ENCODINGS, ids=lambda f: f.__name__)
def test_a_reply_with_invalid_bytes_is_refused_in_its_field(client, forum, encoding):
    thread = make_thread(forum=forum)
    client.force_login(make_member(region=forum.region))
    response = post_raw(client, reverse("forums:reply", args=[thread.pk]),
                        {"body": TYPED, "idempotency_key": b"k1"}, encoding)
    assert_refused_in_the_field(response, "body")
    assert Post.objects.filter(thread=thread).count() == 1


@pytest.mark.parametrize("encoding", ENCODINGS, ids=lambda f: f.__name__)
def test_a_new_thread_with_an_invalid_title_or_body_is_refused(client, forum, encoding):
    client.force_login(make_member(region=forum.region))
    url = reverse("forums:new_thread", args=[forum.pk])
    response = post_raw(client, url, {"title": TYPED, "kind": b"discussion",
                                      "body": b"Een nette tekst."}, encoding)
    assert_refused_in_the_field(response, "title")
    response = post_raw(client, url, {"title": b"Nette titel", "kind": b"discussion",
                                      "body": TYPED}, encoding)
    assert_refused_in_the_field(response, "body")
    assert not Thread.objects.filter(forum=forum).exists()


@pytest.mark.parametrize("encoding", ENCODINGS, ids=lambda f: f.__name__)
def test_an_edit_with_invalid_bytes_changes_nothing(client, forum, encoding):
    author = make_member(region=forum.region)
    thread = make_thread(forum=forum, author=author, title="Titel", body="Origineel")
    post = thread.posts.get()
    client.force_login(author)
    response = post_raw(client, reverse("forums:edit_post", args=[post.pk]),
                        {"title": b"Titel", "body": TYPED}, encoding)
    assert_refused_in_the_field(response, "body")
    post.refresh_from_db()
    assert (post.body, post.edit_count) == ("Origineel", 0)


@pytest.mark.parametrize("encoding", ENCODINGS, ids=lambda f: f.__name__)
def test_profile_fields_with_invalid_bytes_are_refused(client, encoding):
    from tests.factories import make_user

    user = make_user(display_name="Anna de Vries")
    client.force_login(user)
    response = post_raw(client, reverse("accounts:profile_edit"), {
        "display_name": b"Anna de Vries", "organisation": b"Gemeente Ede",
        "government_layer": b"gemeente", "job_title": b"", "bio": TYPED}, encoding)
    assert_refused_in_the_field(response, "bio")
    assert Profile.objects.get(user=user).bio == ""


@pytest.mark.parametrize("encoding", ENCODINGS, ids=lambda f: f.__name__)
def test_a_report_of_a_post_with_invalid_bytes_is_refused(client, forum, encoding):
    post = make_thread(forum=forum).posts.get()
    client.force_login(make_member(region=forum.region))
    response = post_raw(client, reverse("moderation:flag", args=[post.pk]),
                        {"reason": b"privacy", "text": TYPED}, encoding)
    assert_refused_in_the_field(response, "text")
    assert not Flag.objects.exists()


def test_the_message_is_english_for_english_readers(client, forum):
    thread = make_thread(forum=forum)
    client.force_login(make_member(region=forum.region))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = post_raw(client, reverse("forums:reply", args=[thread.pk]),
                        {"body": TYPED}, raw_urlencoded)
    assert "This text contains characters that are not valid text." in \
        response.content.decode()


def test_valid_utf8_bodies_pass_untouched(client, forum):
    thread = make_thread(forum=forum)
    client.force_login(make_member(region=forum.region))
    for encoding in ENCODINGS[:3]:
        body = f"Café {encoding.__name__} 😀".encode()
        response = post_raw(client, reverse("forums:reply", args=[thread.pk]),
                            {"body": body}, encoding)
        assert response.status_code == 302
        assert Post.objects.filter(thread=thread).latest("pk").body == body.decode()
