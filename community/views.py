from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
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


def server_error(request):
    return render(request, "errors/500.html", status=500)

