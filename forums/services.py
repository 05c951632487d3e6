"""Every forum write goes through here: views, admin actions, commands and (later) the API.

Each function takes the acting user first, checks permissions, runs in one transaction and
keeps the denormalised counters in plain sight.
"""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from core.precompiled import Precompiled
from regions.models import Region

from . import permissions, ratelimits, rendering, search, signals, thread_events
from .models import (
    Forum,
    ForumRead,
    ForumSubscription,
    Mention,
    Post,
    PostRevision,
    Reaction,
    RegionSubscription,
    ReportSections,
    Tag,
    Thread,
    ThreadRedirect,
    ThreadSubscription,
)

# At most this many @mentions per post take effect (link and notify); the rest stay plain text.
MAX_MENTIONS = 20

REGION_FORUMS = [
    # slug, name, description, visibility, is_reports
    # Names are content (staff rename them), so they are stored in Dutch, not translated.
    ("algemeen", "Algemeen", "Alles over samenwerken in deze regio.",
     Forum.Visibility.MEMBERS, False),
    ("verslagen", "Verslagen", "Verslagen met geleerde lessen, door de regioreporters.",
     Forum.Visibility.PUBLIC, True),
    ("vragen-en-antwoorden", "Vragen en antwoorden",
     "Stel je vraag aan collega's en markeer het antwoord dat hielp.",
     Forum.Visibility.PUBLIC, False),
]


def create_region_forums(*, region: Region) -> list[Forum]:
    """The three standard forums every region starts with (idempotent)."""
    forums = []
    for position, (slug, name, description, visibility, is_reports) in enumerate(REGION_FORUMS):
        forum, _created = Forum.objects.get_or_create(
            region=region, slug=slug,
            defaults={"name": name, "description": description,
                      "visibility": visibility, "is_reports": is_reports, "position": position},
        )
        forums.append(forum)
    return forums


# --- Forums --------------------------------------------------------------------------------

