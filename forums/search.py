"""Full-text search over thread titles, post bodies and report sections.

The index lives outside the ORM (migration 0003_search): one row per searchable post, keyed by
the post id. The first post of a thread carries the thread title (weighted above body text) and
the report sections; every other post carries its body. Services keep it in step inside their
transaction: `index_post` on create and edit, `index_thread` when a title or report changes,
`remove_post` on (soft) delete. Hard-deleted posts lose their row through a database trigger.

PostgreSQL: a stored tsvector with the 'dutch' configuration (stemming, stop words) and a GIN
index. SQLite: FTS5 with the unicode61 tokenizer (no stemming), for development and tests. So
PostgreSQL also finds inflections ("gemeenten" for "gemeente") and ignores stop words; for
plain words that occur literally both give the same hits.
"""

import math
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import OperationalError, connection
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import permissions, rendering
from .models import Post, ReportSections, Thread

MAX_QUERY_LENGTH = 200
MAX_PER_PAGE = 100
MIN_WORD_LENGTH = 2
# Snippet markers: control characters cannot come from indexed text (see _clean) and survive
# html escaping, so the whole snippet is escaped first and the markers become <mark> after.
START, STOP, LT = "\x02", "\x03", "\x01"
HEADLINE_OPTIONS = (
    f"StartSel={START}, StopSel={STOP}, MaxFragments=2, MaxWords=30, MinWords=10"
)
TITLE_HEADLINE_OPTIONS = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"

# Letters and digits; "_" and everything else separate words, as in FTS5's unicode61.
_WORD = re.compile(r"[^\W_]+")
_WORD_AT_END = re.compile(r"[^\W_]+\Z")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass
class SearchHit:
    post: Post
    snippet_html: SafeString
    title_html: SafeString
    rank: float


@dataclass
class SearchPage:
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    num_pages: int = 1
    query: str = ""


# --- Writing the index -------------------------------------------------------------------------

def _text_of(html: str, source: str) -> str:
    """The text to index: from the HTML stored when the Markdown was written, rendering it
    again only for a row without (one that dodged the services)."""
    return rendering.plain_text_of(html) if html else rendering.render_plain_text(source)


def index_post(post: Post) -> None:
    """(Re)write the post's document; a deleted or hidden post is taken out instead."""
    if post.is_deleted or post.is_hidden or post.is_pending:
        remove_post(post)
        return
    thread = post.thread
    title, parts = "", [_text_of(post.html, post.body)]
    if post.position == 1:
        title = thread.title
        # Read fresh: a cached thread.report may predate the edit being indexed.
        report = ReportSections.objects.filter(thread_id=thread.pk).first()
        if report is not None:
            parts += [_text_of(html, text) for text, html in (
                (report.success_factors, report.success_factors_html),
                (report.obstacles, report.obstacles_html),
                (report.lessons, report.lessons_html)) if text]
    _backend().write(post.pk, _clean(title), _clean("\n\n".join(parts)))


def index_thread(thread: Thread) -> None:
    """Reindex the thread's first post, after its title or report changed."""
    first = Post.objects.filter(thread_id=thread.pk, position=1).first()
    if first is not None:
        first.thread = thread  # the caller's copy holds the new title
        index_post(first)


def remove_post(post: Post) -> None:
    _backend().delete(post.pk)


def _clean(text: str) -> str:
    # Keep in step with migration 0003's backfill.
    return _CONTROL.sub("", unicodedata.normalize("NFC", text))


# --- Searching -----------------------------------------------------------------------------------

