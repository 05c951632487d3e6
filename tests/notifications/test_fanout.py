"""Who is notified of what: every kind, collapsing, self-actions, permissions at creation and at
display, preferences, mutes, the hourly cap and idempotent retries."""

import pytest
from django.core import mail

from forums import services as forum_services
from forums.models import Reaction, Thread
from notifications import moderation_notices, selectors, tasks
from notifications import services as notification_services
from notifications.kinds import Delivery, Kind
from notifications.models import Notification
from regions import services as region_services
from regions.models import Membership, MembershipRequest, Role
from tests.factories import make_member, make_region, make_user

pytestmark = pytest.mark.django_db


def inbox_of(user, kind=None):
    rows = Notification.objects.filter(recipient=user)
    return list(rows.filter(kind=kind) if kind else rows)


def test_reply_notifies_watchers_and_participants_but_not_the_author(after_commit, region, forums):
    anna, bram, carla, dirk = (make_member(region=region) for _ in range(4))
    with after_commit():
        thread = forum_services.create_thread(actor=anna, forum=forums[0], title="Bodem",
                                              body="Wie weet meer?")
        forum_services.create_post(actor=bram, thread=thread, body="Ik!")
        forum_services.set_thread_watch(user=carla, thread=thread, level="watching")
        forum_services.create_post(actor=bram, thread=thread, body="Nog iets.")

    assert [n.kind for n in inbox_of(anna)] == [Kind.REPLY]  # started it: took part
    assert inbox_of(anna)[0].count == 2
    assert [n.kind for n in inbox_of(carla)] == [Kind.REPLY]
    assert inbox_of(bram) == []  # his own replies
    assert inbox_of(dirk) == []  # neither watching nor taking part


def test_replies_collapse_until_read_then_start_again(after_commit, region, forums):
    anna, bram = make_member(region=region), make_member(region=region)
    with after_commit():
        thread = forum_services.create_thread(actor=anna, forum=forums[0], title="Water",
                                              body="Start")
        first = forum_services.create_post(actor=bram, thread=thread, body="Een")
        for n in range(4):
            forum_services.create_post(actor=bram, thread=thread, body=f"Meer {n}")
    [running] = inbox_of(anna)
    assert running.count == 5
    assert running.post_id == first.pk  # opening leads to the first unread reply
    from django.utils import translation

    from notifications.present import describe
    with translation.override("nl"):
        assert describe(running) == "5 nieuwe reacties in “Water”"

    notification_services.mark_read(user=anna, notification=running)
    with after_commit():
        forum_services.create_post(actor=bram, thread=thread, body="Na het lezen")
    assert sorted(n.count for n in inbox_of(anna)) == [1, 5]


def test_a_retried_fan_out_writes_nothing_twice(after_commit, region, forums):
    anna, bram = make_member(region=region), make_member(region=region)
    with after_commit():
        thread = forum_services.create_thread(actor=anna, forum=forums[0], title="T", body="S")
        post = forum_services.create_post(actor=bram, thread=thread,
                                          body=f"@{anna.username} kijk")
        reply = forum_services.create_post(actor=bram, thread=thread, body="Nog een")
    before = [(n.kind, n.count) for n in Notification.objects.order_by("pk")]
    tasks.fan_out_post.call(post.pk)
    tasks.fan_out_post.call(reply.pk)
    assert [(n.kind, n.count) for n in Notification.objects.order_by("pk")] == before


def test_mention_wins_over_reply_and_only_visible_users_are_mentioned(after_commit, region, forums):
    anna, bram = make_member(region=region), make_member(region=region)
    outsider = make_user(username="buitenstaander")
    with after_commit():
        thread = forum_services.create_thread(actor=anna, forum=forums[0], title="Privé",
                                              body="Alleen leden")
        forum_services.create_post(
            actor=bram, thread=thread,
            body=f"@{anna.username} en @buitenstaander en @bestaatniet, kijk eens")
    assert [n.kind for n in inbox_of(anna)] == [Kind.MENTION]
    # A members-only forum: the non-member is not told, not even that it exists.
    assert inbox_of(outsider) == []


def test_mention_in_a_public_forum_reaches_a_non_member(after_commit, region, forums):
    anna = make_member(region=region)
    outsider = make_user(username="gast")
    with after_commit():
        forum_services.create_thread(actor=anna, forum=forums[2], title="Open vraag",
                                     body="Wat vindt @gast hiervan?")
    assert [n.kind for n in inbox_of(outsider)] == [Kind.MENTION]


def test_quote_notifies_the_quoted_author(after_commit, region, forums):
    anna, bram = make_member(region=region), make_member(region=region)
    with after_commit():
        thread = forum_services.create_thread(actor=anna, forum=forums[0], title="Q", body="S")
        quoted = forum_services.create_post(actor=bram, thread=thread, body="Citeer mij")
        forum_services.create_post(actor=anna, thread=thread, body="> Citeer mij\n\nJa.",
                                   quote_of=quoted)
    assert [n.kind for n in inbox_of(bram)] == [Kind.QUOTE]