@transaction.atomic
def create_forum(*, actor: User, region: Region | None, name: str, description: str = "",
                 visibility: str = Forum.Visibility.MEMBERS) -> Forum:
    if not permissions.can_manage_forums(actor, region):
        raise PermissionDenied(_("Only this region's moderators manage its forums."))
    if not permissions.can_set_visibility(actor, visibility):
        raise PermissionDenied(_("Only staff make a forum staff-only."))
    base = slugify(name)[:70] or "forum"
    slug, n = base, 1
    while Forum.objects.filter(region=region, slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    last = Forum.objects.filter(region=region).order_by("-position").first()
    forum = Forum(region=region, slug=slug, name=name, description=description,
                  visibility=visibility, position=(last.position + 1) if last else 0)
    forum.full_clean()
    forum.save()
    return forum


@transaction.atomic
def update_forum(*, actor: User, forum: Forum, **fields) -> Forum:
    if not permissions.can_manage_forum(actor, forum):
        raise PermissionDenied(_("Only this region's moderators manage its forums."))
    if "visibility" in fields and not permissions.can_set_visibility(actor, fields["visibility"]):
        raise PermissionDenied(_("Only staff make a forum staff-only."))
    allowed = {"name", "description", "visibility", "is_archived", "position"}
    for key, value in fields.items():
        if key in allowed:
            setattr(forum, key, value)
    forum.full_clean()
    forum.save(update_fields=[k for k in fields if k in allowed])
    return forum


@transaction.atomic
def move_forum(*, actor: User, forum: Forum, direction: int) -> None:
    """Swap places with the neighbour above (-1) or below (+1)."""
    if not permissions.can_manage_forum(actor, forum):
        raise PermissionDenied(_("Only this region's moderators manage its forums."))
    siblings = list(Forum.objects.filter(region=forum.region).order_by("position", "name"))
    # The neighbour the actor sees: a moderator's list skips the staff-only forums.
    shown = [i for i, f in enumerate(siblings) if permissions.can_manage_forum(actor, f)]
    place = next(n for n, i in enumerate(shown) if siblings[i].pk == forum.pk)
    if 0 <= place + direction < len(shown):
        index, other = shown[place], shown[place + direction]
        siblings[index], siblings[other] = siblings[other], siblings[index]
        for position, item in enumerate(siblings):
            if item.position != position:
                Forum.objects.filter(pk=item.pk).update(position=position)


# --- Writing ---------------------------------------------------------------------------------

def _clean_text(value: str, *, field: str, max_length: int) -> str:
    value = (value or "").replace("\x00", "").strip()
    if not value:
        raise ValidationError({field: _("This field cannot be empty.")})
    if len(value) > max_length:
        raise ValidationError({field: _("At most %(n)d characters, please.") % {"n": max_length}})
    return value


def _clean_markdown(value: str, *, field: str, max_length: int,
                    required: bool = True) -> str:
    value = (value or "").replace("\x00", "").strip()
    if not value and not required:
        return value
    value = _clean_text(value, field=field, max_length=max_length)
    if rendering.line_count(value) > rendering.MAX_LINES:
        raise ValidationError({field: _("At most %(n)d lines, please.")
                               % {"n": rendering.MAX_LINES}})
    return value


def _mentioned_users(body: str) -> list[User]:
    # Unknown names do not use up the allowance; the first MAX_MENTIONS real users count.
    if "@" not in body:
        return []  # no mention without an @: spare the Markdown parse that finds them
    handles = rendering.extract_mentions(body)[:MAX_MENTIONS * 5]
    if not handles:
        return []
    users = get_user_model().objects.annotate(handle=Lower("username")).filter(
        is_active=True, handle__in=[h.lower() for h in handles])
    found = {u.handle: u for u in users}
    return [found[h.lower()] for h in handles if h.lower() in found][:MAX_MENTIONS]


def _render(body: str) -> tuple[str, list[User]]:
    mentioned = _mentioned_users(body)
    html = rendering.render_markdown(body, known_usernames=[u.username for u in mentioned])
    return html, mentioned


def _locked(queryset, pk: int):
    """The row, locked for this transaction; `of` because PostgreSQL cannot lock the nullable
    side of the outer join to a national forum's (absent) region. NO KEY UPDATE, like every
    lock we take for an update: rows that merely point here (a post, a notification) may be
    inserted meanwhile. A plain FOR UPDATE makes their inserts wait, and the notification
    worker (thread, then post) and a reaction (post, then thread) then deadlocked."""
    return queryset.select_for_update(of=("self",), no_key=True).get(pk=pk)


# Every reply locks its thread with the forum and region: compiled once per process.
_thread_for_update = Precompiled(
    Thread, lambda thread: Thread.objects.select_related("forum__region")
    .select_for_update(of=("self",), no_key=True).filter(pk=thread)[:1], for_update=True)


def _locked_thread(pk: int) -> Thread:
    """_locked for a thread with its forum and region."""
    found = _thread_for_update(thread=pk)
    if not found:
        raise Thread.DoesNotExist
    return found[0]


def _locked_reply_thread(pk: int) -> Thread:
    """_locked_thread for a reply: the thread asked for or, when a merge took it (before the
    form was sent, or while the reply waited for the row the merge held), the thread it became
    part of, through the redirect the merge leaves. The merge commits before the wait ends, so
    the redirect is there to read; a second merge meanwhile is one more hop."""
    for _hop in range(3):
        try:
            return _locked_thread(pk)
        except Thread.DoesNotExist:
            pk = ThreadRedirect.objects.filter(old_thread_id=pk) \
                .values_list("thread_id", flat=True).first()
            if pk is None:
                raise
    raise Thread.DoesNotExist


def _existing_post(author: User, key: str) -> Post | None:
    if not key:
        return None
    return Post.objects.filter(author=author, idempotency_key=key).select_related("thread").first()


def _add_post(*, thread: Thread, author: User, body: str, idempotency_key: str,
              quote_of: Post | None = None, held: bool = False) -> Post:
    """Append a post at the next position; the caller holds the thread row lock (or created
    the thread in this transaction), so `thread` is current, its event_seq included.

    held: the post waits for a moderator's approval (moderation/approvals.py). It is written
    without a place in the thread and touches no counter, event or search entry until
    `approve_post` publishes it."""
    html, mentioned = _render(body)
    post = Post.objects.create(
        thread=thread, author=author, position=None if held else thread.last_position + 1,
        body=body, html=html, quote_of=quote_of, idempotency_key=idempotency_key[:64],
        is_pending=held,
    )
    Mention.objects.bulk_create([Mention(post=post, user=u) for u in mentioned])
    if not held:
        _publish(post, thread)
    return post


def _publish(post: Post, thread: Thread) -> None:
    """The post takes its place at the end of the thread: counters, last post, search, live
    event. The caller holds the thread row lock; post.position is already set."""
    now = timezone.now()
    position = post.position
    # The live event's sequence number moves in the same UPDATE: the row is locked already.
    seq = thread.event_seq + 1
    Thread.objects.filter(pk=thread.pk).update(
        post_count=F("post_count") + 1, last_position=position, last_post=post,
        last_poster=post.author, last_post_at=now, event_seq=seq,
    )
    Forum.objects.filter(pk=thread.forum_id).update(
        post_count=F("post_count") + 1, last_post=post, last_post_at=now,
    )
    thread.last_position, thread.last_post_at, thread.event_seq = position, now, seq
    thread.post_count += 1
    thread.last_post, thread.last_poster = post, post.author
    search.index_post(post)
    thread_events.post_created(post, thread, seq=seq,
                        idempotency_key=post.idempotency_key, page=post.page)


def _watch(user: User, thread: Thread) -> None:
    """Watch the thread unless the user already chose a level (muted stays muted): one
    INSERT ... ON CONFLICT DO NOTHING."""
    ThreadSubscription.objects.bulk_create([ThreadSubscription(user=user, thread=thread)],
                                           ignore_conflicts=True)


def create_thread(*, actor: User, forum: Forum, title: str, body: str,
                  kind: str = Thread.Kind.DISCUSSION, tags: Iterable[Tag] = (),
                  report: dict | None = None, idempotency_key: str = "") -> Thread:
    """A repeated idempotency key (double click, retry) returns the thread the first one
    started; see create_post for how a race between the two is settled."""
    try:
        return _create_thread(actor=actor, forum=forum, title=title, body=body, kind=kind,
                              tags=tags, report=report, idempotency_key=idempotency_key)
    except IntegrityError:
        existing = _existing_post(actor, idempotency_key)
        if existing is None:
            raise
        return existing.thread


@transaction.atomic
def _create_thread(*, actor: User, forum: Forum, title: str, body: str, kind: str,
                   tags: Iterable[Tag], report: dict | None, idempotency_key: str) -> Thread:
    existing = _existing_post(actor, idempotency_key)
    if existing is not None:
        return existing.thread
    if not permissions.can_start_thread(actor, forum):
        raise PermissionDenied(_("You cannot start a thread in this forum."))
    if kind == Thread.Kind.REPORT and not permissions.can_start_report(actor, forum):
        raise PermissionDenied(_("Only regional reporters and moderators publish reports."))
    if kind not in Thread.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of thread.")})
    title = _clean_text(title, field="title", max_length=200)
    body = _clean_markdown(body, field="body", max_length=rendering.MAX_SOURCE_LENGTH)
    tags = list(tags)
    if any(t.region_id not in (None, forum.region_id) for t in tags):
        raise ValidationError({"tags": _("These tags do not belong to this region.")})
    try:
        ratelimits.check_new_thread(actor)
    except ValidationError:
        existing = _existing_post(actor, idempotency_key)
        if existing is not None:
            return existing.thread
        raise
    held = permissions.must_wait_for_approval(actor, forum)
    thread = Thread.objects.create(forum=forum, title=title, author=actor, kind=kind,
                                   last_post_at=timezone.now(), is_pending=held)
    if tags:
        thread.tags.set(tags)
    if kind == Thread.Kind.REPORT:
        _save_report_sections(thread, report or {})
    if not held:
        Forum.objects.filter(pk=forum.pk).update(thread_count=F("thread_count") + 1)
    post = _add_post(thread=thread, author=actor, body=body, idempotency_key=idempotency_key,
                     held=held)
    _watch(actor, thread)
    if held:
        signals.post_held.send(sender=Post, post=post, created_thread=True)
        return thread
    mark_thread_read(user=actor, thread=thread, position=post.position)
    signals.post_created.send(sender=Post, post=post, created_thread=True)
    return thread


def _save_report_sections(thread: Thread, report: dict) -> None:
    sections, _created = ReportSections.objects.get_or_create(thread=thread)
    for field in ("success_factors", "obstacles", "lessons"):
        text = _clean_markdown(report.get(field), field=field, max_length=5000,
                               required=False)
        setattr(sections, field, text)
        setattr(sections, f"{field}_html", rendering.render_markdown(text) if text else "")
    sections.save()
    search.index_thread(thread)


def create_post(*, actor: User, thread: Thread, body: str, quote_of: Post | None = None,
                idempotency_key: str = "") -> Post:
    """A repeated idempotency key (double click, retry) returns the post the first one made.
    The unique (author, key) constraint catches the repeat when the post is written, so the
    usual case asks nothing beforehand; only a refusal looks first (a retry after the thread
    was locked still gets its post). The repeat's whole transaction is rolled back, with no
    savepoint around the insert (two round trips fewer on every reply), and the first one's
    post, committed by then (it held the thread lock), is read afterwards."""
    try:
        return _create_post(actor=actor, thread=thread, body=body, quote_of=quote_of,
                            idempotency_key=idempotency_key)
    except IntegrityError:
        existing = _existing_post(actor, idempotency_key)
        if existing is None:
            raise
        return existing


@transaction.atomic
def _create_post(*, actor: User, thread: Thread, body: str, quote_of: Post | None,
                 idempotency_key: str) -> Post:
    asked_for = thread.pk
    thread = _locked_reply_thread(asked_for)
    if not permissions.can_reply(actor, thread):
        existing = _existing_post(actor, idempotency_key)
        if existing is not None:
            return existing
        permissions.refuse_reply(actor, thread)
    body = _clean_markdown(body, field="body", max_length=rendering.MAX_SOURCE_LENGTH)
    # A quote from a merged thread went along with it into this one.
    if quote_of is not None and (quote_of.thread_id not in (thread.pk, asked_for)
                                 or quote_of.is_pending):
        quote_of = None
    try:
        ratelimits.check_post(actor)
    except ValidationError:
        existing = _existing_post(actor, idempotency_key)
        if existing is not None:
            return existing
        raise
    held = permissions.must_wait_for_approval(actor, thread.forum)
    post = _add_post(thread=thread, author=actor, body=body, idempotency_key=idempotency_key,
                     quote_of=quote_of, held=held)
    _watch(actor, thread)
    if held:
        signals.post_held.send(sender=Post, post=post, created_thread=False)
        return post
    mark_thread_read(user=actor, thread=thread, position=post.position)
    signals.post_created.send(sender=Post, post=post, created_thread=False)
    return post


@transaction.atomic
def approve_post(*, actor: User, post: Post) -> Post:
    """Publish a post that waited for approval, as a new post would be published now: its
    place at the end of the thread, counters, search, the live event and `post_created` (so
    notifications fan out). A waiting thread is published with its first post."""
    post = _locked(Post.objects.select_related("author__profile"), post.pk)
    thread = _locked_thread(post.thread_id)
    post.thread = thread
    if not permissions.is_moderator(actor, thread.forum):
        raise PermissionDenied(_("Only this region's moderators approve posts."))
    if not post.is_pending or post.is_deleted:
        raise ValidationError(_("This post is not waiting for approval."))
    created_thread = thread.is_pending
    if created_thread:
        thread.is_pending = False
        thread.save(update_fields=["is_pending"])
        Forum.objects.filter(pk=thread.forum_id).update(thread_count=F("thread_count") + 1)
    post.position, post.is_pending = thread.last_position + 1, False
    post.save(update_fields=["position", "is_pending"])
    _publish(post, thread)
    signals.post_created.send(sender=Post, post=post, created_thread=created_thread)
    return post


@transaction.atomic
def decline_post(*, actor: User, post: Post) -> Post:
    """Keep a waiting post out for good: deleted, never published (a waiting thread too)."""
    post = _locked(Post.objects.select_related("thread__forum__region"), post.pk)
    if not permissions.is_moderator(actor, post.thread.forum):
        raise PermissionDenied(_("Only this region's moderators decline posts."))
    if not post.is_pending or post.is_deleted:
        raise ValidationError(_("This post is not waiting for approval."))
    post.is_deleted, post.deleted_at = True, timezone.now()
    post.save(update_fields=["is_deleted", "deleted_at"])
    thread = post.thread
    if thread.is_pending:  # a waiting thread holds only its first post
        thread.is_declined = True
        thread.save(update_fields=["is_declined"])
    return post


@transaction.atomic
def withdraw_post(*, actor: User, post: Post) -> bool:
    """Its author takes back a post waiting for approval: it goes as if never sent, since
    nobody but its author and the region's moderators saw it and it counts nowhere (no
    counter, event or search entry to undo). A waiting thread goes with its opening post.
    Returns whether the thread went too. Locks the post first, as approve_post does, so the
    two meet in one order: whichever comes second finds the other's outcome."""
    try:
        post = Post.objects.select_related("thread__forum__region") \
            .select_for_update(of=("self",)).get(pk=post.pk)
    except Post.DoesNotExist:
        raise ValidationError(_("This post has been withdrawn already.")) from None
    if post.author_id != actor.pk:
        raise PermissionDenied(_("You can only withdraw your own posts."))
    if not permissions.can_withdraw_post(actor, post):
        raise ValidationError(_("This post is no longer waiting for approval."))
    thread = post.thread
    # A waiting thread holds only its opening post (nobody replies to it before it is
    # published); a merge may have put it in a published thread, where it is a reply.
    if thread.is_pending and not thread.posts.exclude(pk=post.pk).exists():
        thread.delete()
        return True
    post.delete()
    return False


@transaction.atomic
def edit_post(*, actor: User, post: Post, body: str, title: str | None = None,
              report: dict | None = None, moderator_note: str | None = None) -> Post:
    """moderator_note: a moderator's edit, with the note shown under the post (moderation
    cleaned it and records the edit)."""
    post = _locked(Post.objects.select_related("thread__forum__region"), post.pk)
    if not permissions.can_edit_post(actor, post):
        raise PermissionDenied(_("You cannot edit this post."))
    if moderator_note is not None:
        if not permissions.is_moderator(actor, post.thread.forum):
            raise PermissionDenied(_("You cannot edit this post."))
        post.moderator_note = moderator_note
        post.save(update_fields=["moderator_note"])
    body = _clean_markdown(body, field="body", max_length=rendering.MAX_SOURCE_LENGTH)
    thread = post.thread
    if post.position == 1 and title is not None:
        thread.title = _clean_text(title, field="title", max_length=200)
        thread.save(update_fields=["title"])
    if post.position == 1 and report is not None and thread.kind == Thread.Kind.REPORT:
        _save_report_sections(thread, report)
    if body == post.body:
        if post.position == 1:
            search.index_post(post)
            thread_events.thread_changed(thread)
            thread_events.post_changed(post, thread, "post.edited")
        return post
    PostRevision.objects.create(post=post, body=post.body, edited_by=actor)
    html, mentioned = _render(body)
    post.body, post.html = body, html
    post.edited_at = timezone.now()
    post.edit_count = F("edit_count") + 1
    post.save(update_fields=["body", "html", "edited_at", "edit_count"])
    post.refresh_from_db(fields=["edit_count"])
    existing = set(post.mentions.values_list("user_id", flat=True))
    Mention.objects.bulk_create([Mention(post=post, user=u) for u in mentioned
                                 if u.pk not in existing])
    search.index_post(post)
    if post.position == 1 and title is not None:
        thread_events.thread_changed(thread)
    thread_events.post_changed(post, thread, "post.edited")
    return post


@transaction.atomic
def delete_post(*, actor: User, post: Post) -> Post:
    """Soft delete: the thread keeps its shape, the text is gone from pages and search."""
    post = _locked(Post.objects.select_related("thread__forum__region"), post.pk)
    if not permissions.can_delete_post(actor, post):
        raise PermissionDenied(_("You cannot delete this post."))
    post.is_deleted = True
    post.deleted_at = timezone.now()
    post.save(update_fields=["is_deleted", "deleted_at"])
    search.remove_post(post)
    thread_events.post_changed(post, post.thread, "post.deleted")
    return post


@transaction.atomic
def toggle_reaction(*, actor: User, post: Post, kind: str) -> bool:
    """Adds the reaction, or takes it back if it was there; returns whether it is on now."""
    if kind not in Reaction.Kind.values:
        raise ValidationError(_("Unknown reaction."))
    post = _locked(Post.objects.select_related("thread__forum__region"), post.pk)
    if not permissions.can_react(actor, post):
        raise PermissionDenied(_("You cannot react to this post."))
    deleted, _detail = Reaction.objects.filter(post=post, user=actor, kind=kind).delete()
    if not deleted:
        Reaction.objects.create(post=post, user=actor, kind=kind)
    counts = dict(post.reaction_counts or {})
    counts[kind] = max(0, counts.get(kind, 0) + (-1 if deleted else 1))
    post.reaction_counts = {k: v for k, v in counts.items() if v}
    post.save(update_fields=["reaction_counts"])
    thread_events.post_changed(post, post.thread, "post.reactions")
    if not deleted:
        signals.reaction_added.send(sender=Post, post=post, user=actor, kind=kind)
    return not deleted


@transaction.atomic
def accept_answer(*, actor: User, thread: Thread, post: Post | None) -> Thread:
    """Mark (or with post=None, unmark) the reply that answered a question."""
    if not permissions.can_accept_answer(actor, thread):
        raise PermissionDenied(_("Only the asker or a moderator marks the answer."))
    if post is not None and (post.thread_id != thread.pk or post.position == 1 or post.is_deleted
                             or post.is_pending):
        raise ValidationError(_("Choose a reply in this thread."))
    thread.accepted_answer = post
    thread.save(update_fields=["accepted_answer"])
    thread_events.thread_changed(thread)
    if post is not None:
        signals.answer_accepted.send(sender=Thread, thread=thread, post=post, actor=actor)
    return thread


@transaction.atomic
def set_thread_flags(*, actor: User, thread: Thread, is_locked: bool | None = None,
                     is_pinned: bool | None = None) -> Thread:
    if not permissions.can_moderate_thread(actor, thread):
        raise PermissionDenied(_("Only moderators lock or pin threads."))
    fields = []
    if is_locked is not None:
        thread.is_locked, fields = is_locked, [*fields, "is_locked"]
    if is_pinned is not None:
        thread.is_pinned, fields = is_pinned, [*fields, "is_pinned"]
    if fields:
        thread.save(update_fields=fields)
        thread_events.thread_changed(thread)
    return thread


# --- Reading state -----------------------------------------------------------------------------

def record_view(*, request, thread_id: int) -> None:
    """Count a reader once an hour per thread (by account, or address for the anonymous), so
    reloads do not inflate the count and most page views write nothing."""
    who = f"u{request.user.pk}" if request.user.is_authenticated else \
        f"a{request.META.get('REMOTE_ADDR', '')}"
    if cache.add(f"viewed:{thread_id}:{who}", 1, 3600):
        Thread.objects.filter(pk=thread_id).update(view_count=F("view_count") + 1)


# SQLite and PostgreSQL both speak this upsert; the table name is ours, not user input.
_UPSERT_READ_MARK = (
    "INSERT INTO forums_threadread (user_id, thread_id, last_read_position) VALUES (%s, %s, %s) "
    "ON CONFLICT (user_id, thread_id) DO UPDATE SET last_read_position = CASE "
    "WHEN excluded.last_read_position > forums_threadread.last_read_position "
    "THEN excluded.last_read_position ELSE forums_threadread.last_read_position END"
)


def mark_thread_read(*, user: User, thread: Thread, position: int) -> None:
    """One statement: insert the read mark, or move it forward (never back)."""
    if not user.is_authenticated:
        return
    position = min(position, thread.last_position)
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT_READ_MARK, [user.pk, thread.pk, position])
    if position >= thread.last_position:
        signals.thread_read_to_end.send(sender=Thread, user=user, thread=thread,
                                        position=position)


