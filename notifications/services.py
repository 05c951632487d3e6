"""Every notification is written here: one function, `notify`, for one event and its whole
audience. Fan-out (notifications.fanout) decides who the audience is; this module applies the
rules that hold for every kind:

- nobody is notified of their own action;
- nobody is notified about what they cannot see (forums.permissions, asked once per audience);
- preferences per kind (off / on the site / email / digest) and region mutes;
- a per-recipient hourly cap on conversation kinds, so one noisy thread cannot bury an inbox;
- replies and reactions collapse into one running unread notification;
- writing twice (a retried task) changes nothing: each (kind, event) is recorded as delivered
  in the same transaction as its notifications.

After commit the recipients' notification sockets get a doorbell. Which notifications are
mailed right away is returned to the caller (notifications.tasks), which queues their mail in the
same transaction.
"""

from collections.abc import Iterable
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import locks
from forums import permissions as forum_permissions
from live import broadcast, sockets

from . import permissions, selectors
from .kinds import CAPPED, COLLAPSING, DEFAULT_DELIVERY, MUTABLE, Delivery, Kind
from .models import DeliveredEvent, Notification, Preference, RegionMute

User = get_user_model()

def hourly_cap() -> int:
    return getattr(settings, "NOTIFICATIONS_HOURLY_CAP", 60)


class Notified(NamedTuple):
    recipient_ids: list[int]  # whose inbox changed
    mail_ids: list[int]  # notifications to mail right away


def notify(*, kind: str, recipient_ids: Iterable[int], event_key: str, actor=None,
           thread=None, post=None, region=None, membership_request=None, reason: str = "",
           action: str = "") -> Notified:
    """Notify an audience of one event. Call it inside the transaction that queues the mail of
    the `mail_ids` it returns, so a crash between commit and queueing cannot drop a mail (the
    caller's transaction holds both: notifications.tasks.notify_audiences)."""
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    if thread is not None and region is None:
        region = thread.forum.region
    ids = set(recipient_ids)
    if actor is not None:
        ids.discard(actor.pk)
    if not ids:
        return Notified([], [])
    audience = User.objects.filter(pk__any=ids, is_active=True)
    if thread is not None:
        # What the recipient may read now; asked again when shown and when mailed.
        audience = audience.filter(forum_permissions.viewers_q(thread.forum))
    ids = set(audience.values_list("pk", flat=True))
    if kind in MUTABLE and region is not None and ids:
        ids -= set(RegionMute.objects.filter(user_id__any=ids, region=region)
                   .values_list("user_id", flat=True))
    deliveries = _deliveries(kind, ids)
    ids = {uid for uid, delivery in deliveries.items() if delivery != Delivery.OFF}
    if not ids:
        return Notified([], [])
    fields = {"kind": kind, "actor": actor, "thread": thread, "post": post, "region": region,
              "membership_request": membership_request, "reason": reason, "action": action}
    source_key = _source_key(kind, event_key)
    try:
        with transaction.atomic():
            _, fresh = DeliveredEvent.objects.get_or_create(key=source_key)
            if not fresh:
                return Notified([], [])  # a retried or doubled task: this event is in already
            if kind in COLLAPSING:
                changed = _collapse(ids, deliveries, source_key, fields)
            else:
                changed = _create(_under_cap(kind, ids), deliveries, source_key, fields)
            mail_ids = _to_mail(kind, changed, source_key,
                                _collapse_key(fields) if kind in COLLAPSING else "")
            _after_commit(changed)
    except IntegrityError:
        if DeliveredEvent.objects.filter(key=source_key).exists():
            return Notified([], [])  # the same event, committed by a concurrent run of the task
        raise
    return Notified(sorted(changed), mail_ids)


def _deliveries(kind: str, user_ids: set[int]) -> dict[int, str]:
    chosen = dict(Preference.objects.filter(user_id__any=user_ids, kind=kind)
                  .values_list("user_id", "delivery"))
    default = DEFAULT_DELIVERY[kind]
    return {uid: chosen.get(uid, default) for uid in user_ids}


def _under_cap(kind: str, user_ids: set[int]) -> set[int]:
    if kind not in CAPPED or not user_ids:
        return user_ids
    since = timezone.now() - timedelta(hours=1)
    over = (Notification.objects
            .filter(recipient_id__any=user_ids, created_at__gte=since, kind__in=CAPPED)
            .values("recipient_id").annotate(n=Count("pk")).filter(n__gte=hourly_cap())
            .values_list("recipient_id", flat=True))
    return user_ids - set(over)


