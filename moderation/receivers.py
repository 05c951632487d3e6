"""Moderation's plugs into lower apps' signals: the audit log hears about membership decisions
and role changes (regions.signals, sent after commit) and about wrong second-factor codes
(allauth's mfa signal), the review queue about new requests and posts waiting for approval.
(Where the forums and regions ask moderation — suspensions, the approval of first posts — is
the participation adapter, adapter.py, named in settings.)"""

from allauth.mfa import signals as mfa_signals
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from forums import signals as forum_signals
from regions import signals as region_signals

from . import region_settings
from .audit import record
from .models import AuditEntry
from .notices import queue_changed


def _membership_requested(sender, request, **kwargs):
    queue_changed(request.region_id)


def _membership_decided(sender, request, actor, approved, **kwargs):
    record(actor=actor, action="membership.approved" if approved else "membership.declined",
           obj=request.user, region=request.region, reason=request.reason)
    queue_changed(request.region_id)


def _role_changed(sender, membership, actor, old_role, **kwargs):
    record(actor=actor, action="role.changed", obj=membership.user, region=membership.region,
           before={"role": old_role}, after={"role": membership.role})


def _member_removed(sender, membership, actor, **kwargs):
    record(actor=actor, action="member.removed", obj=membership.user,
           region=membership.region, before={"role": membership.role})


def _second_factor_failed(sender, request, user, reauthentication=False, **kwargs):
    """A wrong code for `user`'s second factor (the password was right, or they are logged in
    and confirming again). The entry names the account, the time and, like every entry, the
    request's address and browser; never the code that was typed. Codes refused by the rate
    limit are not checked, so they send nothing: the log grows at most as fast as the limit."""
    actor = request.user if reauthentication and request.user.is_authenticated else None
    record(actor=actor, obj=user, result=AuditEntry.Result.DENIED,
           action="mfa.reauthentication_failed" if reauthentication else "mfa.login_failed")


def _post_held(sender, post, **kwargs):
    """A new member's post waits for approval: open review queues refresh."""
    queue_changed(post.thread.forum.region_id)


def _settings_saved(sender, instance, **kwargs):
    # Forgotten now (this transaction reads the row again) and written through after commit:
    # a reader in between may only add the old values, which the commit then replaces.
    row = None if kwargs.get("signal") is post_delete else instance
    region_settings.forget_settings(instance.region_id)
    transaction.on_commit(lambda: region_settings.remember_settings(instance.region_id, row))


def connect() -> None:
    from .models import RegionModerationSettings

    for signal in (post_save, post_delete):
        signal.connect(_settings_saved, sender=RegionModerationSettings,
                       dispatch_uid=f"moderation._settings_saved.{signal is post_save}")

    forum_signals.post_held.connect(_post_held, dispatch_uid="moderation._post_held", weak=False)
    for signal, receiver in [
        (region_signals.membership_requested, _membership_requested),
        (region_signals.membership_decided, _membership_decided),
        (region_signals.role_changed, _role_changed),
        (region_signals.member_removed, _member_removed),
        (mfa_signals.authentication_failed, _second_factor_failed),
    ]:
        signal.connect(receiver, dispatch_uid=f"moderation.{receiver.__name__}", weak=False)