def mark_forum_read(*, user: User, forum: Forum) -> None:
    """One statement, whatever the size of the forum (an insert the first time)."""
    now = timezone.now()
    if not ForumRead.objects.filter(user=user, forum=forum).update(marked_at=now):
        ForumRead.objects.get_or_create(user=user, forum=forum, defaults={"marked_at": now})


def set_thread_watch(*, user: User, thread: Thread, level: str | None) -> None:
    """level: "watching", "muted", or None to stop watching."""
    if not permissions.can_watch(user, thread):
        raise PermissionDenied
    if level is None:
        ThreadSubscription.objects.filter(user=user, thread=thread).delete()
    elif level in ThreadSubscription.Level.values:
        ThreadSubscription.objects.update_or_create(user=user, thread=thread,
                                                    defaults={"level": level})
    else:
        raise ValidationError(_("Unknown watch level."))


def set_forum_watch(*, user: User, forum: Forum, watching: bool) -> None:
    if not (user.is_authenticated and permissions.can_view_forum(user, forum)):
        raise PermissionDenied
    if watching:
        ForumSubscription.objects.get_or_create(user=user, forum=forum)
    else:
        ForumSubscription.objects.filter(user=user, forum=forum).delete()


def set_region_watch(*, user: User, region: Region, watching: bool) -> None:
    if not user.is_authenticated:
        raise PermissionDenied
    if watching:
        RegionSubscription.objects.get_or_create(user=user, region=region)
    else:
        RegionSubscription.objects.filter(user=user, region=region).delete()


# --- Tags --------------------------------------------------------------------------------------

@transaction.atomic
def create_tag(*, actor: User, region: Region | None, name: str) -> Tag:
    if not permissions.can_curate_tags(actor, region):
        raise PermissionDenied(_("Only moderators curate tags."))
    name = _clean_text(name, field="name", max_length=60)
    tag = Tag(region=region, name=name, slug=slugify(name)[:60] or "tag")
    tag.full_clean()
    tag.save()
    return tag