def _source_key(kind: str, event_key: str) -> str:
    return f"{kind}:{event_key}"[:120]


def _create(user_ids: set[int], deliveries: dict[int, str], source_key: str,
            fields: dict) -> set[int]:
    already = set(Notification.objects.filter(recipient_id__any=user_ids, source_key=source_key)
                  .values_list("recipient_id", flat=True))
    now = timezone.now()
    rows = [Notification(recipient_id=uid, delivery=deliveries[uid], source_key=source_key,
                         updated_at=now, **fields)
            for uid in sorted(user_ids - already)]
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return user_ids - already


def _collapse_key(fields: dict) -> str:
    if fields["kind"] == Kind.REPLY:
        return f"reply:thread:{fields['thread'].pk}"
    return f"reaction:post:{fields['post'].pk}"


def _collapse(user_ids: set[int], deliveries: dict[int, str], source_key: str,
              fields: dict) -> set[int]:
    """Count the event into each recipient's running unread notification, or start one.
    One UPDATE for all running ones, one INSERT for the rest, whatever the audience size."""
    collapse_key = _collapse_key(fields)
    # Two events on one thread (or post) at once would both find no running row and both
    # insert; one insert loses to the unique index and its count with it. A lock named after
    # the collapse key makes them count one after the other, and (unlike the subject's row
    # lock) lets replies and reactions go on meanwhile.
    subject = fields["thread"] if fields["kind"] == Kind.REPLY else fields["post"]
    _hold_collapse_lock(fields["kind"], subject.pk)
    now = timezone.now()
    running_rows = Notification.objects.filter(recipient_id__any=user_ids,
                                               collapse_key=collapse_key, read_at__isnull=True)
    running = set(running_rows.select_for_update(no_key=True)
                  .values_list("recipient_id", flat=True))
    # Counted on, and unread news again for the digest.
    running_rows.filter(recipient_id__any=running).update(
        count=F("count") + 1, actor=fields["actor"], updated_at=now, digested_at=None)
    fresh = _under_cap(fields["kind"], user_ids - running)
    rows = [Notification(recipient_id=uid, delivery=deliveries[uid], source_key=source_key,
                         collapse_key=collapse_key, updated_at=now, **fields)
            for uid in sorted(fresh)]
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return running | fresh


def _to_mail(kind: str, user_ids: set[int], source_key: str, collapse_key: str) -> list[int]:
    if not user_ids:
        return []
    this_event = Q(source_key=source_key)
    if collapse_key:
        this_event |= Q(collapse_key=collapse_key)
    mail_ids = Notification.objects.filter(
        this_event, recipient_id__any=user_ids, kind=kind, delivery=Delivery.EMAIL,
        emailed_at__isnull=True, read_at__isnull=True)
    return list(mail_ids.values_list("pk", flat=True))


def _after_commit(user_ids: set[int]) -> None:
    if not user_ids:
        return
    recipients = sorted(user_ids)

    def ring():
        selectors.forget_unread_counts(recipients)
        # Only those with a socket open hear the bell; the rest read it when they come.
        broadcast.send_many([broadcast.notification_group(uid)
                             for uid in sorted(sockets.online(recipients))],
                            {"type": "notification.new"})

    transaction.on_commit(ring)


# --- the reader's own actions -------------------------------------------------------------------

def mark_read(*, user, notification: Notification) -> None:
    permissions.require_own_notification(user, notification)
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now())
        _ring(user.pk)


def mark_all_read(*, user) -> int:
    count = Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now())
    if count:
        _ring(user.pk)
    return count


def mark_thread_read(*, user, thread_id: int) -> None:
    """Reading a thread reads its running reply notification too."""
    if Notification.objects.filter(recipient=user, thread_id=thread_id, read_at__isnull=True,
                                   kind=Kind.REPLY).update(read_at=timezone.now()):
        _ring(user.pk)


def _ring(user_id: int) -> None:
    selectors.forget_unread_counts([user_id])  # this tab's next page; other tabs hear the bell

    def ring():
        selectors.forget_unread_counts([user_id])
        broadcast.send_now(broadcast.notification_group(user_id), {"type": "notification.new"})

    transaction.on_commit(ring)