def test_new_thread_reaches_forum_and_region_watchers(after_commit, region, forums):
    anna = make_member(region=region)
    forum_watcher, region_watcher = make_member(region=region), make_member(region=region)
    forum_services.set_forum_watch(user=forum_watcher, forum=forums[2], watching=True)
    forum_services.set_region_watch(user=region_watcher, region=region, watching=True)
    with after_commit():
        forum_services.create_thread(actor=anna, forum=forums[2], title="Nieuw", body="Hallo")
    assert [n.kind for n in inbox_of(forum_watcher)] == [Kind.NEW_THREAD]
    assert [n.kind for n in inbox_of(region_watcher)] == [Kind.NEW_THREAD]
    assert inbox_of(anna) == []


def test_a_report_reaches_every_member_of_the_region(after_commit, region, forums):
    reporter = make_member(region=region, role=Role.REPORTER)
    members = [make_member(region=region) for _ in range(3)]
    elsewhere = make_member(region=make_region())
    with after_commit():
        forum_services.create_thread(actor=reporter, forum=forums[1], title="Verslag Markelo",
                                     body="Wat we leerden", kind=Thread.Kind.REPORT)
    for member in members:
        assert [n.kind for n in inbox_of(member)] == [Kind.NEW_REPORT]
    assert inbox_of(elsewhere) == [] and inbox_of(reporter) == []


def test_reactions_are_batched_per_post_and_a_toggle_is_not_counted_twice(after_commit, region,
                                                                          forums):
    author = make_member(region=region)
    fans = [make_member(region=region) for _ in range(3)]
    with after_commit():
        thread = forum_services.create_thread(actor=author, forum=forums[0], title="R", body="S")
        post = thread.posts.get()
        for fan in fans:
            forum_services.toggle_reaction(actor=fan, post=post, kind=Reaction.Kind.USEFUL)
        forum_services.toggle_reaction(actor=fans[0], post=post, kind=Reaction.Kind.USEFUL)
        forum_services.toggle_reaction(actor=fans[0], post=post, kind=Reaction.Kind.USEFUL)
        forum_services.toggle_reaction(actor=fans[0], post=post, kind=Reaction.Kind.AGREE)
        forum_services.toggle_reaction(actor=author, post=post, kind=Reaction.Kind.AGREE)
    [batched] = inbox_of(author)
    assert batched.kind == Kind.REACTION and batched.count == 3
    from django.utils import translation

    from notifications.present import describe
    with translation.override("nl"):
        assert "en 2 collega's" in describe(batched)


def test_accepted_answer_notifies_the_asker(after_commit, region, forums):
    asker, helper, moderator = (make_member(region=region), make_member(region=region),
                                make_member(region=region, role=Role.MODERATOR))
    with after_commit():
        thread = forum_services.create_thread(actor=asker, forum=forums[2], title="Vraag",
                                              body="Hoe?", kind=Thread.Kind.QUESTION)
        answer = forum_services.create_post(actor=helper, thread=thread, body="Zo.")
        forum_services.accept_answer(actor=moderator, thread=thread, post=answer)
    assert Kind.ANSWER_ACCEPTED in [n.kind for n in inbox_of(asker)]


def test_membership_request_and_decision(after_commit):
    region = make_region(is_open=False)
    moderator = make_member(region=region, role=Role.MODERATOR)
    applicant = make_user()
    with after_commit():
        request = region_services.request_membership(actor=applicant, region=region,
                                                     motivation="Ik werk hier")
    [asked] = inbox_of(moderator)
    assert asked.kind == Kind.MEMBERSHIP_REQUEST and asked.membership_request_id == request.pk
    with after_commit():
        region_services.decide_request(actor=moderator, request=request, approve=False,
                                       reason="Alleen voor medewerkers uit de regio")
    [decided] = inbox_of(applicant)
    assert decided.kind == Kind.MEMBERSHIP_DECIDED and decided.action == "declined"
    assert decided.reason == "Alleen voor medewerkers uit de regio"
    assert MembershipRequest.objects.get().status == "declined"


def test_visibility_is_checked_again_when_shown(after_commit, region, forums):
    anna, bram = make_member(region=region), make_member(region=region)
    with after_commit():
        thread = forum_services.create_thread(actor=anna, forum=forums[0], title="Geheim",
                                              body="Alleen leden")
        forum_services.create_post(actor=bram, thread=thread, body=f"@{anna.username}")
    assert selectors.unread_count(anna) == 1
    region_services.leave_region(actor=anna, region=region)
    from django.core.cache import cache
    cache.clear()  # the count is cached for seconds; membership changes do not wait for it
    assert selectors.unread_count(anna) == 0
    assert list(selectors.inbox(anna)) == []
    [row] = inbox_of(anna)
    assert not selectors.can_show(anna, row)


