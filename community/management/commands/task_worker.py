"""`db_worker` from django-tasks-db, plus recovery of work a crashed worker left behind.

django-tasks-db marks a task RUNNING when a worker claims it and never looks at it again: a
worker killed mid-task (OOM, deploy, power) would leave it RUNNING forever. A worker runs one
task at a time, so when a worker starts under a fixed --worker-id, whatever is still RUNNING
under that id died with its previous life and goes back to the queue. Tasks RUNNING longer than
--stale-after minutes under any id are put back too. Our tasks are idempotent, so running one
twice is harmless.
"""

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)


def requeue_abandoned(worker_id: str | None, stale_after: timedelta) -> int:
    cutoff = timezone.now() - stale_after
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    ids = [r.pk for r in running.only("pk", "started_at", "worker_ids")
           if (r.started_at and r.started_at < cutoff)
           or (worker_id and r.worker_ids and r.worker_ids[-1] == worker_id)]
    return DBTaskResult.objects.filter(pk__in=ids, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.READY, started_at=None)


class Command(DbWorkerCommand):
    help = "Run queued background tasks; first put back what a crashed worker left running."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--stale-after", type=int, default=30,
                            help="Minutes after which a RUNNING task counts as abandoned.")

    def handle(self, *args, **options):
        count = requeue_abandoned(options.get("worker_id"),
                                  timedelta(minutes=options.pop("stale_after")))
        if count:
            logger.warning("task_worker: %d abandoned task(s) back in the queue", count)
        return super().handle(*args, **options)
