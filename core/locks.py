"""Named locks for the length of a transaction that lock no row.

Some writers must take turns without holding up anyone else: two notification fan-outs about
one thread must count one after the other, while replies to that thread go on. Locking the
thread's row for that (as we did) made every reply wait for a running fan-out.
"""

import zlib

from django.db import connection


def _signed_int32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - 2**32 if value >= 2**31 else value


def hold_until_commit(name: str, key: int) -> None:
    """Wait for, then hold until the transaction ends, the lock (name, key). PostgreSQL: an
    advisory transaction lock; keys that share the low 32 bits share a lock, which only makes
    two unrelated writers take turns. SQLite runs one writing transaction at a time anyway."""
    if not connection.in_atomic_block:
        raise RuntimeError("hold_until_commit needs a transaction")
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                       [_signed_int32(zlib.crc32(name.encode())), _signed_int32(key)])
