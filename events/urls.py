from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("eerder/", views.overview, {"past": True}, name="past"),
    path("<int:meeting_id>/", views.meeting_detail, name="meeting"),
    path("<int:meeting_id>/aanmelden/", views.register, name="register"),
    path("<int:meeting_id>/afmelden/", views.cancel, name="cancel"),
    path("<int:meeting_id>/plek-aannemen/", views.accept_offer, name="accept_offer"),
]
