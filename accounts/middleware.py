import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.session_clock import LAST_ACTIVITY, LOGGED_IN_AT, seconds_left

from .mfa import MFARequired

# Writing the session on every request costs a write per page; a 30-second granularity is
# invisible against a 30-minute timeout.
_TOUCH_GRANULARITY = 30


class SessionTimeoutMiddleware:
    """Idle timeout and absolute lifetime for logged-in sessions.

    The page learns the seconds left (request.session_seconds_left) so the browser can warn
    before it ends (WCAG 2.2.1); `accounts:keepalive` resets the idle clock.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.session_seconds_left = None
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            logged_in_at = session.setdefault(LOGGED_IN_AT, now)
            last = session.get(LAST_ACTIVITY, now)
            idle_expired = now - last > settings.SESSION_IDLE_TIMEOUT
            lifetime_over = now - logged_in_at > settings.SESSION_ABSOLUTE_LIFETIME
            if idle_expired or lifetime_over:
                logout(request)
                minutes = max(1, settings.SESSION_IDLE_TIMEOUT // 60)
                messages.info(
                    request,
                    ngettext("You were logged out after %(minutes)d minute without activity.",
                             "You were logged out after %(minutes)d minutes without activity.",
                             minutes) % {"minutes": minutes}
                    if idle_expired
                    else _("Your session has ended; please log in again."),
                )
            else:
                if now - last >= _TOUCH_GRANULARITY or LAST_ACTIVITY not in session:
                    session[LAST_ACTIVITY] = now
                    last = now
                request.session_seconds_left = int(seconds_left(session, now))
        return self.get_response(request)


def touch_session(request) -> int:
    """Reset the idle clock (the "stay logged in" button); returns the seconds left."""
    now = time.time()
    request.session[LAST_ACTIVITY] = now
    logged_in_at = request.session.setdefault(LOGGED_IN_AT, now)
    return int(
        min(settings.SESSION_IDLE_TIMEOUT,
            settings.SESSION_ABSOLUTE_LIFETIME - (now - logged_in_at))
    )


class MFARequiredMiddleware:
    """The one place that turns MFARequired into the way out: the reason as a message, and the
    set-up page, which returns to the page that asked."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, MFARequired):
            return None
        messages.warning(request, str(exception))
        next_url = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('mfa_activate_totp')}?{next_url}")
