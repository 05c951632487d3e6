"""PostgreSQL as an administrator (or a restart) acts on it: from a connection of its own."""

import psycopg
from django.db import connection


def terminate_backend(pid: int) -> None:
    """End one backend: its client gets "terminating connection due to administrator command",
    exactly what a PostgreSQL restart gives every connection."""
    params = {key: value for key, value in connection.get_connection_params().items()
              if key not in {"cursor_factory", "context", "prepare_threshold"}}
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def terminate_own_connection() -> None:
    """This thread's Django connection, dead from now on; its next query fails."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        terminate_backend(cursor.fetchone()[0])


def terminate_every_connection() -> int:
    """Every backend of this (test) database but the administrator's own: the pool's idle
    connections too, as a restart leaves them."""
    params = {key: value for key, value in connection.get_connection_params().items()
              if key not in {"cursor_factory", "context", "prepare_threshold"}}
    with psycopg.connect(**params, autocommit=True) as admin:
        rows = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return len(rows.fetchall())