def search(*, viewer, query: str, region=None, forum=None, kind: str | None = None,
           tag: str | None = None, author=None, date_from: date | None = None,
           date_to: date | None = None, page: int = 1, per_page: int = 20) -> SearchPage:
    """Posts the viewer may see that contain every word of `query`, best first.

    Three queries, whatever the number of hits (plus the viewer's memberships, once per
    request): count, the page's ids with ranks and snippets, the page's posts.

    Permissions and filters are one ORM queryset (visible_posts, not deleted, region, ...)
    embedded in both SQL statements as `post id IN (...)`, next to the full-text match. So the
    database ranks, counts and pages only what the viewer may see: totals never count hidden
    posts, and no candidate list is cut off before filtering (no cap is needed). Snippets,
    the costly part, are made for the rows of the requested page only.
    """
    text = _normalise_query(query)
    words = _query_words(text)
    if not words:
        return SearchPage(query=text)
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    page = max(1, int(page))

    posts = Post.objects.filter(is_deleted=False)
    if region is not None:
        posts = posts.filter(thread__forum__region=region)
    if forum is not None:
        posts = posts.filter(thread__forum=forum)
    if kind:
        posts = posts.filter(thread__kind=kind)
    if tag:
        posts = posts.filter(thread__tags__slug=tag)
    if author is not None:
        posts = posts.filter(author=author)
    if date_from is not None:
        posts = posts.filter(created_at__gte=_start_of(date_from))
    if date_to is not None:
        posts = posts.filter(created_at__lt=_start_of(date_to + timedelta(days=1)))
    # Waiting posts (and threads) are never in the index, so their rule is left out here.
    posts = permissions.visible_posts(viewer, posts, waiting=False)
    try:
        allowed = posts.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:
        return SearchPage(query=text)

    backend = _backend()
    match = backend.match_expression(words)
    try:
        total = backend.count(match, allowed)
        num_pages = max(1, math.ceil(total / per_page))
        page = min(page, num_pages)
        rows = backend.page(match, allowed, limit=per_page, offset=(page - 1) * per_page) \
            if total else []
    except _InvalidQuery:
        # The match expression is built from quoted words only, so this is not expected; but
        # whatever a user types must never become a server error.
        return SearchPage(query=text)

    by_id = Post.objects.select_related("thread__forum__region", "author__profile").in_bulk(
        [row[0] for row in rows])
    hits = []
    for post_id, rank, snippet, title in rows:
        post = by_id.get(post_id)
        if post is None:  # deleted between the two statements
            continue
        if title is None:
            title = backend.mark_title(post.thread.title, words)
        hits.append(SearchHit(post=post, snippet_html=_marked_html(snippet or ""),
                              title_html=_marked_html(title), rank=float(rank)))
    return SearchPage(hits=hits, total=total, page=page, num_pages=num_pages, query=text)


def _normalise_query(query: str | None) -> str:
    query = query or ""
    text = query[:MAX_QUERY_LENGTH]
    if _WORD.match(query, MAX_QUERY_LENGTH):  # cut inside a word: drop its first part too
        text = _WORD_AT_END.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    return " ".join(_CONTROL.sub(" ", text).split())


def _query_words(text: str) -> list[str]:
    """Plain words only: no operator, quote or column filter of either engine gets through."""
    words, seen = [], set()
    for word in _WORD.findall(text):
        if len(word) >= MIN_WORD_LENGTH and word.casefold() not in seen:
            seen.add(word.casefold())
            words.append(word)
    return words


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _marked_html(text: str) -> SafeString:
    """Escape everything, then turn the markers into balanced <mark> elements."""
    out, open_ = [], False
    for part in re.split(f"([{START}{STOP}])", str(escape(text)).replace(LT, "&lt;")):
        if part == START:
            if not open_:
                out.append("<mark>")
                open_ = True
        elif part == STOP:
            if open_:
                out.append("</mark>")
                open_ = False
        else:
            out.append(part)
    if open_:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 - escaped above, only <mark> added


