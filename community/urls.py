from django.contrib import admin
from django.urls import include, path

from forums import views as forum_views

from . import views

handler400 = "community.views.bad_request"
handler403 = "community.views.permission_denied"
handler404 = "community.views.page_not_found"
handler500 = "community.views.server_error"

urlpatterns = [
    path("", views.home, name="home"),
    path("toegankelijkheid/", views.accessibility, name="accessibility"),
    path("privacy/", views.privacy, name="privacy"),
    path("zoeken/", forum_views.search, name="search"),
    path("healthz", views.healthz, name="healthz"),
    path("taal/<str:code>/", views.switch_language, name="switch_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("account/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("regio/", include("regions.urls")),
    path("meldingen/", include("notifications.urls")),
    path("", include("forums.urls")),
    path("moderatie/", include("moderation.urls")),
    path("bijeenkomsten/", include("events.urls")),
    path("beheer/", admin.site.urls),
]
