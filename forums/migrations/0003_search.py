"""The full-text index behind forums.search, outside the ORM (no model, so models.py stays as it
is): one row per searchable post, keyed by the post id.

PostgreSQL: forums_search_document(post_id, title, document) with a stored, weighted tsvector
(title A, document B) and a GIN index on it.
SQLite: an FTS5 table forums_search_fts(title, document) whose rowid is the post id.

The text is plain text, not HTML: "<" is blanked before parsing, or PostgreSQL's parser would
read "a<b and c>d" as a tag and leave its words out (forums.search does the same for snippets).

Hard-deleted posts lose their row through a trigger rather than a foreign key: Django's flush
(TransactionTestCase, `manage.py flush`) runs `TRUNCATE forums_post, ...` without CASCADE on
PostgreSQL, which a foreign key from a table Django does not know about would refuse. An AFTER
TRUNCATE trigger empties the index with it. Search joins every hit back to forums_post anyway,
so an orphaned row can never be shown.

Posts that exist already (a database migrated before this one) are indexed here.
"""

from django.db import migrations

POSTGRES_FORWARD = [
    """
    CREATE TABLE forums_search_document (
        post_id bigint PRIMARY KEY,
        title text NOT NULL DEFAULT '',
        document text NOT NULL,
        vector tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('dutch', replace(title, '<', ' ')), 'A')
            || setweight(to_tsvector('dutch', replace(document, '<', ' ')), 'B')
        ) STORED
    )
    """,
    "CREATE INDEX forums_search_document_vector ON forums_search_document USING gin (vector)",
    """
    CREATE FUNCTION forums_search_document_delete() RETURNS trigger AS $$
    BEGIN
        DELETE FROM forums_search_document WHERE post_id = OLD.id;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER forums_search_document_delete AFTER DELETE ON forums_post
    FOR EACH ROW EXECUTE FUNCTION forums_search_document_delete()
    """,
    """
    CREATE FUNCTION forums_search_document_truncate() RETURNS trigger AS $$
    BEGIN
        TRUNCATE forums_search_document;
        RETURN NULL;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER forums_search_document_truncate AFTER TRUNCATE ON forums_post
    FOR EACH STATEMENT EXECUTE FUNCTION forums_search_document_truncate()
    """,
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS forums_search_document_truncate ON forums_post",
    "DROP TRIGGER IF EXISTS forums_search_document_delete ON forums_post",
    "DROP FUNCTION IF EXISTS forums_search_document_truncate()",
    "DROP FUNCTION IF EXISTS forums_search_document_delete()",
    "DROP TABLE IF EXISTS forums_search_document",
]
POSTGRES_INSERT = (
    "INSERT INTO forums_search_document (post_id, title, document) VALUES (%s, %s, %s) "
    "ON CONFLICT (post_id) DO UPDATE SET title = EXCLUDED.title, document = EXCLUDED.document"
)

SQLITE_FORWARD = [
    """
    CREATE VIRTUAL TABLE forums_search_fts USING fts5(
        title, document, tokenize = 'unicode61 remove_diacritics 2'
    )
    """,
    # SQLite drops this trigger if a later migration remakes forums_post (Django's way of
    # altering a column there). Nothing breaks then: search only shows rows that join to a post.
    """
    CREATE TRIGGER forums_search_fts_delete AFTER DELETE ON forums_post BEGIN
        DELETE FROM forums_search_fts WHERE rowid = OLD.id;
    END
    """,
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS forums_search_fts_delete",
    "DROP TABLE IF EXISTS forums_search_fts",
]
SQLITE_INSERT = (
    "INSERT OR REPLACE INTO forums_search_fts (rowid, title, document) VALUES (%s, %s, %s)"
)


def _run(schema_editor, statements):
    for sql in statements:
        schema_editor.execute(sql, params=None)


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, POSTGRES_FORWARD)
        backfill(apps, schema_editor, POSTGRES_INSERT)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_FORWARD)
        backfill(apps, schema_editor, SQLITE_INSERT)
    else:
        raise NotImplementedError(f"forums search has no index for {vendor}")


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, POSTGRES_REVERSE)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_REVERSE)


def backfill(apps, schema_editor, insert_sql):
    """The same documents forums.search.index_post writes, from the historical models."""
    Post = apps.get_model("forums", "Post")
    ReportSections = apps.get_model("forums", "ReportSections")
    db = schema_editor.connection.alias
    posts = Post.objects.using(db).filter(is_deleted=False).select_related("thread")
    if not posts.exists():
        return
    from forums.rendering import render_plain_text

    reports = {r.thread_id: r for r in ReportSections.objects.using(db).all()}
    with schema_editor.connection.cursor() as cursor:
        for post in posts.iterator(chunk_size=500):
            parts = [render_plain_text(post.body)]
            title = ""
            if post.position == 1:
                title = post.thread.title
                report = reports.get(post.thread_id)
                if report is not None:
                    parts += [render_plain_text(text) for text in
                              (report.success_factors, report.obstacles, report.lessons) if text]
            cursor.execute(insert_sql, [post.pk, _clean(title), _clean("\n\n".join(parts))])


def _clean(text: str) -> str:
    # Control characters out: \x02 and \x03 mark matches in snippets (forums.search).
    return "".join(c for c in text if c in "\n\t" or c >= " " and c != "\x7f")


class Migration(migrations.Migration):
    dependencies = [("forums", "0002_standard_forums_and_tags")]
    operations = [migrations.RunPython(create_index, drop_index)]
