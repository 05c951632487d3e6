from . import permissions, selectors


def queue(request):
    """The review queue's count in the header, for moderators (cached; see selectors)."""
    user = getattr(request, "user", None)
    if user is None or not permissions.holds_any_moderator_role(user):
        return {}
    if permissions.moderated_region_ids(user) == set():
        return {}
    return {"moderation_queue_count": selectors.queue_count(viewer=user)}
