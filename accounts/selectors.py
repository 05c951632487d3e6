from django.shortcuts import get_object_or_404

from .models import User


def get_active_user(*, username: str) -> User:
    users = User.objects.filter(is_active=True).select_related("profile")
    return get_object_or_404(users, username=username)
