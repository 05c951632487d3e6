"""Page-ready reads for moderators: the review queue, the audit log, a member's standing.
Each starts from the regions the viewer moderates, so a moderator never lists another region's
items; query counts stay flat however long the queue or the log grows."""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from forums.models import Forum, Post, Thread
from regions.models import MembershipRequest, Region

from . import permissions
from .models import AuditEntry, Flag, MemberWarning, Suspension, Vouch


def _in_regions(queryset: QuerySet, field: str, region_ids: set[int] | None) -> QuerySet:
    if region_ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": region_ids})


def list_moderated_regions(*, viewer: User) -> list[Region]:
    """The active regions the viewer moderates (staff: all)."""
    return list(permissions.moderated_regions(viewer, Region.objects.active()))


def first_moderated_region(*, viewer: User) -> Region | None:
    """Where a region moderator's review queue opens."""
    ids = permissions.moderated_region_ids(viewer)
    if not ids:
        return None
    return Region.objects.filter(pk__in=ids).order_by("position", "name").first()


def list_flags(*, post: Post) -> QuerySet[Flag]:
    """Every flag of the post, open ones first, with the flaggers."""
    return post.flags.select_related("user__profile").order_by("-is_open", "created_at")


def list_flagged_posts(*, region_ids: set[int] | None) -> QuerySet[Post]:
    """Posts with open flags, or hidden by flags and waiting for a decision; oldest first,
    with their open flags, flaggers, authors and threads."""
    flags = Flag.objects.filter(is_open=True).select_related("user__profile") \
        .order_by("created_at")
    posts = Post.objects.filter(
        Q(flags__is_open=True) | Q(is_hidden=True, hidden_by__isnull=True),
        is_deleted=False,
    ).distinct()
    posts = _in_regions(posts, "thread__forum__region_id", region_ids)
    return posts.select_related("thread__forum__region", "author__profile") \
        .prefetch_related(Prefetch("flags", queryset=flags, to_attr="open_flags")) \
        .order_by("created_at", "pk")


def list_waiting_posts(*, region_ids: set[int] | None) -> QuerySet[Post]:
    """Posts and new threads waiting for approval in these regions (None: all), oldest first."""
    posts = Post.objects.filter(is_pending=True, is_deleted=False)
    posts = _in_regions(posts, "thread__forum__region_id", region_ids)
    return posts.select_related("thread__forum__region", "author__profile") \
        .order_by("created_at", "pk")


def list_pending_requests(*, region_ids: set[int] | None) -> QuerySet[MembershipRequest]:
    requests = MembershipRequest.objects.filter(status=MembershipRequest.Status.PENDING)
    return _in_regions(requests, "region_id", region_ids) \
        .select_related("user__profile", "region").order_by("created_at")


def queue_count(*, viewer: User) -> int:
    """Open items in the viewer's queues, for the header: one query, for moderators only
    (exact at every page load; a cached count would go stale on writes we do not own)."""
    region_ids = permissions.moderated_region_ids(viewer)
    if region_ids is not None and not region_ids:
        return 0
    # Flagged posts and posts waiting for approval (moderation/approvals.py) alike.
    flagged = _in_regions(Post.objects.filter(
        Q(flags__is_open=True) | Q(is_hidden=True, hidden_by__isnull=True) | Q(is_pending=True),
        is_deleted=False), "thread__forum__region_id", region_ids).values("pk").distinct()
    requests = _in_regions(MembershipRequest.objects.filter(
        status=MembershipRequest.Status.PENDING), "region_id", region_ids).values("pk")
    return _count_both(flagged, requests)


def _count_both(flagged: QuerySet, requests: QuerySet) -> int:
    """Both counts in one round trip: the ORM builds each query, one SELECT adds them."""
    flagged_sql, flagged_params = flagged.query.sql_with_params()
    requests_sql, requests_params = requests.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM ({flagged_sql}) f) + "  # noqa: S608 - ORM-built
            f"(SELECT COUNT(*) FROM ({requests_sql}) r)",
            [*flagged_params, *requests_params])
        return cursor.fetchone()[0]


