"""Moderators' decisions on people: suspend (in one region or site-wide), lift a suspension,
warn. Like every moderation write: the acting user first, moderation.permissions asked, one
transaction, an audit entry, the member told after commit; a refusal changes nothing but the
log. Vouching, which lets a member's first posts through, is in approvals.py."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from live import broadcast
from regions.models import Region

from . import permissions
from .audit import clean_reason, record, refusals_recorded, refuse
from .models import MemberWarning, Suspension
from .notices import tell

MAX_WARNING = 2000


@refusals_recorded
@transaction.atomic
def suspend(*, actor: User, user: User, region: Region | None, reason: str,
            ends_at: datetime | None) -> Suspension:
    if not permissions.can_suspend(actor, user, region, indefinite=ends_at is None):
        if ends_at is None and permissions.can_moderate(actor, region):
            raise refuse(actor, "user.suspended", user, region,
                         _("Only staff suspend indefinitely: choose an end date."))
        raise refuse(actor, "user.suspended", user, region)
    reason = clean_reason(reason)
    if ends_at is not None and ends_at <= timezone.now():
        raise ValidationError({"ends_at": _("The end must lie in the future.")})
    suspension = Suspension.objects.create(user=user, region=region, reason=reason,
                                           ends_at=ends_at, created_by=actor)
    record(actor=actor, action="user.suspended", obj=user, region=region, reason=reason,
           after={"region": region.name if region else None,
                  "until": ends_at.isoformat() if ends_at else None})
    transaction.on_commit(lambda: _participation_changed(user))
    tell("suspended", actor=actor, recipient=user, reason=reason, region=region)
    return suspension


def _participation_changed(user: User) -> None:
    permissions.forget_suspensions(user)
    # Open thread sockets of this user re-check what they may do (forums/consumers.py).
    broadcast.send_now(broadcast.user_group(user.pk), {"type": "participation.changed"})


@refusals_recorded
@transaction.atomic
def lift_suspension(*, actor: User, suspension: Suspension, reason: str = "") -> Suspension:
    # A site-wide suspension has no region: lock only the suspension row, not the outer join.
    suspension = (Suspension.objects.select_for_update(of=("self",), no_key=True)
                  .select_related("user", "region").get(pk=suspension.pk))
    if not permissions.can_lift(actor, suspension):
        raise refuse(actor, "user.unsuspended", suspension.user, suspension.region)
    if suspension.lifted_at is not None:
        raise ValidationError(_("This suspension has already been lifted."))
    suspension.lifted_at, suspension.lifted_by = timezone.now(), actor
    suspension.save(update_fields=["lifted_at", "lifted_by"])
    reason = clean_reason(reason, required=False)
    record(actor=actor, action="user.unsuspended", obj=suspension.user,
           region=suspension.region, reason=reason)
    user = suspension.user
    transaction.on_commit(lambda: _participation_changed(user))
    tell("unsuspended", actor=actor, recipient=user, reason=reason, region=suspension.region)
    return suspension


@refusals_recorded
@transaction.atomic
def warn(*, actor: User, user: User, region: Region | None, message: str) -> MemberWarning:
    if not permissions.can_warn(actor, user, region):
        raise refuse(actor, "user.warned", user, region)
    message = (message or "").replace("\x00", "").strip()
    if not message:
        raise ValidationError({"message": _("Write the message to the member.")})
    if len(message) > MAX_WARNING:
        raise ValidationError({"message": _("At most %(n)d characters, please.")
                               % {"n": MAX_WARNING}})
    warning = MemberWarning.objects.create(user=user, region=region, message=message,
                                           created_by=actor)
    record(actor=actor, action="user.warned", obj=user, region=region, reason=message)
    tell("warned", actor=actor, recipient=user, reason=message, region=region)
    return warning
