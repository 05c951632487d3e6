"""Moderation state on posts (hidden, why, by whom; a moderator's note).

Adding the foreign key makes SQLite remake forums_post, which drops the search index's delete
trigger (migration 0003); it is put back here so a hard-deleted post still leaves the index.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


SQLITE_DELETE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS forums_search_fts_delete AFTER DELETE ON forums_post BEGIN
    DELETE FROM forums_search_fts WHERE rowid = OLD.id;
END
"""


def restore_sqlite_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_DELETE_TRIGGER)


class Migration(migrations.Migration):

    dependencies = [
        ('forums', '0004_thread_events'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='post',
            name='hidden_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='post',
            name='hidden_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='post',
            name='hidden_reason',
            field=models.CharField(blank=True, max_length=1000),
        ),
        migrations.AddField(
            model_name='post',
            name='is_hidden',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='post',
            name='moderator_note',
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.RunPython(restore_sqlite_trigger, migrations.RunPython.noop),
    ]
