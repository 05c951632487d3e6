"""Posts and threads waiting for a moderator's approval (moderation/guard.py): a waiting post
has no place in its thread yet (position empty) until it is published.

Making position nullable makes SQLite remake forums_post, which drops the search index's delete
trigger (migration 0003); it is put back here, as in 0005.
"""

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
        ('forums', '0006_thread_redirect'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='post',
            name='is_pending',
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name='thread',
            name='is_declined',
            field=models.BooleanField(default=False, verbose_name='declined'),
        ),
        migrations.AddField(
            model_name='thread',
            name='is_pending',
            field=models.BooleanField(default=False, verbose_name='waiting for approval'),
        ),
        migrations.AlterField(
            model_name='post',
            name='position',
            field=models.PositiveIntegerField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='post',
            index=models.Index(condition=models.Q(('is_pending', True)), fields=['created_at'],
                               name='post_pending'),
        ),
        migrations.RunPython(restore_sqlite_trigger, migrations.RunPython.noop),
    ]
