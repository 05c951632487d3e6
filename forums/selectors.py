"""Page-ready reads: start from the visibility filter, join what the template shows, so the
number of queries stays flat however long a thread or forum grows."""

from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import User
from core.precompiled import Precompiled
from regions.models import Region

from . import permissions
from .models import (
    POSTS_PER_PAGE,
    Forum,
    ForumRead,
    Post,
    Reaction,
    Tag,
    Thread,
    ThreadRead,
    ThreadRedirect,
    ThreadSubscription,
)

THREAD_LIST_RELATED = ("author__profile", "last_poster__profile", "forum__region")


def list_region_forums(*, viewer: User, region: Region) -> QuerySet[Forum]:
    forums = Forum.objects.filter(region=region).select_related("last_post__author__profile",
                                                                 "last_post__thread")
    return permissions.visible_forums(viewer, forums).order_by("position", "name")


def list_national_forums(*, viewer: User) -> QuerySet[Forum]:
    forums = Forum.objects.filter(region=None).select_related("last_post__author__profile",
                                                               "last_post__thread")
    return permissions.visible_forums(viewer, forums).order_by("position", "name")


def get_forum(*, viewer: User, forum_id: int) -> Forum:
    forums = Forum.objects.select_related("region")
    return get_object_or_404(permissions.visible_forums(viewer, forums), pk=forum_id)


# The reader's read mark and watch level as columns of the thread query. Plain SQL because the
# ORM's Subquery costs more Python time to compile than both queries take in the database; the
# table and column names are ours, the user id a parameter.
_READER_POSITION_SQL = ("SELECT last_read_position FROM forums_threadread "
                        "WHERE thread_id = forums_thread.id AND user_id = %s")
_READER_WATCH_LEVEL_SQL = ("SELECT level FROM forums_threadsubscription "
                           "WHERE thread_id = forums_thread.id AND user_id = %s")
# Whether the reader has posts here waiting for approval (nearly always not: then the page asks
# nothing more about them).
_READER_WAITING_SQL = ("SELECT 1 FROM forums_post WHERE thread_id = forums_thread.id "
                       "AND author_id = %s AND is_pending = %s AND is_deleted = %s LIMIT 1")


def _thread_with_forum(thread):
    return Thread.objects.select_related("forum__region").filter(pk=thread)[:1]


def _thread_with_reader_state(thread, reader):
    return _thread_with_forum(thread).annotate(
        reader_position=RawSQL(_READER_POSITION_SQL, (reader,)),  # noqa: S611
        reader_watch_level=RawSQL(_READER_WATCH_LEVEL_SQL, (reader,)),  # noqa: S611
        reader_waiting=RawSQL(_READER_WAITING_SQL, (reader, True, False)),  # noqa: S611
    )


# Every thread page and form asks for its thread: compiled once per process (see
# core/precompiled.py).
_thread = Precompiled(Thread, _thread_with_forum)
_thread_and_reader_state = Precompiled(Thread, _thread_with_reader_state)


def get_thread(*, viewer: User, thread_id: int, with_reader_state: bool = False) -> Thread:
    """The thread with what the permission checks need (its forum and region), 404 if the
    viewer may not see it. The accepted answer, report sections and tags load lazily: the
    thread page keeps them in fragments cached per change of the thread.

    with_reader_state: the viewer's read position and watch level come in the same query
    (read_position() and watch_level() then ask nothing more)."""
    if with_reader_state and viewer.is_authenticated:
        found = _thread_and_reader_state(thread=thread_id, reader=viewer.pk)
    else:
        found = _thread(thread=thread_id)
    thread = found[0] if found else None
    # The object check states the same rule as visible_threads (the permission matrix runs
    # both) and is cheaper here than joining the filter into the query.
    if thread is None or not permissions.can_view_thread(viewer, thread):
        raise Http404
    return thread


def visible_thread_state(*, viewer: User, thread_id: int) -> tuple[int, int] | None:
    """(event sequence, last position) of a thread the viewer may see, in one small query."""
    threads = permissions.visible_threads(viewer, Thread.objects.filter(pk=thread_id))
    return threads.values_list("event_seq", "last_position").first()