def test_preferences_turn_kinds_off_and_mutes_silence_a_region(after_commit, region, forums):
    anna, bram = make_member(region=region), make_member(region=region)
    notification_services.set_preferences(user=anna, deliveries={Kind.REPLY: Delivery.OFF},
                                          muted_region_ids=[])
    with after_commit():
        thread = forum_services.create_thread(actor=anna, forum=forums[0], title="T", body="S")
        forum_services.create_post(actor=bram, thread=thread, body="Antwoord")
    assert inbox_of(anna) == []

    notification_services.set_preferences(user=anna, deliveries={Kind.REPLY: Delivery.IN_APP},
                                          muted_region_ids=[region.pk])
    with after_commit():
        forum_services.create_post(actor=bram, thread=thread, body="Nog een")
        forum_services.create_post(actor=bram, thread=thread, body=f"@{anna.username} hoi")
    # Muted: the conversation is silent, what is addressed to her is not.
    assert [n.kind for n in inbox_of(anna)] == [Kind.MENTION]


def test_hourly_cap_limits_conversation_kinds(after_commit, region, forums, settings):
    settings.NOTIFICATIONS_HOURLY_CAP = 3
    watcher, author = make_member(region=region), make_member(region=region)
    forum_services.set_forum_watch(user=watcher, forum=forums[2], watching=True)
    with after_commit():
        for n in range(5):
            forum_services.create_thread(actor=author, forum=forums[2], title=f"Draad {n}",
                                         body="Inhoud")
    assert len(inbox_of(watcher, Kind.NEW_THREAD)) == 3
    # Decisions about you are never dropped by the cap.
    request_region = make_region(is_open=False)
    moderator = make_member(region=request_region, role=Role.MODERATOR)
    with after_commit():
        request = region_services.request_membership(actor=watcher, region=request_region)
        region_services.decide_request(actor=moderator, request=request, approve=True)
    assert len(inbox_of(watcher, Kind.MEMBERSHIP_DECIDED)) == 1
    assert Membership.objects.filter(user=watcher, region=request_region).exists()


def test_mentions_notify_at_most_twenty(after_commit, region, forums):
    author = make_member(region=region)
    people = [make_member(region=region) for _ in range(25)]
    body = " ".join(f"@{p.username}" for p in people)
    with after_commit():
        forum_services.create_thread(actor=author, forum=forums[0], title="Iedereen", body=body)
    assert Notification.objects.filter(kind=Kind.MENTION).count() == 20


def test_nothing_is_mailed_for_in_app_kinds(after_commit, region, forums):
    anna, bram = make_member(region=region), make_member(region=region)
    with after_commit():
        thread = forum_services.create_thread(actor=anna, forum=forums[0], title="T", body="S")
        forum_services.toggle_reaction(actor=bram, post=thread.posts.get(),
                                       kind=Reaction.Kind.THANKS)
    assert inbox_of(anna) and mail.outbox == []


def test_moderation_action_reaches_the_author_with_the_reason(after_commit, region, forums):
    author = make_member(region=region)
    moderator = make_member(region=region, role=Role.MODERATOR)
    with after_commit():
        thread = forum_services.create_thread(actor=author, forum=forums[0], title="Te ver",
                                              body="S")
    with after_commit():
        moderation_notices.notify_moderation_action(
            action="locked", actor=moderator, recipient=author, reason="Uitgepraat",
            thread=thread)
        moderation_notices.notify_moderation_action(  # one's own action: nothing
            action="locked", actor=author, recipient=author, thread=thread)
    [told] = inbox_of(author, Kind.MODERATION)
    assert told.reason == "Uitgepraat" and told.action == "locked"
    from django.utils import translation

    from notifications.present import describe
    with translation.override("nl"):
        assert describe(told) == "Een moderator sloot je onderwerp “Te ver”"
    assert mail.outbox and "Uitgepraat" in mail.outbox[-1].body


def test_reading_a_thread_to_the_end_ends_its_running_reply_notification(after_commit, region,
                                                                          forums, client):
    anna, bram = make_member(region=region), make_member(region=region)
    with after_commit():
        thread = forum_services.create_thread(actor=anna, forum=forums[0], title="T", body="S")
        forum_services.create_post(actor=bram, thread=thread, body="Een")
        forum_services.create_post(actor=bram, thread=thread, body="Twee")
    [running] = inbox_of(anna)
    client.force_login(anna)
    assert client.get(thread.get_absolute_url() + "?page=1").status_code == 200
    running.refresh_from_db()
    assert running.read_at is not None
    with after_commit():
        forum_services.create_post(actor=bram, thread=thread, body="Drie")
    assert sorted(n.count for n in inbox_of(anna)) == [1, 2]


