"""Where a request comes from, for the audit log.

Services are called from views, commands and signal receivers with no request at hand, and the
audit log must name the origin (IP address and user agent, BIO2 8.15.01) of every action. So
this middleware puts the origin of the current request in a context variable for the length of
the request, and `audit.record` reads it. Context variables follow the request into
sync_to_async threads and stay apart between concurrent requests; outside a request (a command,
a test calling a service) the origin is empty, which the log shows as such.
"""

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    ip_address: str | None = None
    user_agent: str = ""


NO_ORIGIN = Origin()
current_origin: contextvars.ContextVar[Origin] = contextvars.ContextVar(
    "moderation_origin", default=NO_ORIGIN)  # noqa: B039 - Origin is frozen


def origin_of(request) -> Origin:
    # REMOTE_ADDR is the client as daphne sees it; behind nginx daphne runs with --proxy-headers
    # (docs/deploy.md) so this is the real client, never a header the client chose itself.
    return Origin(ip_address=request.META.get("REMOTE_ADDR") or None,
                  user_agent=request.META.get("HTTP_USER_AGENT", "")[:300])


class AuditOriginMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_origin.set(origin_of(request))
        try:
            return self.get_response(request)
        finally:
            current_origin.reset(token)


class SuspensionNoticeMiddleware:
    """A suspended member who tries to post, react or flag sees why and until when, whichever
    view refused them: forums.permissions asked moderation.permissions, which noted the
    suspension on the user object; a refusal (PermissionDenied) then gets this page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.core.exceptions import PermissionDenied
        from django.shortcuts import render

        from accounts.mfa import MFARequired

        user = getattr(request, "user", None)
        row = getattr(user, "_moderation_barred_by", None) if user is not None else None
        # A missing second factor is its own way out (accounts.middleware), whatever else.
        if row is None or not isinstance(exception, PermissionDenied) \
                or isinstance(exception, MFARequired):
            return None
        from .selectors import suspension_notice

        return render(request, "moderation/suspended.html",
                      {"notice": suspension_notice(row)}, status=403)
