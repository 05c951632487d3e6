"""How work that follows a write is queued: in the writer's own transaction where the queue is
the database, after the commit where the embedded default runs tasks in-process."""

from django.db import transaction
from django_tasks.backends.immediate import ImmediateBackend


def enqueue_after_write(task_object, *args) -> None:
    """Queue work that follows a write. With the database backend the queue row is written in
    the writer's own transaction: committed together, or not at all. The embedded default runs
    tasks in-process, so it waits for the commit to see what it works on."""
    if isinstance(task_object.get_backend(), ImmediateBackend):
        transaction.on_commit(lambda: task_object.enqueue(*args))
    else:
        task_object.enqueue(*args)
