"""The one-way seams of notifications: the fan-out only reads, the task writes each audience and
queues its mail in one transaction, and `queue.enqueue_after_write` commits with the writer
(database queue) or waits for the commit (embedded default)."""

import pytest
from django.db import transaction
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from forums import services as forum_services
from notifications import fanout, queue, tasks
from notifications.kinds import Kind
from notifications.models import DeliveredEvent, Notification
from tests.factories import make_forums, make_member, make_region

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
MAIL_TASK = "notifications.tasks.send_notification_email"
RAN = []


@task()
def remember(value: int) -> None:
    RAN.append(value)


@pytest.fixture
def mention():
    """A post that mentions anna (mailed right away by default), its fan-out not run yet."""
    region = make_region()
    forum = make_forums(region)[0]
    anna, bram = make_member(region=region), make_member(region=region)
    thread = forum_services.create_thread(actor=anna, forum=forum, title="T", body="S")
    post = forum_services.create_post(actor=bram, thread=thread, body=f"@{anna.username} kijk")
    Notification.objects.all().delete()
    DeliveredEvent.objects.all().delete()
    return post, anna


@pytest.mark.django_db
def test_the_fan_out_names_audiences_and_writes_nothing(mention):
    post, anna = mention
    audiences = fanout.post_created(post.pk)
    assert [(a["kind"], set(a["recipient_ids"])) for a in audiences] == [
        (Kind.MENTION, {anna.pk}), (Kind.REPLY, set())]  # anna is told once, the most personal
    assert {a["event_key"] for a in audiences} == {f"post:{post.pk}"}
    assert not Notification.objects.exists() and not DeliveredEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_mail_task_is_queued_with_the_notification_it_mails(mention, settings):
    settings.TASKS = DATABASE_QUEUE
    post, anna = mention
    tasks.notify_audiences(fanout.post_created(post.pk))
    notification = Notification.objects.get(recipient=anna, kind=Kind.MENTION)
    queued = DBTaskResult.objects.filter(task_path=MAIL_TASK)
    assert [task.args_kwargs["args"] for task in queued] == [[notification.pk]]


@pytest.mark.django_db(transaction=True)
def test_notifications_whose_mail_cannot_be_queued_are_not_written(mention, settings,
                                                                   monkeypatch):
    """No commit in between: if queueing the mail fails, the notification and its ledger key
    roll back with it, and the retried task writes and queues both."""
    settings.TASKS = DATABASE_QUEUE
    post, anna = mention

    def queue_down(*args):
        raise RuntimeError("queue unavailable")

    monkeypatch.setattr(tasks, "enqueue_after_write", queue_down)
    with pytest.raises(RuntimeError):
        tasks.notify_audiences(fanout.post_created(post.pk))
    assert not Notification.objects.exists() and not DeliveredEvent.objects.exists()

    monkeypatch.undo()
    tasks.notify_audiences(fanout.post_created(post.pk))
    assert DBTaskResult.objects.filter(task_path=MAIL_TASK).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_database_queue_takes_work_in_the_writers_transaction(settings):
    settings.TASKS = DATABASE_QUEUE
    with pytest.raises(RuntimeError), transaction.atomic():
        queue.enqueue_after_write(remember, 1)
        assert DBTaskResult.objects.filter(task_path__endswith=".remember").exists()
        raise RuntimeError  # the write fails: its work goes with it
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_the_embedded_default_runs_work_only_after_the_commit(
        django_capture_on_commit_callbacks):
    RAN.clear()
    with django_capture_on_commit_callbacks(execute=True):
        queue.enqueue_after_write(remember, 7)
        assert RAN == []  # it would read what the write has not committed yet
    assert RAN == [7]