def _fold(word: str) -> str:
    """What unicode61 with remove_diacritics compares: no accents, no case."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# --- Backends -----------------------------------------------------------------------------------
# The user's words reach SQL as parameters only; the permission subquery is Django's own SQL
# with its own parameters.

class _Postgres:
    def write(self, post_id: int, title: str, document: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO forums_search_document (post_id, title, document) "
                "VALUES (%s, %s, %s) ON CONFLICT (post_id) DO UPDATE "
                "SET title = EXCLUDED.title, document = EXCLUDED.document",
                [post_id, title, document])

    def delete(self, post_id: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM forums_search_document WHERE post_id = %s", [post_id])

    def match_expression(self, words: list[str]) -> str:
        # Each word quoted: websearch_to_tsquery then ANDs them and reads no "or" or "-".
        return " ".join(f'"{w}"' for w in words)

    def count(self, match: str, allowed: tuple[str, tuple]) -> int:
        allowed_sql, allowed_params = allowed
        with connection.cursor() as cursor:
            cursor.execute(f"""
                SELECT COUNT(*) FROM forums_search_document AS d
                WHERE d.vector @@ websearch_to_tsquery('dutch', %s)
                  AND d.post_id IN ({allowed_sql})
            """, [match, *allowed_params])  # noqa: S608 - Django's SQL, params apart
            return cursor.fetchone()[0]

    def page(self, match: str, allowed: tuple[str, tuple], *, limit: int, offset: int) -> list:
        """(post id, rank, snippet, title) rows; ts_headline runs on the page's rows only.

        ts_headline drops whatever its parser takes for an HTML tag, so "<" goes in as LT
        (a blank to the parser, as "<" is to the stored vector) and comes out as "&lt;"."""
        allowed_sql, allowed_params = allowed
        sql = f"""
            SELECT page.post_id, page.score,
                   ts_headline('dutch', replace(d.document, '<', chr(1)), page.query, %s),
                   ts_headline('dutch', replace(translate(t.title, chr(1) || chr(2) || chr(3),
                                                          ''), '<', chr(1)), page.query, %s)
            FROM (
                SELECT d.post_id, ts_rank_cd(d.vector, q.query) AS score, p.created_at, q.query
                FROM forums_search_document AS d
                CROSS JOIN websearch_to_tsquery('dutch', %s) AS q(query)
                JOIN forums_post AS p ON p.id = d.post_id
                WHERE d.vector @@ q.query AND d.post_id IN ({allowed_sql})
                ORDER BY score DESC, p.created_at DESC, d.post_id DESC
                LIMIT %s OFFSET %s
            ) AS page
            JOIN forums_search_document AS d ON d.post_id = page.post_id
            JOIN forums_post AS p ON p.id = page.post_id
            JOIN forums_thread AS t ON t.id = p.thread_id
            ORDER BY page.score DESC, page.created_at DESC, page.post_id DESC
        """  # noqa: S608 - Django's SQL, params apart
        params = [HEADLINE_OPTIONS, TITLE_HEADLINE_OPTIONS, match, *allowed_params,
                  limit, offset]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def mark_title(self, title: str, words: list[str]) -> str:
        return title  # ts_headline marked it already


class _InvalidQuery(Exception):
    """The full-text engine rejected the match expression."""


# What SQLite says about a match expression it cannot parse (FTS5 query syntax errors).
_FTS_SYNTAX_ERROR = re.compile(
    r"^(fts5: |unterminated string|unknown special query|no such column)")


def _fts_execute(cursor, sql: str, params: list) -> None:
    try:
        cursor.execute(sql, params)
    except OperationalError as error:
        if _FTS_SYNTAX_ERROR.search(str(error)):
            raise _InvalidQuery from error
        raise


class _Sqlite:
    # "+rowid IN (...)": the unary plus keeps SQLite from handing the IN list to FTS5 as rowid
    # constraints, which reruns the whole match once per allowed id (seconds at 10,000 hits).
    # So FTS5 matches once and each hit is looked up in the allowed set, built once.
    def write(self, post_id: int, title: str, document: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT OR REPLACE INTO forums_search_fts (rowid, title, document) "
                "VALUES (%s, %s, %s)", [post_id, title, document])

    def delete(self, post_id: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM forums_search_fts WHERE rowid = %s", [post_id])

    def match_expression(self, words: list[str]) -> str:
        # FTS5 strings: letters and digits inside double quotes are never syntax.
        return " AND ".join(f'"{w}"' for w in words)

    def count(self, match: str, allowed: tuple[str, tuple]) -> int:
        allowed_sql, allowed_params = allowed
        with connection.cursor() as cursor:
            _fts_execute(cursor, f"""
                SELECT COUNT(*) FROM forums_search_fts
                WHERE forums_search_fts MATCH %s AND +forums_search_fts.rowid IN ({allowed_sql})
            """, [match, *allowed_params])  # noqa: S608 - Django's SQL, params apart
            return cursor.fetchone()[0]

    def page(self, match: str, allowed: tuple[str, tuple], *, limit: int, offset: int) -> list:
        """(post id, rank, snippet, None) rows. bm25 is lower-is-better, so negated; the
        outer query matches again to make snippets for the page's rows only."""
        allowed_sql, allowed_params = allowed
        sql = f"""
            SELECT page.post_id, page.score,
                   snippet(forums_search_fts, 1, char(2), char(3), '…', 24), NULL
            FROM (
                SELECT forums_search_fts.rowid AS post_id,
                       -bm25(forums_search_fts, 5.0, 1.0) AS score, p.created_at
                FROM forums_search_fts
                JOIN forums_post AS p ON p.id = forums_search_fts.rowid
                WHERE forums_search_fts MATCH %s AND +forums_search_fts.rowid IN ({allowed_sql})
                ORDER BY score DESC, p.created_at DESC, p.id DESC
                LIMIT %s OFFSET %s
            ) AS page
            JOIN forums_search_fts ON forums_search_fts.rowid = page.post_id
            WHERE forums_search_fts MATCH %s
            ORDER BY page.score DESC, page.created_at DESC, page.post_id DESC
        """  # noqa: S608 - Django's SQL, params apart
        with connection.cursor() as cursor:
            _fts_execute(cursor, sql, [match, *allowed_params, limit, offset, match])
            return cursor.fetchall()

    def mark_title(self, title: str, words: list[str]) -> str:
        """The thread title with the query's words marked (a reply's row has no title)."""
        wanted = {_fold(w) for w in words}
        out, last = [], 0
        clean = _CONTROL.sub("", title)
        for m in _WORD.finditer(clean):
            if _fold(m.group()) in wanted:
                out += [clean[last:m.start()], START, m.group(), STOP]
                last = m.end()
        out.append(clean[last:])
        return "".join(out)


_BACKENDS = {"postgresql": _Postgres(), "sqlite": _Sqlite()}


def _backend():
    try:
        return _BACKENDS[connection.vendor]
    except KeyError:
        raise NotImplementedError(f"forums search has no index for {connection.vendor}") \
            from None