def test_a_mention_of_a_post_since_deleted_or_hidden_is_no_longer_shown(after_commit, region,
                                                                         forums):
    from django.core.cache import cache

    anna, bram = make_member(region=region), make_member(region=region)
    with after_commit():
        thread = forum_services.create_thread(actor=anna, forum=forums[0], title="Weg",
                                              body="Begin")
        post = forum_services.create_post(actor=bram, thread=thread,
                                          body=f"@{anna.username} kijk eens")
    assert selectors.unread_count(anna) == 1
    forum_services.delete_post(actor=bram, post=post)
    cache.clear()
    # Badge and list agree: the mention went with its post.
    assert selectors.unread_count(anna) == 0
    assert list(selectors.inbox(anna)) == []
    [row] = inbox_of(anna, Kind.MENTION)
    row.post.refresh_from_db()
    assert not selectors.can_show(anna, row)


def test_a_membership_request_leaves_the_inbox_of_a_former_moderator(after_commit):
    from django.core.cache import cache

    region = make_region(is_open=False)
    staff = make_user(staff=True, mfa=True)
    moderator = make_member(region=region, role=Role.MODERATOR)
    with after_commit():
        region_services.request_membership(actor=make_user(), region=region,
                                           motivation="Ik werk hier")
    assert selectors.unread_count(moderator) == 1
    membership = Membership.objects.get(user=moderator, region=region)
    region_services.change_role(actor=staff, membership=membership, role=Role.MEMBER)
    cache.clear()
    moderator = type(moderator).objects.get(pk=moderator.pk)  # fresh role cache
    assert selectors.unread_count(moderator) == 0
    assert list(selectors.inbox(moderator)) == []


def test_unsubscribing_from_the_digest_takes_waiting_rows_out_of_it(after_commit, region, forums):
    anna, bram = make_member(region=region), make_member(region=region)
    with after_commit():
        thread = forum_services.create_thread(actor=anna, forum=forums[0], title="T", body="S")
        forum_services.create_post(actor=bram, thread=thread, body="Antwoord")
    [reply] = inbox_of(anna, Kind.REPLY)
    assert reply.delivery == Delivery.DIGEST
    assert Kind.REPLY in notification_services.unsubscribe(user=anna, kind="digest")
    reply.refresh_from_db()
    assert reply.delivery == Delivery.IN_APP  # still on the site, no longer in tomorrow's mail
    mail.outbox.clear()
    from notifications.emails import send_digests
    assert send_digests() == 0 and mail.outbox == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_replies_are_all_counted_in_the_running_notification(region, forums):
    """Two workers fanning out two replies to one thread at the same moment: the running
    notification counts both (a lock named after the thread orders them)."""
    import threading

    from django.db import connection

    anna, bram, carla = (make_member(region=region) for _ in range(3))
    thread = forum_services.create_thread(actor=anna, forum=forums[0], title="T", body="S")
    posts = [forum_services.create_post(actor=author, thread=thread, body="Antwoord")
             for author in (bram, carla)]
    Notification.objects.all().delete()
    from notifications.models import DeliveredEvent
    DeliveredEvent.objects.all().delete()
    barrier = threading.Barrier(2)
    errors = []

    def fan_out(post):
        try:
            barrier.wait()
            notification_services.notify(kind=Kind.REPLY, recipient_ids=[anna.pk],
                                         event_key=f"post:{post.pk}", actor=post.author,
                                         thread=thread, post=post)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=fan_out, args=(post,)) for post in posts]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    [running] = inbox_of(anna, Kind.REPLY)
    assert running.count == 2


def test_the_ledger_forgets_old_events_but_keeps_recent_ones(after_commit, region, forums):
    from datetime import timedelta
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    from notifications.models import DeliveredEvent

    anna, bram = make_member(region=region), make_member(region=region)
    with after_commit():
        thread = forum_services.create_thread(actor=anna, forum=forums[0], title="T", body="S")
        post = forum_services.create_post(actor=bram, thread=thread, body="Antwoord")
    recent = set(DeliveredEvent.objects.values_list("key", flat=True))
    assert recent
    old = DeliveredEvent.objects.create(key="reply:post:old")
    DeliveredEvent.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=8))
    out = StringIO()
    call_command("prune_notification_ledger", stdout=out)
    assert "1 ledger key(s)" in out.getvalue()
    assert set(DeliveredEvent.objects.values_list("key", flat=True)) == recent
    # A retry of a recent event still finds its key: nothing is notified twice.
    tasks.fan_out_post.call(post.pk)
    [running] = inbox_of(anna, Kind.REPLY)
    assert running.count == 1
