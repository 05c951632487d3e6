"""Who hears about what: turns one forum or region event into its audiences, each the keyword
arguments of one `services.notify` call. It only reads; the task that runs it
(notifications.tasks) writes the notifications and queues their mail. Never on the request path.

One person gets at most one notification per post, the most personal one:
mention > quote > report in your region > new thread you watch > reply.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q

from forums.models import (
    ForumSubscription,
    Mention,
    Post,
    Reaction,
    RegionSubscription,
    Thread,
    ThreadSubscription,
)
from regions.models import Membership, MembershipRequest, Region, Role

from .kinds import Kind

User = get_user_model()

Audience = dict[str, Any]  # keyword arguments of services.notify


def post_created(post_id: int) -> list[Audience]:
    post = (Post.objects.select_related("thread__forum__region", "author__profile",
                                        "quote_of")
            .filter(pk=post_id).first())
    if post is None or post.is_deleted or post.is_hidden or post.is_pending:
        return []  # gone, hidden by moderators, or not approved (yet) before anyone was told
    thread, actor = post.thread, post.author
    common = {"actor": actor, "thread": thread, "post": post, "event_key": f"post:{post.pk}"}
    told: set[int] = {actor.pk}

    # Mentions: forums already keeps at most MAX_MENTIONS rows per post.
    mentioned = set(Mention.objects.filter(post=post).values_list("user_id", flat=True))
    audiences = [{"kind": Kind.MENTION, "recipient_ids": mentioned - told, **common}]
    told |= mentioned

    if post.quote_of_id and post.quote_of and not post.quote_of.is_deleted:
        quoted = {post.quote_of.author_id} - told
        audiences.append({"kind": Kind.QUOTE, "recipient_ids": quoted, **common})
        told |= quoted

    if post.position == 1:
        forum = thread.forum
        if thread.kind == Thread.Kind.REPORT and forum.region_id:
            members = set(Membership.objects.filter(region_id=forum.region_id)
                          .values_list("user_id", flat=True)) - told
            audiences.append({"kind": Kind.NEW_REPORT, "recipient_ids": members, **common})
            told |= members
        watchers = set(ForumSubscription.objects.filter(forum=forum)
                       .values_list("user_id", flat=True))
        if forum.region_id:
            watchers |= set(RegionSubscription.objects.filter(region_id=forum.region_id)
                            .values_list("user_id", flat=True))
        audiences.append({"kind": Kind.NEW_THREAD, "recipient_ids": watchers - told, **common})
        return audiences

    subscriptions = ThreadSubscription.objects.filter(thread=thread)
    muted = set(subscriptions.filter(level=ThreadSubscription.Level.MUTED)
                .values_list("user_id", flat=True))
    watching = set(subscriptions.filter(level=ThreadSubscription.Level.WATCHING)
                   .values_list("user_id", flat=True))
    took_part = set(Post.objects.filter(thread=thread, is_deleted=False, is_pending=False)
                    .values_list("author_id", flat=True).distinct())
    audiences.append({"kind": Kind.REPLY,
                      "recipient_ids": (watching | took_part) - muted - told, **common})
    return audiences


def reaction_added(post_id: int, user_id: int) -> list[Audience]:
    reaction = (Reaction.objects.select_related("post__thread__forum__region", "user")
                .filter(post_id=post_id, user_id=user_id).first())
    if reaction is None or reaction.post.is_deleted or reaction.post.is_hidden:
        return []  # taken back before we got to it
    post = reaction.post
    return [{"kind": Kind.REACTION, "recipient_ids": [post.author_id], "actor": reaction.user,
             "thread": post.thread, "post": post, "event_key": f"reaction:{post.pk}:{user_id}"}]


def answer_accepted(thread_id: int, post_id: int, actor_id: int | None) -> list[Audience]:
    thread = Thread.objects.select_related("forum__region").filter(pk=thread_id).first()
    if thread is None or thread.accepted_answer_id != post_id:
        return []  # changed again since
    post = thread.accepted_answer
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return [{"kind": Kind.ANSWER_ACCEPTED, "recipient_ids": [thread.author_id], "actor": actor,
             "thread": thread, "post": post, "event_key": f"answer:{thread.pk}:{post.pk}"}]


def membership_requested(request_id: int) -> list[Audience]:
    request = (MembershipRequest.objects.select_related("user", "region")
               .filter(pk=request_id, status=MembershipRequest.Status.PENDING).first())
    if request is None:
        return []
    moderators = set(Membership.objects.filter(region=request.region, role=Role.MODERATOR)
                     .values_list("user_id", flat=True))
    if not moderators:  # a region without moderators: the programme team decides
        moderators = set(User.objects.filter(is_staff=True, is_active=True)
                         .values_list("pk", flat=True))
    return [{"kind": Kind.MEMBERSHIP_REQUEST, "recipient_ids": moderators,
             "actor": request.user, "region": request.region, "membership_request": request,
             "event_key": f"request:{request.pk}"}]


def membership_decided(request_id: int) -> list[Audience]:
    request = (MembershipRequest.objects.select_related("user", "region", "decided_by")
               .filter(pk=request_id).exclude(status=MembershipRequest.Status.PENDING)
               .filter(Q(status=MembershipRequest.Status.APPROVED)
                       | Q(status=MembershipRequest.Status.DECLINED))
               .first())
    if request is None:
        return []
    return [{"kind": Kind.MEMBERSHIP_DECIDED, "recipient_ids": [request.user_id],
             "actor": request.decided_by, "region": request.region,
             "membership_request": request, "reason": request.reason, "action": request.status,
             "event_key": f"decision:{request.pk}"}]


def moderated(action: str, actor_id: int | None, recipient_id: int, reason: str,
              post_id: int | None, thread_id: int | None, region_id: int | None,
              event_key: str) -> list[Audience]:
    """A moderator acted on someone's post, thread or account: tell them, with the reason."""
    thread = Thread.objects.select_related("forum__region").filter(pk=thread_id).first() \
        if thread_id else None
    post = Post.objects.filter(pk=post_id).first() if post_id else None
    region = Region.objects.filter(pk=region_id).first() if region_id else None
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return [{"kind": Kind.MODERATION, "recipient_ids": [recipient_id], "actor": actor,
             "thread": thread, "post": post, "region": region, "reason": reason,
             "action": action, "event_key": event_key}]
