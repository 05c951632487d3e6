"""The production path: fan-out queued in the database in the writer's own transaction, run by
the real worker command; nothing lost while the worker is down or after it crashed mid-task."""

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from forums import services as forum_services
from notifications.kinds import Kind
from notifications.models import Notification
from tests.factories import make_forums, make_member, make_region

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker(worker_id="test-worker"):
    call_command("task_worker", "--batch", "--interval", "0", "--no-startup-delay",
                 "--worker-id", worker_id, verbosity=0)


@pytest.fixture
def conversation(settings):
    settings.TASKS = DATABASE_QUEUE
    region = make_region()
    forum = make_forums(region)[0]
    anna, bram = make_member(region=region), make_member(region=region)
    thread = forum_services.create_thread(actor=anna, forum=forum, title="Duurzaam",
                                          body="Start")
    run_worker()  # the start of the thread told nobody; clear the queue
    return thread, anna, bram


def test_worker_down_then_up_delivers_everything(conversation):
    thread, anna, bram = conversation
    # Worker stopped: posts are written, their fan-out waits in the queue.
    forum_services.create_post(actor=bram, thread=thread, body=f"@{anna.username} kijk")
    forum_services.create_post(actor=bram, thread=thread, body="En nog iets")
    assert not Notification.objects.exists()
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 2
    run_worker()
    kinds = sorted(Notification.objects.filter(recipient=anna).values_list("kind", flat=True))
    assert kinds == [Kind.MENTION, Kind.REPLY]


def test_a_rolled_back_post_queues_nothing(conversation):
    thread, anna, bram = conversation
    with pytest.raises(RuntimeError), transaction.atomic():
        forum_services.create_post(actor=bram, thread=thread, body="Wordt teruggedraaid")
        raise RuntimeError
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()


def test_a_task_left_running_by_a_crashed_worker_is_run_again(conversation):
    thread, anna, bram = conversation
    forum_services.create_post(actor=bram, thread=thread, body="Tijdens de crash")
    task = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    task.claim("crashed-worker")  # claimed, then the process died
    run_worker("other-worker")  # a different, live worker leaves a recent claim alone
    assert not Notification.objects.exists()
    run_worker("crashed-worker")  # the same worker restarted: it knows that was its own
    assert Notification.objects.filter(recipient=anna, kind=Kind.REPLY).count() == 1
    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL


def test_a_stale_claim_is_requeued_by_any_worker(conversation):
    thread, anna, bram = conversation
    forum_services.create_post(actor=bram, thread=thread, body="Lang geleden")
    task = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    task.claim("gone-for-good")
    DBTaskResult.objects.filter(pk=task.pk).update(
        started_at=timezone.now() - timezone.timedelta(hours=2))
    run_worker("another")
    assert Notification.objects.filter(recipient=anna).count() == 1


def test_a_failing_task_is_retried_later(conversation, monkeypatch):
    from notifications import fanout

    thread, anna, bram = conversation
    real = fanout.post_created
    monkeypatch.setattr(fanout, "post_created", lambda post_id: 1 / 0)
    forum_services.create_post(actor=bram, thread=thread, body="Pech")
    run_worker()
    assert DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count() == 1
    retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert retry.run_after > timezone.now()  # backed off
    monkeypatch.setattr(fanout, "post_created", real)
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker()
    assert Notification.objects.filter(recipient=anna).count() == 1


def test_unsubscribing_stops_a_mail_still_waiting_in_the_queue(conversation, mailoutbox):
    from notifications import services as notification_services
    from notifications import tasks
    from notifications.kinds import Delivery

    thread, anna, bram = conversation
    post = forum_services.create_post(actor=bram, thread=thread, body=f"@{anna.username} kijk")
    tasks.fan_out_post.call(post.pk)  # the fan-out task's work: the mail task is now queued
    mention = Notification.objects.get(recipient=anna, kind=Kind.MENTION)
    assert mention.delivery == Delivery.EMAIL
    notification_services.unsubscribe(user=anna, kind=Kind.MENTION)
    run_worker()
    mention.refresh_from_db()
    assert mention.delivery == Delivery.IN_APP and mention.emailed_at is None
    assert [m for m in mailoutbox if m.to == [anna.email]] == []
