"""The site's URLs plus one view that fails, to see what a 500 looks like."""

from django.urls import path

from community.urls import handler500  # noqa: F401
from community.urls import urlpatterns as site_urlpatterns


def broken(request):
    raise RuntimeError("boom-secret-detail")


urlpatterns = [path("broken/", broken), *site_urlpatterns]
