"""Authentication backends that load the profile with the user: every page shows the
reader's display name, so this saves a query on every logged-in request."""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from core.precompiled import Precompiled

from .models import User

# Every logged-in request loads its user: compiled once per process.
_user_with_profile = Precompiled(
    User, lambda user: User._default_manager.select_related("profile").filter(pk=user)[:1])


def _get_user(backend, user_id):
    try:
        found = _user_with_profile(user=int(user_id))
    except (TypeError, ValueError):
        return None
    user = found[0] if found else None
    return user if user is not None and backend.user_can_authenticate(user) else None


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id):
        return _get_user(self, user_id)


class AuthenticationBackend(AllauthBackend):
    def get_user(self, user_id):
        return _get_user(self, user_id)
