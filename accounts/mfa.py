"""The MFA requirement for accounts with extra rights (BIO2 5.17.01)."""

from allauth.mfa.models import Authenticator
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

_CACHE_ATTR = "_has_mfa_cache"


def has_mfa(user) -> bool:
    if not user.is_authenticated:
        return False
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = Authenticator.objects.filter(
            user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
        ).exists()
        setattr(user, _CACHE_ATTR, cached)
    return cached


class MFARequired(PermissionDenied):
    """A power the user holds but may not use before setting up a second factor. Permission
    modules raise it; MFARequiredMiddleware turns it into a redirect to the set-up page that
    comes back here. Anywhere without that middleware (a socket, the API) it is a plain 403."""

    def __init__(self, message=None):
        super().__init__(message or _("This needs two-factor authentication. Set it up first."))


def require_mfa(user, message=None) -> None:
    """Raises MFARequired unless the user has a second factor."""
    if not has_mfa(user):
        raise MFARequired(message)
