"""Background work of notifications, run by the task worker (django-tasks with the database
backend in production; the embedded default runs them right after commit, in-process).

Every task is idempotent (services.notify writes each event once), so a task that fails is
simply queued again later, up to MAX_ATTEMPTS times, and a task left running by a crashed worker
is put back in the queue when a worker starts (community/management/commands/task_worker.py).
"""

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from . import emails, fanout, services
from .queue import enqueue_after_write

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6


def notify_audiences(audiences: Iterable[fanout.Audience]) -> None:
    """Write each audience's notifications, and queue the mail of those mailed right away in the
    same transaction (database backend): a crash between commit and queueing cannot drop a
    mail. One transaction per audience, as `services.notify` locks and records per audience."""
    for audience in audiences:
        with transaction.atomic():
            for notification_id in services.notify(**audience).mail_ids:
                enqueue_after_write(send_notification_email, notification_id)


def _run(task_object, work, args: tuple, attempt: int) -> None:
    try:
        work(*args)
    except Exception:
        backend = task_object.get_backend()
        if attempt + 1 < MAX_ATTEMPTS and backend.supports_defer:
            delay = timedelta(seconds=min(900, 15 * 2 ** attempt))
            task_object.using(run_after=timezone.now() + delay).enqueue(*args, attempt + 1)
            logger.warning("notifications: %s%r failed; retry %d in %s", task_object.name,
                           args, attempt + 1, delay)
        raise


def _fan_out(task_object, find_audiences: Callable[..., list[fanout.Audience]], args: tuple,
             attempt: int) -> None:
    _run(task_object, lambda *same: notify_audiences(find_audiences(*same)), args, attempt)


@task()
def fan_out_post(post_id: int, attempt: int = 0) -> None:
    _fan_out(fan_out_post, fanout.post_created, (post_id,), attempt)


@task()
def fan_out_reaction(post_id: int, user_id: int, attempt: int = 0) -> None:
    _fan_out(fan_out_reaction, fanout.reaction_added, (post_id, user_id), attempt)


@task()
def fan_out_accepted_answer(thread_id: int, post_id: int, actor_id: int | None,
                            attempt: int = 0) -> None:
    _fan_out(fan_out_accepted_answer, fanout.answer_accepted, (thread_id, post_id, actor_id),
             attempt)


@task()
def fan_out_membership_request(request_id: int, attempt: int = 0) -> None:
    _fan_out(fan_out_membership_request, fanout.membership_requested, (request_id,), attempt)


@task()
def fan_out_membership_decision(request_id: int, attempt: int = 0) -> None:
    _fan_out(fan_out_membership_decision, fanout.membership_decided, (request_id,), attempt)


@task()
def send_notification_email(notification_id: int, attempt: int = 0) -> None:
    _run(send_notification_email, emails.send_notification, (notification_id,), attempt)


@task()
def fan_out_moderation(action: str, actor_id: int | None, recipient_id: int, reason: str,
                       post_id: int | None, thread_id: int | None, region_id: int | None,
                       event_key: str, attempt: int = 0) -> None:
    _fan_out(fan_out_moderation, fanout.moderated,
             (action, actor_id, recipient_id, reason, post_id, thread_id, region_id, event_key),
             attempt)
