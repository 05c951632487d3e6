"""The database itself refuses to change audit entries: the model and its queryset refuse in
Python, this trigger refuses everything else (raw SQL, a bulk tool, a shell).

UPDATE is refused on both databases. DELETE is refused on PostgreSQL; TRUNCATE (the test
runner's flush, an operator's deliberate purge after the retention period) stays possible. On
SQLite, Django's test flush deletes rows one statement at a time, so only UPDATE is guarded.
"""

from django.db import migrations

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION moderation_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'moderation_auditentry is append-only';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION)
        schema_editor.execute(
            "CREATE TRIGGER moderation_audit_no_update BEFORE UPDATE OR DELETE ON "
            "moderation_auditentry FOR EACH ROW EXECUTE FUNCTION moderation_audit_append_only()")
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            "CREATE TRIGGER moderation_audit_no_update BEFORE UPDATE ON moderation_auditentry "
            "BEGIN SELECT RAISE(ABORT, 'moderation_auditentry is append-only'); END")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS moderation_audit_no_update ON moderation_auditentry")
        schema_editor.execute("DROP FUNCTION IF EXISTS moderation_audit_append_only()")
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS moderation_audit_no_update")


class Migration(migrations.Migration):
    dependencies = [("moderation", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
