"""Posting limits, counted from the database: posts per minute for everyone, new threads per hour
for young accounts. The services refuse with a ValidationError saying when posting works again;
pages keep what was typed."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format

from forums import ratelimits
from forums import services as forum_services
from forums.models import Post, Thread
from tests.factories import make_member, make_thread

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def limits_on(settings):
    settings.FORUM_POSTS_PER_MINUTE = 10
    settings.FORUM_NEW_ACCOUNT_THREADS_PER_HOUR = 3
    settings.FORUM_NEW_ACCOUNT_HOURS = 24


@pytest.fixture
def thread(forum, settings):
    settings.FORUM_POSTS_PER_MINUTE = 0  # built by someone else, outside the test's count
    built = make_thread(forum=forum)
    settings.FORUM_POSTS_PER_MINUTE = 10
    return built


def _expected_time(at) -> str:
    local = timezone.localtime(at)
    if local.second or local.microsecond:
        local = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return time_format(local, "H:i")


def _old_account(user):
    user.date_joined = timezone.now() - timedelta(days=2)
    user.save(update_fields=["date_joined"])
    return user


def test_the_eleventh_post_in_a_minute_is_refused_with_the_time_to_try_again(forum, thread):
    member = _old_account(make_member(region=forum.region))
    for n in range(10):
        forum_services.create_post(actor=member, thread=thread, body=f"Bericht {n}")
    oldest = Post.objects.filter(author=member).order_by("created_at").first().created_at
    with pytest.raises(ValidationError) as refused:
        forum_services.create_post(actor=member, thread=thread, body="Nummer elf")
    message = " ".join(refused.value.messages)
    again = _expected_time(oldest + timedelta(minutes=1))
    assert f"Je kunt weer berichten plaatsen om {again}." in message
    assert Post.objects.filter(author=member).count() == 10
    thread.refresh_from_db()
    assert thread.post_count == 11  # the opening post and ten replies, the refused one nowhere


def test_posts_older_than_a_minute_no_longer_count(forum, thread):
    member = _old_account(make_member(region=forum.region))
    for n in range(10):
        forum_services.create_post(actor=member, thread=thread, body=f"Bericht {n}")
    Post.objects.filter(author=member).update(created_at=timezone.now() - timedelta(seconds=61))
    assert forum_services.create_post(actor=member, thread=thread, body="Weer welkom")


def test_the_limit_is_per_person(forum, thread):
    member, colleague = (_old_account(make_member(region=forum.region)) for _ in range(2))
    for n in range(10):
        forum_services.create_post(actor=member, thread=thread, body=f"Bericht {n}")
    assert forum_services.create_post(actor=colleague, thread=thread, body="Ik mag nog")


def test_a_retried_form_gets_its_post_back_instead_of_a_refusal(forum, thread):
    member = _old_account(make_member(region=forum.region))
    first = forum_services.create_post(actor=member, thread=thread, body="Eén", idempotency_key="k")
    for n in range(9):
        forum_services.create_post(actor=member, thread=thread, body=f"Bericht {n}")
    again = forum_services.create_post(actor=member, thread=thread, body="Eén", idempotency_key="k")
    assert again == first


def test_young_accounts_start_three_threads_an_hour(forum):
    young = make_member(region=forum.region)
    for n in range(3):
        forum_services.create_thread(actor=young, forum=forum, title=f"Vraag {n}", body="Tekst")
    first = Thread.objects.filter(author=young).order_by("created_at").first().created_at
    with pytest.raises(ValidationError) as refused:
        forum_services.create_thread(actor=young, forum=forum, title="Vraag 4", body="Tekst")
    message = " ".join(refused.value.messages)
    assert "Nieuwe accounts starten hoogstens 3 onderwerpen per uur." in message
    assert f"onderwerp starten om {_expected_time(first + timedelta(hours=1))}." in message
    assert Thread.objects.filter(author=young).count() == 3
    # Replies are not new threads.
    assert forum_services.create_post(actor=young, thread=Thread.objects.filter(
        author=young).first(), body="Aanvulling")
    # An hour later, a fourth.
    Thread.objects.filter(author=young).update(created_at=timezone.now() - timedelta(minutes=61))
    assert forum_services.create_thread(actor=young, forum=forum, title="Vraag 4", body="Tekst")


def test_older_accounts_start_threads_freely(forum):
    member = _old_account(make_member(region=forum.region))
    for n in range(5):
        forum_services.create_thread(actor=member, forum=forum, title=f"Vraag {n}", body="Tekst")
    assert Thread.objects.filter(author=member).count() == 5


def test_a_new_thread_also_counts_as_a_post(forum, thread):
    member = _old_account(make_member(region=forum.region))
    for n in range(10):
        forum_services.create_post(actor=member, thread=thread, body=f"Bericht {n}")
    with pytest.raises(ValidationError):
        forum_services.create_thread(actor=member, forum=forum, title="Nog één", body="Tekst")


def test_zero_switches_a_limit_off(forum, thread, settings):
    settings.FORUM_POSTS_PER_MINUTE = 0
    member = make_member(region=forum.region)
    for n in range(12):
        forum_services.create_post(actor=member, thread=thread, body=f"Bericht {n}")
    assert ratelimits.post_available_at(member) is None


def test_the_reply_page_keeps_the_typed_text_and_says_when(client, forum, thread):
    member = _old_account(make_member(region=forum.region))
    for n in range(10):
        forum_services.create_post(actor=member, thread=thread, body=f"Bericht {n}")
    client.force_login(member)
    typed = "Mijn uitgebreide antwoord over peilbuizen"
    response = client.post(reverse("forums:reply", args=[thread.pk]), {"body": typed})
    assert response.status_code == 400
    page = response.content.decode()
    assert typed in page and "Je kunt weer berichten plaatsen om" in page
    assert not Post.objects.filter(body=typed).exists()


def test_the_new_thread_page_keeps_the_typed_text_and_says_when(client, forum):
    young = make_member(region=forum.region)
    for n in range(3):
        forum_services.create_thread(actor=young, forum=forum, title=f"Vraag {n}", body="Tekst")
    client.force_login(young)
    response = client.post(reverse("forums:new_thread", args=[forum.pk]),
                           {"title": "Mijn vierde vraag", "body": "Over kwelwater in de polder",
                            "kind": "discussion"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Mijn vierde vraag" in page and "Over kwelwater in de polder" in page
    assert "Je kunt weer een nieuw onderwerp starten om" in page
    assert not Thread.objects.filter(title="Mijn vierde vraag").exists()


def test_the_refusal_is_marked_as_a_rate_limit_in_the_readers_language(forum, thread):
    from django.utils import translation

    member = _old_account(make_member(region=forum.region))
    for n in range(10):
        forum_services.create_post(actor=member, thread=thread, body=f"Bericht {n}")
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        forum_services.create_post(actor=member, thread=thread, body="Elf")
    assert refused.value.code == "rate_limited"
    assert "You have posted 10 messages in the last minute." in refused.value.messages[0]
    with pytest.raises(ValidationError) as refused_nl:
        forum_services.create_post(actor=member, thread=thread, body="Twaalf")
    assert "Je hebt in de afgelopen minuut 10 berichten geplaatst." in refused_nl.value.messages[0]


def test_the_demo_conversation_loads_with_the_limits_and_the_guard_on(settings):
    from django.core.management import call_command

    settings.MODERATION_NEW_MEMBER_GUARD = True
    call_command("load_demo", verbosity=0)
    assert Post.objects.exists()
    assert not Post.objects.filter(is_pending=True).exists()


def test_posts_waiting_for_approval_count_towards_the_limit(forum, thread, settings):
    settings.MODERATION_NEW_MEMBER_GUARD = True
    newcomer = _old_account(make_member(region=forum.region))
    for n in range(10):
        assert forum_services.create_post(actor=newcomer, thread=thread,
                                          body=f"Bericht {n}").is_pending
    with pytest.raises(ValidationError):
        forum_services.create_post(actor=newcomer, thread=thread, body="Elf")


def test_one_allowed_post_reads_in_the_singular(forum, thread, settings):
    settings.FORUM_POSTS_PER_MINUTE = 1
    member = _old_account(make_member(region=forum.region))
    forum_services.create_post(actor=member, thread=thread, body="Eén")
    with pytest.raises(ValidationError) as refused:
        forum_services.create_post(actor=member, thread=thread, body="Twee")
    assert "Je hebt in de afgelopen minuut 1 bericht geplaatst." in refused.value.messages[0]
