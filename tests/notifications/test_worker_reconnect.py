"""The task worker outlives the database dropping its connection (a PostgreSQL restart: the
server ends every backend with "terminating connection due to administrator command"), puts
back the task that was cut off, and goes on with the queue."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tests.pg import terminate_own_connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@task()
def lose_the_connection_once(marker: str) -> str:
    """First run: the database ends this worker's connection in the middle of the task. The
    rerun finds the marker and finishes."""
    if Path(marker).exists():
        return "rerun"
    Path(marker).touch()
    terminate_own_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # "terminating connection due to administrator command"
    return "not cut off"


@task()
def ask_the_database() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 42")
        return cursor.fetchone()[0]


def test_worker_reconnects_after_its_connection_is_terminated_and_runs_the_rest(
        settings, caplog, tmp_path):
    settings.TASKS = DATABASE_QUEUE
    before = ask_the_database.enqueue()
    cut_off = lose_the_connection_once.enqueue(str(tmp_path / "cut-off"))
    after = ask_the_database.enqueue()

    call_command("task_worker", "--batch", "--interval", "0", "--no-startup-delay",
                 "--worker-id", "reconnecting", verbosity=0)

    results = {str(r.id): r for r in DBTaskResult.objects.all()}
    assert {results[str(t.id)].status for t in (before, cut_off, after)} == {
        TaskResultStatus.SUCCESSFUL}
    assert results[str(cut_off.id)].return_value == "rerun"
    assert results[str(after.id)].return_value == 42
    assert "lost the database" in caplog.text
    assert "1 interrupted task(s) requeued" in caplog.text
