"""Hot lookups whose SQL is built once per process instead of once per request.

The ORM compiles a queryset to SQL on every evaluation. For the few lookups every page makes
(the reader with their profile, the thread with the reader's state, the reader's memberships)
that compilation costs several times what the database needs to answer them: about 2 ms of
the thread page's 17 ms of CPU for the thread alone. A `Precompiled` builds its queryset once
per database with stand-in values for the parameters, keeps the SQL, and from then on only
substitutes the real values and lets the ORM turn the rows into objects as usual (related
objects from select_related, annotations, values_list tuples).

Only the lookups that measurably gain from it use it (bench/README.md). PRECOMPILED_QUERIES =
False (settings) turns it off: every call then evaluates `build`'s queryset through the plain
ORM, with the same results (CI runs the suite once that way), so an upgrade whose ORM
internals (the compiler's `as_sql`, the query's `get_compiler`) no longer fit can be run
without it.

Use it only for a fixed shape: `build` must produce the same SQL whatever the values, and
each value must reach the SQL as a parameter of its own (a filter, a RawSQL parameter), not
change the query's structure.
"""

import copy
import threading

from django.conf import settings
from django.db import connections, router
from django.db.transaction import TransactionManagementError

# Stand-ins for the parameters while compiling: integers no real key or flag takes.
_FIRST_STAND_IN = -2_000_000_000
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class Precompiled:
    def __init__(self, model, build, *, for_update: bool = False):
        """for_update: `build` locks the rows (select_for_update): the call must then be in a
        transaction, which the ORM checks when it compiles and we check on every call."""
        self.model = model
        self.build = build
        self.for_update = for_update
        self._compiled: dict[tuple, tuple] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str, names: tuple[str, ...]) -> tuple:
        stand_ins = {name: _FIRST_STAND_IN - index for index, name in enumerate(names)}
        queryset = self.build(**stand_ins)
        if bool(queryset.query.select_for_update) != self.for_update:
            raise ValueError("for_update must say whether the query locks its rows")
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        by_stand_in = {value: name for name, value in stand_ins.items()}
        slots = tuple((by_stand_in[p], None) if type(p) is int and p in by_stand_in else (None, p)
                      for p in params)
        missing = set(names) - {name for name, _constant in slots}
        if missing:
            raise ValueError(f"{', '.join(sorted(missing))} did not reach the SQL as parameters")
        return queryset, compiler, sql, slots

    def __call__(self, **values) -> list:
        if not settings.PRECOMPILED_QUERIES:
            return list(self.build(**values))
        locking = self.for_update
        alias = (router.db_for_write if locking else router.db_for_read)(self.model)
        if locking and connections[alias].get_autocommit():
            # What the ORM says when it compiles such a query; the stored SQL skips that.
            raise TransactionManagementError("select_for_update cannot be used outside of a "
                                             "transaction.")
        key = (alias, tuple(sorted(values)))
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._compile(alias, key[1])
                self._compiled[key] = compiled
        queryset, compiler, sql, slots = compiled
        if any(type(value) is int and not _INT64_MIN <= value <= _INT64_MAX
               for value in values.values()):
            # Such a key matches no row; the ORM says so without asking, and so do we (the
            # databases would refuse the parameter instead).
            return []
        params = tuple(values[name] if name is not None else constant
                       for name, constant in slots)
        # A compiler of its own for this evaluation, on this thread's connection, that answers
        # with the stored SQL; the clone of the queryset hands it to the ORM's iterable.
        this_compiler = copy.copy(compiler)
        this_compiler.connection = connections[alias]
        this_compiler.as_sql = lambda *args, **kwargs: (sql, params)
        run = queryset._chain()
        run.query.get_compiler = lambda *args, **kwargs: this_compiler
        return list(run)
