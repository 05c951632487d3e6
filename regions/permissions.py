"""Who may see, join and manage a region. Every page, and later every forum, socket and
search, asks here. Lists and single-object checks state each rule side by side. Where a higher
app (moderation: a suspended moderator) pauses these powers: ParticipationAdapter."""

import functools

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db.models import QuerySet
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from accounts.mfa import has_mfa, require_mfa

from .models import Membership, Region, Role

_CACHE_ATTR = "_member_roles_cache"


def member_roles(user) -> dict[int, str]:
    """{region_id: role} for the user; one query per request (cached on the user object)."""
    if not user.is_authenticated:
        return {}
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = dict(Membership.objects.filter(user=user).values_list("region_id", "role"))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def reset_cache(user) -> None:
    """Membership services call this so the same request sees the change."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def member_region_ids(user) -> set[int]:
    return set(member_roles(user))


def role_in(user, region: Region) -> str | None:
    return member_roles(user).get(region.pk)


def is_member(user, region: Region) -> bool:
    return region.pk in member_roles(user)


def visible_regions(user, regions: QuerySet[Region]) -> QuerySet[Region]:
    if user.is_authenticated and user.is_staff:
        return regions
    return regions.filter(is_archived=False)


def can_view_region(user, region: Region) -> bool:
    return not region.is_archived or (user.is_authenticated and user.is_staff)


def can_view_members(user, region: Region) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_staff or is_member(user, region)


def can_join(user, region: Region) -> bool:
    """Join at once: an open, active region the user is not in yet."""
    return (
        user.is_authenticated and region.is_open and not region.is_archived
        and not is_member(user, region)
    )


def can_request_membership(user, region: Region) -> bool:
    return (
        user.is_authenticated and not region.is_open and not region.is_archived
        and not is_member(user, region)
    )


def can_leave(user, region: Region) -> bool:
    return is_member(user, region)


class ParticipationAdapter:
    """The one seam through which a higher app takes part in these decisions, the way
    allauth's adapter works: settings.PARTICIPATION_ADAPTER names a subclass (the site's is
    moderation.adapter.ModerationParticipation: suspensions and the approval of first posts;
    forums.permissions.ParticipationAdapter adds the forums' questions). Without the setting
    nobody is held back."""

    def moderator_paused(self, user, region_id: int) -> bool:
        """Are this region moderator's powers over the region (its members, requests, roles
        and forums) paused? Staff powers are the site's: never asked here."""
        return False


def load_adapter(base: type[ParticipationAdapter]) -> ParticipationAdapter:
    """settings.PARTICIPATION_ADAPTER, which must be a `base`; `base` itself without it."""
    path = getattr(settings, "PARTICIPATION_ADAPTER", "")
    adapter = import_string(path) if path else base
    if not issubclass(adapter, base):
        raise ImproperlyConfigured(f"PARTICIPATION_ADAPTER must name a {base.__qualname__} "
                                   f"({base.__module__}), not {path}.")
    return adapter()


@functools.cache
def participation() -> ParticipationAdapter:
    """The adapter, loaded once per process."""
    return load_adapter(ParticipationAdapter)


def _paused(user, region_id: int) -> bool:
    return participation().moderator_paused(user, region_id)


def holds_moderator_role(user, region: Region) -> bool:
    """The role, before the MFA requirement; see can_manage_region."""
    if not user.is_authenticated:
        return False
    return user.is_staff or (role_in(user, region) == Role.MODERATOR
                             and not _paused(user, region.pk))


def holds_any_power(user) -> bool:
    """Moderator or regional reporter anywhere, or staff: the accounts BIO2 5.17.01 covers."""
    if not user.is_authenticated:
        return False
    return user.is_staff or any(
        role in (Role.MODERATOR, Role.REPORTER) for role in member_roles(user).values()
    )


def can_manage_region(user, region: Region) -> bool:
    """Region moderators (and staff) with MFA enabled manage members, requests and roles."""
    return holds_moderator_role(user, region) and has_mfa(user)


def require_manage_region(user, region: Region) -> None:
    """The gate of the region's management pages: PermissionDenied without the role,
    MFARequired with it but without a second factor."""
    if not holds_moderator_role(user, region):
        raise PermissionDenied(_("Only this region's moderators can manage it."))
    require_mfa(user, _("Moderators must use two-factor authentication. "
                        "Set it up to manage this region."))


def manageable_regions(user, regions: QuerySet[Region]) -> QuerySet[Region]:
    if not user.is_authenticated or not has_mfa(user):
        return regions.none()
    if user.is_staff:
        return regions
    moderated = [rid for rid, role in member_roles(user).items()
                 if role == Role.MODERATOR and not _paused(user, rid)]
    return regions.filter(pk__in=moderated)


def can_change_role(user, membership: Membership) -> bool:
    """Moderators change others' roles; nobody changes their own (no accidental lock-out)."""
    return membership.user_id != user.pk and can_manage_region(user, membership.region)
