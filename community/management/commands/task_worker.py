"""`db_worker` from django-tasks-db, plus recovery of work a crashed worker left behind.

django-tasks-db marks a task RUNNING when a worker claims it and never looks at it again: a
worker killed mid-task (OOM, deploy, power) would leave it RUNNING forever. A worker runs one
task at a time, so when a worker starts under a fixed --worker-id, whatever is still RUNNING
under that id died with its previous life and goes back to the queue. Tasks RUNNING longer than
--stale-after minutes under any id are put back too. Our tasks are idempotent, so running one
twice is harmless.

The worker also outlives the database going away (a PostgreSQL restart or failover: "terminating
connection due to administrator command"). django-tasks-db's loop lets that OperationalError end
the process; ours closes the dead connections, waits with a growing pause (capped) until the
database answers, puts back the task it was running, if any, and goes on. A worker that cannot
reach the database at all keeps waiting rather than exiting: a supervisor restarting it would
achieve nothing more.
"""

import logging
import time
from datetime import timedelta

from django.db import DatabaseError, connections
from django.db.utils import InterfaceError, OperationalError
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker as DbWorker
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


# Waits between attempts to reach the database again: doubling from the first to the last.
RECONNECT_FIRST_WAIT = 0.5
RECONNECT_LAST_WAIT = 10.0


def database_answers() -> bool:
    connections.close_all()
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False
    finally:
        connections.close_all()


class Worker(DbWorker):
    def __init__(self, *, stale_after: timedelta, **kwargs):
        super().__init__(**kwargs)
        self.stale_after = stale_after
        self.reconnects = 0

    def run(self) -> None:
        while True:
            try:
                return super().run()
            except (OperationalError, InterfaceError) as error:
                first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
                logger.warning("task_worker %s: lost the database (%s); reconnecting",
                               self.worker_id, first_line)
            self.reconnects += 1
            while True:
                self.wait_for_database()
                try:
                    # One task at a time: what still runs under our id is the one broken off.
                    count = requeue_abandoned(self.worker_id, self.stale_after)
                    break
                except DatabaseError:
                    continue  # gone again already
            logger.warning("task_worker %s: database back; %d interrupted task(s) requeued",
                           self.worker_id, count)

    def wait_for_database(self) -> None:
        wait = RECONNECT_FIRST_WAIT
        while not database_answers():
            time.sleep(wait)
            wait = min(wait * 2, RECONNECT_LAST_WAIT)


class Command(DbWorkerCommand):
    help = "Run queued background tasks; first put back what a crashed worker left running."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--stale-after", type=int, default=30,
                            help="Minutes after which a RUNNING task counts as abandoned.")

    def handle(self, *args, **options):
        stale_after = timedelta(minutes=options.pop("stale_after"))
        count = requeue_abandoned(options.get("worker_id"), stale_after)
        if count:
            logger.warning("task_worker: %d abandoned task(s) back in the queue", count)
        if options["reload"] and not options["batch"]:
            return super().handle(*args, **options)  # development: restarted on code changes
        self.configure_logging(options["verbosity"])
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        worker = Worker(
            queue_names=options["queue_name"].split(","),
            excluded_queue_names=excluded,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            stale_after=stale_after,
        )
        worker.configure_signals()
        worker.run()
