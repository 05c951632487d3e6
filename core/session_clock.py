"""The session's two clocks, kept in the session itself: when the user logged in and when the
user was last active. The HTTP middleware (accounts) writes them; live sockets read them to
close when the session ends."""

from django.conf import settings

LAST_ACTIVITY = "werkplaats_last_activity"
LOGGED_IN_AT = "werkplaats_logged_in_at"


def seconds_left(data, now: float) -> float:
    """Seconds until the idle timeout or the absolute lifetime ends the session, whichever is
    first; `data` is the session (or its stored dict). Missing clocks count as "just now"."""
    return min(
        data.get(LAST_ACTIVITY, now) + settings.SESSION_IDLE_TIMEOUT - now,
        data.get(LOGGED_IN_AT, now) + settings.SESSION_ABSOLUTE_LIFETIME - now,
    )
