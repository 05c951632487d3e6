from django.conf import settings

from regions import permissions as region_permissions


def site(request):
    user = getattr(request, "user", None)
    needs_mfa = False
    if user is not None and user.is_authenticated:
        from accounts.mfa import has_mfa

        needs_mfa = region_permissions.holds_any_power(user) and not has_mfa(user)
    return {
        "session_seconds_left": getattr(request, "session_seconds_left", None),
        "session_idle_warning": settings.SESSION_IDLE_WARNING,
        "needs_mfa_setup": needs_mfa,
        "on_home_page": getattr(request.resolver_match, "url_name", None) == "home",
    }