def queue_fingerprint(*, region_ids: set[int] | None) -> tuple[int, ...]:
    """Changes whenever what the review queue of these regions (None: all) lists changes: an
    item in or out, a flag more or less, a suspension begun or over. One round trip; for the
    queue socket, which compares it at each ping with what it last told its page."""
    in_thread = "thread__forum__region_id"
    parts = [
        _in_regions(Post.objects.filter(is_pending=True, is_deleted=False), in_thread,
                    region_ids),
        _in_regions(Post.objects.filter(is_hidden=True, hidden_by__isnull=True,
                                        is_deleted=False), in_thread, region_ids),
        _in_regions(Flag.objects.filter(is_open=True, post__is_deleted=False),
                    f"post__{in_thread}", region_ids),
        _in_regions(MembershipRequest.objects.filter(status=MembershipRequest.Status.PENDING),
                    "region_id", region_ids),
        _in_regions(Suspension.objects.active(), "region_id", region_ids),
    ]
    selects, params = [], []
    for index, queryset in enumerate(parts):
        sql, part_params = queryset.order_by().values(item=F("pk")).query.sql_with_params()
        # The count and the sum of the ids: one item out and another in changes the sum.
        selects.append(f"SELECT {index}, COUNT(*), COALESCE(SUM(part.item), 0) "  # noqa: S608
                       f"FROM ({sql}) part")
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects) + " ORDER BY 1", params)
        return tuple(value for row in cursor.fetchall() for value in row[1:])


# --- Audit log -----------------------------------------------------------------------------

def list_audit(*, region: Region | None, action: str = "", actor: str = "",
               date_from: date | None = None, date_to: date | None = None
               ) -> QuerySet[AuditEntry]:
    """region None: the combined log (staff)."""
    entries = AuditEntry.objects.select_related("region")
    if region is not None:
        entries = entries.filter(region=region)
    if action:
        entries = entries.filter(action=action)
    if actor:
        entries = entries.filter(Q(actor__username__iexact=actor)
                                 | Q(actor_label__icontains=actor))
    tz = timezone.get_current_timezone()
    if date_from:
        entries = entries.filter(created_at__gte=datetime.combine(date_from, time.min, tz))
    if date_to:
        entries = entries.filter(created_at__lt=datetime.combine(date_to, time.max, tz))
    return entries.order_by("-created_at", "-pk")


def audit_actions() -> list[str]:
    return sorted(AuditEntry.objects.order_by().values_list("action", flat=True).distinct())


# --- Threads -------------------------------------------------------------------------------

def find_thread(thread_id: int) -> Thread | None:
    """A thread by its number, wherever it is (the merge checks whether the moderator may
    use it)."""
    return Thread.objects.select_related("forum__region").filter(pk=thread_id).first()


def list_target_forums(*, viewer: User) -> QuerySet[Forum]:
    """The forums the viewer may move a thread or split posts to."""
    return permissions.moderated_forums(viewer, Forum.objects.select_related("region")) \
        .order_by("region__name", "position", "name")


def list_replies(*, thread: Thread) -> list[Post]:
    """The posts a split may take: every reply (never the opening post), in order."""
    return list(thread.posts.filter(position__gt=1).select_related("author__profile")
                .order_by("position"))


# --- Members -------------------------------------------------------------------------------

def get_member(*, username: str) -> User:
    return get_object_or_404(get_user_model().objects.select_related("profile"),
                             username=username, is_active=True)


def get_suspension(*, suspension_id: int) -> Suspension:
    return get_object_or_404(Suspension.objects.select_related("user", "region"),
                             pk=suspension_id)


def suspension_notice(row: dict) -> dict:
    """What a suspended member is told: why, where and until when."""
    region = Region.objects.filter(pk=row["region_id"]).first() if row["region_id"] else None
    until = datetime.fromtimestamp(row["ends_at"], tz=UTC) if row["ends_at"] else None
    return {"reason": row["reason"], "region": region, "until": until}


def list_suspensions(*, user: User, region_ids: set[int] | None = None
                     ) -> QuerySet[Suspension]:
    """The member's suspensions, newest first; region_ids: only those in these regions (None:
    all, the site-wide ones too)."""
    suspensions = Suspension.objects.filter(user=user) \
        .select_related("region", "created_by__profile").order_by("-starts_at")
    return _in_regions(suspensions, "region_id", region_ids)


def list_active_suspensions(*, region_ids: set[int] | None) -> QuerySet[Suspension]:
    active = Suspension.objects.active().select_related("user__profile", "region")
    if region_ids is not None:
        active = active.filter(region_id__in=region_ids)
    return active.order_by("ends_at")


def list_warnings(*, user: User, region_ids: set[int] | None = None
                  ) -> QuerySet[MemberWarning]:
    warnings = MemberWarning.objects.filter(user=user).select_related("region")
    return _in_regions(warnings, "region_id", region_ids)


def vouched_region_ids(*, user: User, regions: Iterable[Region]) -> set[int]:
    """Which of these regions a moderator has vouched for the member in."""
    return set(Vouch.objects.filter(user=user, region__in=list(regions))
               .values_list("region_id", flat=True))
