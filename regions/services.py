"""Every membership change goes through here: views, admin actions and commands alike."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from live import broadcast

from . import permissions, signals
from .models import Membership, MembershipRequest, Region, Role


@transaction.atomic
def join_region(*, actor: User, region: Region) -> Membership:
    if not permissions.can_join(actor, region):
        raise PermissionDenied(_("You cannot join this region."))
    membership, _created = Membership.objects.get_or_create(user=actor, region=region)
    permissions.reset_cache(actor)
    return membership


@transaction.atomic
def request_membership(*, actor: User, region: Region, motivation: str = "") -> MembershipRequest:
    if not permissions.can_request_membership(actor, region):
        raise PermissionDenied(_("You cannot request membership of this region."))
    pending = MembershipRequest.objects.filter(
        user=actor, region=region, status=MembershipRequest.Status.PENDING
    ).first()
    if pending:
        return pending
    request = MembershipRequest(user=actor, region=region, motivation=motivation)
    request.full_clean()
    try:
        with transaction.atomic():
            request.save()
    except IntegrityError:  # a double submit raced us to the same pending request
        return MembershipRequest.objects.get(
            user=actor, region=region, status=MembershipRequest.Status.PENDING
        )
    transaction.on_commit(lambda: signals.membership_requested.send(
        sender=MembershipRequest, request=request))
    return request


@transaction.atomic
def withdraw_request(*, actor: User, request: MembershipRequest) -> None:
    if request.user_id != actor.pk or request.status != MembershipRequest.Status.PENDING:
        raise PermissionDenied
    request.status = MembershipRequest.Status.WITHDRAWN
    request.decided_at = timezone.now()
    request.save(update_fields=["status", "decided_at"])


@transaction.atomic
def decide_request(
    *, actor: User, request: MembershipRequest, approve: bool, reason: str = ""
) -> MembershipRequest:
    if not permissions.can_manage_region(actor, request.region):
        raise PermissionDenied(_("Only this region's moderators decide on requests."))
    request = MembershipRequest.objects.select_for_update(no_key=True).get(pk=request.pk)
    if request.status != MembershipRequest.Status.PENDING:
        raise ValidationError(_("This request has already been decided."))
    request.status = (
        MembershipRequest.Status.APPROVED if approve else MembershipRequest.Status.DECLINED
    )
    request.reason = reason
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.full_clean()
    request.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    if approve:
        Membership.objects.get_or_create(user=request.user, region=request.region)
        permissions.reset_cache(request.user)
    transaction.on_commit(lambda: signals.membership_decided.send(
        sender=MembershipRequest, request=request, actor=actor, approved=approve))
    return request


def _end_membership(membership: Membership) -> None:
    region_id, user_id = membership.region_id, membership.user_id
    membership.delete()
    # Open sockets of this user re-check what they may still see (see docs/live-protocol.md).
    broadcast.send_on_commit(
        broadcast.user_group(user_id), {"type": "membership.revoked", "region_id": region_id}
    )


@transaction.atomic
def leave_region(*, actor: User, region: Region) -> None:
    membership = Membership.objects.filter(user=actor, region=region).first()
    if membership is None:
        raise PermissionDenied(_("You are not a member of this region."))
    _end_membership(membership)
    permissions.reset_cache(actor)


@transaction.atomic
def remove_member(*, actor: User, membership: Membership) -> None:
    if not permissions.can_change_role(actor, membership):
        raise PermissionDenied(_("You cannot remove this member."))
    _end_membership(membership)
    permissions.reset_cache(membership.user)
    transaction.on_commit(lambda: signals.member_removed.send(
        sender=Membership, membership=membership, actor=actor))


@transaction.atomic
def change_role(*, actor: User, membership: Membership, role: str) -> Membership:
    if not permissions.can_change_role(actor, membership):
        raise PermissionDenied(_("You cannot change this member's role."))
    if role not in Role.values:
        raise ValidationError(_("Unknown role."))
    old_role, membership.role = membership.role, role
    membership.save(update_fields=["role"])
    permissions.reset_cache(membership.user)
    transaction.on_commit(lambda: signals.role_changed.send(
        sender=Membership, membership=membership, actor=actor, old_role=old_role))
    return membership
