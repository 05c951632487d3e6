"""Each region's moderation settings: how many distinct flags hide a post pending review, and
how many first posts of a new member wait for approval. Every reply asks (approvals.py), so
they are kept in the cache and forgotten when a row is saved or deleted (receivers.py)."""

from django.core.cache import cache
from django.db import transaction

from accounts.models import User
from regions.models import Region

from . import permissions
from .audit import record, refusals_recorded, refuse
from .models import RegionModerationSettings

SETTINGS_TTL = 3600


def settings_cache_key(region_id: int) -> str:
    return f"moderation-settings:{region_id}"


def settings_for(region: Region | None, *, cached: bool = True,
                 fetched: dict | None = None) -> RegionModerationSettings:
    """The region's settings, or the defaults (unsaved) when it has none; cached=False reads
    the row, for a change. fetched: the caller's own get_many of the cache, settings_cache_key
    among the keys (a miss there is a miss)."""
    if region is None:
        return RegionModerationSettings()
    if cached:
        key = settings_cache_key(region.pk)
        values = fetched.get(key) if fetched is not None else cache.get(key)
        if values is not None:
            return RegionModerationSettings(region=region, **values)
    found = RegionModerationSettings.objects.filter(region=region).first()
    current = found or RegionModerationSettings(region=region)
    # add, not set: a reader that fetched the row before a change committed must not
    # overwrite what the change put in after its commit (remember_settings).
    cache.add(settings_cache_key(region.pk), _cached_values(current), SETTINGS_TTL)
    return current


def _cached_values(row: RegionModerationSettings) -> dict:
    return {"pk": row.pk, "flag_threshold": row.flag_threshold,
            "approval_posts": row.approval_posts}


def forget_settings(region_id: int) -> None:
    cache.delete(settings_cache_key(region_id))


def remember_settings(region_id: int, row: RegionModerationSettings | None) -> None:
    """After a change commits: the cache holds the new values (defaults once deleted)."""
    cache.set(settings_cache_key(region_id),
              _cached_values(row or RegionModerationSettings()), SETTINGS_TTL)


@refusals_recorded
@transaction.atomic
def update_settings(*, actor: User, region: Region, flag_threshold: int,
                    approval_posts: int) -> RegionModerationSettings:
    if not permissions.can_moderate(actor, region):
        raise refuse(actor, "settings.changed", region=region)
    current = settings_for(region, cached=False)
    before = {"flag_threshold": current.flag_threshold,
              "approval_posts": current.approval_posts}
    current.flag_threshold, current.approval_posts = flag_threshold, approval_posts
    current.full_clean()
    current.save()
    record(actor=actor, action="settings.changed", obj=region, region=region, before=before,
           after={"flag_threshold": flag_threshold, "approval_posts": approval_posts})
    return current
