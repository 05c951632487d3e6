"""The MFA requirement for accounts with extra rights (BIO2 5.17.01)."""

from allauth.mfa.models import Authenticator

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
