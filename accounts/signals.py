"""Signals from code we don't own (allauth) turned into our own service calls."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from .middleware import LAST_ACTIVITY, LOGGED_IN_AT


@receiver(user_logged_in)
def start_session_clock(sender, request, user, **kwargs):
    import time

    now = time.time()
    request.session[LOGGED_IN_AT] = now
    request.session[LAST_ACTIVITY] = now


@receiver(user_logged_out)
def close_live_sockets_of_session(sender, request, user, **kwargs):
    """The session's open sockets close at once (others of the same user stay)."""
    if user is None or request is None or not getattr(request, "session", None):
        return
    from live import broadcast

    broadcast.send_now(broadcast.user_group(user.pk), {
        "type": "session.ended",
        "session_key": broadcast.session_fingerprint(request.session.session_key),
    })
