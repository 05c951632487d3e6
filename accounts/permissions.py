"""What an account may do to accounts, and the gate of the site administration."""

from django.utils.translation import gettext as _

from .mfa import has_mfa, require_mfa
from .models import Profile


def can_edit_profile(user, profile: Profile) -> bool:
    """Your own profile; staff any (the admin)."""
    return user.is_authenticated and (user.pk == profile.user_id or user.is_staff)


def can_use_admin(user) -> bool:
    """The site administration, like every other power, needs staff rights and a second
    factor."""
    return user.is_active and user.is_staff and has_mfa(user)


def require_admin_mfa(user) -> None:
    """Staff without a second factor who come to the administration: MFARequired, so they
    are sent to set one up. Anyone else passes (the admin's own login decides on them)."""
    if user.is_authenticated and user.is_active and user.is_staff:
        require_mfa(user, _("Site administration requires two-factor authentication."))
