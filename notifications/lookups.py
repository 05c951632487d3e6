"""`field__any=ids`: membership in a long list of ids as ONE parameter on PostgreSQL
(`= ANY(%s)`, an array). Django compiles `__in` with one placeholder and one prepared value
per id; for a fan-out's thousand recipients that compilation alone cost more CPU than the
queries. SQLite has no arrays and gets the ordinary IN list."""

from django.db import models
from django.db.models import Lookup


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [[int(v) for v in value]]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = [int(v) for v in self.rhs]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, ids]
        if not ids:
            return "1 = 0", list(lhs_params)
        return f"{lhs} IN ({', '.join(['%s'] * len(ids))})", [*lhs_params, *ids]


def register() -> None:
    for field in (models.ForeignKey, models.AutoField, models.BigAutoField,
                  models.IntegerField):
        field.register_lookup(AnyOf)