def merged_into(*, thread_id: int) -> int | None:
    """The thread a merged (gone) thread became part of, or None."""
    return ThreadRedirect.objects.filter(old_thread_id=thread_id) \
        .values_list("thread_id", flat=True).first()


def get_post(*, viewer: User, post_id: int) -> Post:
    posts = Post.objects.select_related("thread__forum__region", "author__profile")
    return get_object_or_404(permissions.visible_posts(viewer, posts), pk=post_id)


def with_read_state(threads: QuerySet[Thread], viewer: User) -> QuerySet[Thread]:
    """Annotate unread_count: posts after the user's read mark, zero when the forum was marked
    read after the thread's last post. Anonymous readers get no annotation work."""
    if not viewer.is_authenticated:
        return threads
    last_read = ThreadRead.objects.filter(user=viewer, thread=OuterRef("pk")).values(
        "last_read_position")[:1]
    forum_mark = ForumRead.objects.filter(user=viewer, forum=OuterRef("forum_id")).values(
        "marked_at")[:1]
    return threads.annotate(
        read_position=Subquery(last_read),
        forum_marked_at=Subquery(forum_mark),
    ).annotate(
        unread_count=Greatest(F("last_position") - Coalesce(F("read_position"), 0), 0),
    )


def list_threads(*, viewer: User, forum: Forum, kind: str | None = None,
                 tag: str | None = None) -> QuerySet[Thread]:
    threads = Thread.objects.filter(forum=forum).select_related(*THREAD_LIST_RELATED) \
        .prefetch_related("tags")
    if kind:
        threads = threads.filter(kind=kind)
    if tag:
        threads = threads.filter(tags__slug=tag)
    threads = permissions.visible_threads(viewer, threads)
    return with_read_state(threads, viewer).order_by("-is_pinned", "-last_post_at", "-pk")


def list_latest_threads(*, viewer: User) -> QuerySet[Thread]:
    threads = Thread.objects.listed().select_related(*THREAD_LIST_RELATED) \
        .prefetch_related("tags")
    threads = permissions.visible_threads(viewer, threads)
    return with_read_state(threads, viewer).order_by("-last_post_at", "-pk")


def list_unread_threads(*, viewer: User) -> QuerySet[Thread]:
    """Threads with posts the user has not read, among those they watch or took part in."""
    watching = ThreadSubscription.objects.filter(
        user=viewer, thread=OuterRef("pk"), level=ThreadSubscription.Level.WATCHING)
    threads = with_read_state(
        permissions.visible_threads(viewer, Thread.objects.listed()), viewer
    ).filter(Exists(watching)).filter(
        Q(forum_marked_at__isnull=True) | Q(last_post_at__gt=F("forum_marked_at")),
        unread_count__gt=0,
    )
    return threads.select_related(*THREAD_LIST_RELATED).prefetch_related("tags") \
        .order_by("-last_post_at", "-pk")


def get_tag(*, viewer: User, slug: str) -> Tag:
    """The programme-wide tag of that slug, else a region's the viewer may see (404 if none)."""
    tags = permissions.visible_tags(viewer, Tag.objects.filter(slug=slug))
    tag = tags.order_by(F("region_id").asc(nulls_first=True), "pk").first()
    if tag is None:
        raise Http404
    return tag


def list_tag_threads(*, viewer: User, slug: str) -> QuerySet[Thread]:
    threads = Thread.objects.listed().filter(tags__slug=slug).distinct() \
        .select_related(*THREAD_LIST_RELATED).prefetch_related("tags")
    return with_read_state(permissions.visible_threads(viewer, threads), viewer) \
        .order_by("-last_post_at", "-pk")


def list_user_posts(*, viewer: User, author: User) -> QuerySet[Post]:
    posts = Post.objects.filter(author=author, is_deleted=False, is_hidden=False) \
        .select_related("thread__forum__region")
    return permissions.visible_posts(viewer, posts).order_by("-created_at", "-pk")


def tags_for_forum(forum: Forum) -> QuerySet[Tag]:
    return Tag.objects.filter(Q(region=None) | Q(region_id=forum.region_id)).order_by("name")


