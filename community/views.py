import sys

from django.conf import settings
from django.db import connection, connections
from django.db.utils import InterfaceError, OperationalError
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache

from accounts import services as account_services
from forums import selectors as forum_selectors
from regions import selectors as region_selectors
from regions.models import ProgrammeCategory


def home(request):
    regions = list(region_selectors.list_regions(viewer=request.user))
    groups = []
    for value, label in [*ProgrammeCategory.choices, ("", None)]:
        members = [r for r in regions if r.category == value]
        if members:
            groups.append({"category": value, "label": label, "regions": members})
    return render(request, "home.html", {
        "region_groups": groups, "region_count": len(regions),
        "latest_threads": forum_selectors.list_latest_threads(viewer=request.user)[:8],
        "national_forums": forum_selectors.list_national_forums(viewer=request.user),
    })


def switch_language(request, code: str):
    """The header's language link. A plain GET (no form, no CSRF token on every page, so pages
    stay cacheable): choosing a language changes nothing but the reader's own preference."""
    if code not in dict(settings.LANGUAGES):
        raise Http404
    next_url = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if request.user.is_authenticated:
        account_services.set_language(user=request.user, language=code)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, code, max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE, secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=True,
    )
    return response


def accessibility(request):
    return render(request, "pages/accessibility.html")


def privacy(request):
    return render(request, "pages/privacy.html")


@never_cache
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def bad_request(request, exception=None):
    return render(request, "errors/400.html", status=400)


def permission_denied(request, exception=None):
    reason = str(exception) if exception and str(exception) else ""
    return render(request, "errors/403.html", {"reason": reason}, status=403)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


# Seconds a client is asked to wait when the database is away (a restart takes a few).
DATABASE_RETRY_AFTER = 5
# Form fields that are the site's machinery, not something the visitor typed.
_MACHINERY_FIELDS = {"csrfmiddlewaretoken"}


def database_unavailable(error: BaseException | None) -> bool:
    """The request failed because the database is away (restarting, failing over, refusing
    connections), not because of what it asked: a connection error that left a connection
    closed or broken, or none at all. A statement timeout or a deadlock keeps its connection
    usable and stays a 500."""
    if not isinstance(error, (OperationalError, InterfaceError)):
        return False
    for alias in connections:
        raw = connections[alias].connection
        if raw is None or getattr(raw, "closed", False) or getattr(raw, "broken", False):
            return True
    return False


def _typed_fields(request) -> list[dict]:
    if request.method != "POST":
        return []
    try:
        items = request.POST.lists()
    except Exception:  # the body itself could not be read: nothing to give back
        return []
    fields = []
    for name, values in items:
        if name in _MACHINERY_FIELDS:
            continue
        for value in values:
            # Text with spaces or lines is something typed: shown and editable. Short tokens
            # (an idempotency key, a quoted post's id) travel along unseen.
            typed = any(c.isspace() for c in value) or len(value) > 40 or name == "body"
            fields.append({"name": name, "value": value, "typed": typed})
    return fields


def service_unavailable(request) -> HttpResponse:
    """The database is away for a moment. Rendered without the request's context processors
    (they query the database) and without the session: only what this request carried. A
    form is given back with what was typed in it, ready to send again; the live client (it
    sends X-Requested-With: fetch) gets the same as JSON."""
    message = gettext("The site cannot reach its database for a moment. Nothing you typed "
                      "is lost: send it again in a few seconds.")
    if request.headers.get("X-Requested-With") == "fetch" or \
            "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"error": "database_unavailable", "message": message,
                                 "retry_after": DATABASE_RETRY_AFTER}, status=503)
    else:
        fields = _typed_fields(request)
        html = render_to_string("errors/503.html", {
            "message": message, "fields": fields,
            "typed_fields": [f for f in fields if f["typed"]],
            "action": request.get_full_path(), "csrf_token": get_token(request),
        })
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request):
    if database_unavailable(sys.exc_info()[1]):
        return service_unavailable(request)
    return render(request, "errors/500.html", status=500)

