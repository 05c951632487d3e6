from django.utils.functional import SimpleLazyObject

from . import selectors


def bell(request):
    """The header's unread count, computed only when a page shows it (cached per user)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notifications_unread": SimpleLazyObject(lambda: selectors.unread_count(user))}
