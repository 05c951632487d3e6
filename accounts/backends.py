"""Authentication backends that load the profile with the user: every page shows the
reader's display name, so this saves a query on every logged-in request."""

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from .models import User


def _get_user(backend, user_id):
    try:
        user = User._default_manager.select_related("profile").get(pk=user_id)
    except User.DoesNotExist:
        return None
    return user if backend.user_can_authenticate(user) else None


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id):
        return _get_user(self, user_id)


class AuthenticationBackend(AllauthBackend):
    def get_user(self, user_id):
        return _get_user(self, user_id)
