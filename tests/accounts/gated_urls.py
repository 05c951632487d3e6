"""The site's URLs plus two views that refuse: one for want of a second factor, one outright."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from accounts.mfa import MFARequired
from community.urls import handler403  # noqa: F401
from community.urls import urlpatterns as site_urlpatterns

GATE_MESSAGE = "Voor deze proefpagina heb je tweestapsverificatie nodig."


def needs_mfa(request):
    raise MFARequired(GATE_MESSAGE)


def refused(request):
    raise PermissionDenied("Nee.")


urlpatterns = [path("gated/", needs_mfa), path("refused/", refused), *site_urlpatterns]