@dataclass
class ThreadPage:
    posts: list[Post]
    number: int
    num_pages: int
    has_previous: bool
    has_next: bool

    @property
    def paginator(self) -> "ThreadPage":
        # Duck-types Django's Page for the shared pagination partial (page.paginator.num_pages).
        return self


def thread_page(*, thread: Thread, page: int) -> ThreadPage:
    """One page of posts by position range (no OFFSET scan), with authors and reactions."""
    num_pages = thread.page_count
    page = min(max(page, 1), num_pages)
    start = (page - 1) * POSTS_PER_PAGE + 1
    reactions = Reaction.objects.select_related("user__profile").order_by("created_at")
    posts = list(
        Post.objects.filter(thread=thread, position__gte=start,
                            position__lt=start + POSTS_PER_PAGE)
        .select_related("author__profile")
        .prefetch_related(Prefetch("reactions", queryset=reactions))
        .order_by("position")
    )
    for post in posts:
        post.thread = thread  # the page's thread, not one query per post
    return ThreadPage(posts=posts, number=page, num_pages=num_pages,
                      has_previous=page > 1, has_next=page < num_pages)


def list_waiting_posts(*, viewer: User, thread: Thread, is_moderator: bool = False) -> list[Post]:
    """Posts in the thread waiting for approval that the page shows the viewer: their own; in a
    thread that itself waits, its moderators see its opening post too (otherwise they decide
    in the review queue). Never part of the shared page fragments."""
    if not viewer.is_authenticated:
        return []
    posts = Post.objects.filter(thread=thread, is_pending=True, is_deleted=False)
    if not (is_moderator and thread.is_pending):
        if hasattr(thread, "reader_waiting") and not thread.reader_waiting:
            return []  # get_thread(with_reader_state=True) asked already
        posts = posts.filter(author=viewer)
    return list(posts.select_related("author__profile").order_by("created_at", "pk"))


def accepted_answer(*, thread: Thread) -> Post | None:
    """The accepted answer with its author, or None (also when it has been deleted)."""
    if not thread.accepted_answer_id:
        return None
    return Post.objects.filter(pk=thread.accepted_answer_id, is_deleted=False) \
        .select_related("author__profile").first()


def read_position(*, viewer: User, thread: Thread) -> int:
    if not viewer.is_authenticated:
        return thread.last_position
    if hasattr(thread, "reader_position"):  # get_thread(with_reader_state=True)
        return thread.reader_position or 0
    mark = ThreadRead.objects.filter(user=viewer, thread=thread).values_list(
        "last_read_position", flat=True).first()
    return mark or 0


def watch_level(*, viewer: User, thread: Thread) -> str | None:
    if not viewer.is_authenticated:
        return None
    if hasattr(thread, "reader_watch_level"):  # get_thread(with_reader_state=True)
        return thread.reader_watch_level
    return ThreadSubscription.objects.filter(user=viewer, thread=thread).values_list(
        "level", flat=True).first()


def post_id_at(*, thread: Thread, position: int) -> int | None:
    """The post at a position of the thread (the reader's first unread one), or None."""
    return thread.posts.filter(position=position).values_list("pk", flat=True).first()


def get_quotable_post(*, thread: Thread, post_id: int) -> Post | None:
    """A post of the thread that every reader sees, with its author: what a reply may quote."""
    return thread.posts.filter(pk=post_id, is_deleted=False, is_hidden=False, is_pending=False) \
        .select_related("author__profile").first()


def get_quoted_post(*, thread_id: int, post_id: int | None) -> Post | None:
    """The post a sent reply quotes, if it is in that thread (create_post checks the rest)."""
    if not post_id:
        return None
    return Post.objects.filter(pk=post_id, thread_id=thread_id).first()


def list_manageable_forums(*, viewer: User, region: Region) -> QuerySet[Forum]:
    """The forums on a region's management page, archived ones included."""
    forums = Forum.objects.filter(region=region)
    return permissions.manageable_forums(viewer, forums).order_by("position", "name")


def get_manageable_forum(*, viewer: User, region: Region, forum_id: int) -> Forum | None:
    return list_manageable_forums(viewer=viewer, region=region).filter(pk=forum_id).first()


def list_region_tags(*, region: Region) -> QuerySet[Tag]:
    return Tag.objects.filter(region=region)
