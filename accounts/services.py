from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import translation

from . import permissions
from .models import Profile, User
from .validators import display_name_key, normalise_display_name

PROFILE_FIELDS = ("display_name", "organisation", "government_layer", "job_title", "bio")


@transaction.atomic
def create_profile(*, user: User, display_name: str, **fields) -> Profile:
    profile = Profile(user=user, **{k: v for k, v in fields.items() if k in PROFILE_FIELDS})
    current = translation.get_language()
    if current in {code for code, _name in settings.LANGUAGES}:
        profile.language = current  # mail speaks the language the account was made in
    profile.display_name = normalise_display_name(display_name) or user.username
    profile.display_name_key = display_name_key(profile.display_name)
    profile.full_clean()
    profile.save()
    return profile


def ensure_profile(*, user: User) -> Profile:
    """Accounts made outside sign-up (createsuperuser, admin) get a profile on first need."""
    try:
        return user.profile
    except Profile.DoesNotExist:
        name, n = user.username, 1
        while Profile.objects.filter(display_name_key=display_name_key(name)).exists():
            n += 1
            name = f"{user.username} {n}"
        return create_profile(user=user, display_name=name)


@transaction.atomic
def update_profile(*, actor: User, profile: Profile, **fields) -> Profile:
    if not permissions.can_edit_profile(actor, profile):
        raise PermissionDenied
    for name in PROFILE_FIELDS:
        if name in fields:
            setattr(profile, name, fields[name])
    profile.display_name = normalise_display_name(profile.display_name)
    profile.display_name_key = display_name_key(profile.display_name)
    profile.full_clean()
    profile.save()
    return profile


def set_language(*, user: User, language: str) -> None:
    """Remember the reader's language for what reaches them outside the site (mail)."""
    if language in {code for code, _name in settings.LANGUAGES}:
        Profile.objects.filter(user=user).exclude(language=language).update(language=language)