@transaction.atomic
def set_preferences(*, user, deliveries: dict[str, str], muted_region_ids: Iterable[int]) -> None:
    for kind, delivery in deliveries.items():
        if kind not in Kind.values or delivery not in Delivery.values:
            raise ValidationError(_("Unknown notification kind or delivery."))
        Preference.objects.update_or_create(user=user, kind=kind,
                                            defaults={"delivery": delivery})
        _redeliver_waiting(user, kind, delivery)
    muted = set(muted_region_ids)
    RegionMute.objects.filter(user=user).exclude(region_id__in=muted).delete()
    have = set(RegionMute.objects.filter(user=user).values_list("region_id", flat=True))
    RegionMute.objects.bulk_create([RegionMute(user=user, region_id=rid)
                                    for rid in sorted(muted - have)])


@transaction.atomic
def unsubscribe(*, user, kind: str) -> list[str]:
    """The one-click link in a mail: that kind stops mailing (it stays on the site).
    `kind == "digest"` moves every digest kind back to the site only. Returns what changed."""
    if kind == "digest":
        kinds = [k for k in Kind.values if delivery_for(user, k) == Delivery.DIGEST]
    elif kind in Kind.values:
        kinds = [kind] if delivery_for(user, kind) in (Delivery.EMAIL, Delivery.DIGEST) else []
    else:
        raise ValidationError(_("Unknown notification kind."))
    for k in kinds:
        Preference.objects.update_or_create(user=user, kind=k,
                                            defaults={"delivery": Delivery.IN_APP})
        _redeliver_waiting(user, k, Delivery.IN_APP)
    return kinds


def _redeliver_waiting(user, kind: str, delivery: str) -> None:
    """A changed preference holds for what still waits too: an unsubscribed kind's queued mail
    and tomorrow's digest stop; what is already on the site stays there."""
    if delivery == Delivery.OFF:
        delivery = Delivery.IN_APP
    (Notification.objects
     .filter(recipient=user, kind=kind, read_at__isnull=True, emailed_at__isnull=True,
             digested_at__isnull=True)
     .exclude(delivery=delivery).update(delivery=delivery))


def delivery_for(user, kind: str) -> str:
    chosen = Preference.objects.filter(user=user, kind=kind).values_list("delivery", flat=True)
    return next(iter(chosen), DEFAULT_DELIVERY[kind])


def claim_for_email(notification_id: int) -> Notification | None:
    """Mark a notification mailed before sending, so two workers never mail it twice."""
    now = timezone.now()
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True,
                                          read_at__isnull=True,
                                          delivery=Delivery.EMAIL).update(emailed_at=now)
    if not claimed:
        return None
    return (Notification.objects
            .select_related("recipient__profile", "actor__profile", "thread__forum__region",
                            "post", "region", "membership_request")
            .get(pk=notification_id))


def release_email_claim(notification_id: int) -> None:
    Notification.objects.filter(pk=notification_id).update(emailed_at=None)


def hold_reply_fanout(*, thread_id: int) -> None:
    """Waits for a running reply fan-out of the thread, and keeps new ones out, until the
    caller's transaction ends: for a merge, which moves the thread's notifications. Take it
    before the thread's row. A fan-out holds this lock while it locks the thread's running
    notifications and then inserts rows that refer to the thread (a key-share lock on its
    row): a merge that held the row and then waited for those notifications would deadlock
    with it (PostgreSQL found that cycle under the merge-race tests)."""
    _hold_collapse_lock(Kind.REPLY, thread_id)


def _hold_collapse_lock(kind, subject_id: int) -> None:
    locks.hold_until_commit(f"notifications.collapse.{kind}", subject_id)


def follow_merged_thread(*, thread_id: int, into) -> int:
    """A thread merged into another (`into`): its notifications follow its posts there, and
    into its region if that is another one (region mutes and the inbox's region name follow
    the thread). Called in the merge's transaction, before the merged thread's row goes and
    with it, on CASCADE, every row that still points at it. Collapse keys stay: a running
    reply count of the old thread goes on as its own line, which keeps the one-running-row
    rule free of clashes."""
    return Notification.objects.filter(thread_id=thread_id).update(
        thread_id=into.pk, region_id=into.forum.region_id)
