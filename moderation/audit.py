"""The audit log (BIO2 8.15.01): every moderation action, role change, membership decision and
refused attempt, with actor, object, result, origin, reason and before/after.

Every moderation write records here. A refused one raises `refuse(...)` inside its
transaction; `refusals_recorded` around the write logs the attempt once the transaction has
rolled back, so a refusal changes nothing but the log.
"""

import functools

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from forums.models import Post, Thread
from regions.models import Region

from .middleware import current_origin
from .models import AuditEntry

MAX_REASON = 1000


def _describe(obj) -> tuple[str, int | None, str]:
    if obj is None:
        return "", None, ""
    if isinstance(obj, Post):
        return "post", obj.pk, f"#{obj.position or '–'} · {obj.thread.title}"[:300]
    if isinstance(obj, Thread):
        return "thread", obj.pk, obj.title[:300]
    if isinstance(obj, get_user_model()):
        return "user", obj.pk, f"{obj.display_name} ({obj.username})"[:300]
    return obj._meta.model_name, obj.pk, str(obj)[:300]


def record(*, actor: User | None, action: str, obj=None, region: Region | None = None,
           result: str = AuditEntry.Result.SUCCESS, reason: str = "",
           before: dict | None = None, after: dict | None = None,
           object_label: str = "") -> AuditEntry:
    """Append one entry to the audit log. `before`/`after` hold plain values of what an edit
    changed; never pass passwords, tokens, session keys or other secrets."""
    object_type, object_id, label = _describe(obj)
    origin = current_origin.get()
    actor_label = ""
    if actor is not None and actor.is_authenticated:
        actor_label = f"{actor.display_name} ({actor.username})"[:200]
    else:
        actor = None
    return AuditEntry.objects.create(
        actor=actor, actor_label=actor_label, action=action, object_type=object_type,
        object_id=object_id, object_label=object_label or label, region=region, result=result,
        ip_address=origin.ip_address, user_agent=origin.user_agent, reason=reason,
        before=before, after=after,
    )


class Refused(PermissionDenied):
    """A refusal on its way out of the write's transaction, with the entry to log for it."""

    def __init__(self, message: str, entry: dict):
        super().__init__(message)
        self.entry = entry


def refuse(actor: User, action: str, obj=None, region: Region | None = None,
           message: str = "") -> Refused:
    """The exception a write raises when the actor may not act; `refusals_recorded` logs it."""
    return Refused(message or _("Only this region's moderators can do this."),
                   {"actor": actor, "action": action, "obj": obj, "region": region})


def refusals_recorded(function):
    """Outside the write's transaction: a refused attempt is still written to the log, and the
    caller gets a plain PermissionDenied."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Refused as refused:
            record(**refused.entry, result=AuditEntry.Result.DENIED)
            raise PermissionDenied(*refused.args) from None
    return wrapper


def clean_reason(reason: str, *, required: bool = True) -> str:
    """The reason a moderator gives: recorded here and shown to the person it concerns."""
    reason = (reason or "").replace("\x00", "").strip()
    if required and not reason:
        raise ValidationError({"reason": _("Give a reason: the author sees it.")})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": _("At most %(n)d characters, please.")
                               % {"n": MAX_REASON}})
    return reason
