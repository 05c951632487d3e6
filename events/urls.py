from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("eerder/", views.overview, {"past": True}, name="past"),
    path("agenda.ics", views.public_feed, name="public_feed"),
    path("agenda/nieuw-adres/", views.renew_feed_token, name="renew_feed_token"),
    path("agenda/<str:token>.ics", views.personal_feed, name="personal_feed"),
    path("<int:meeting_id>/", views.meeting_detail, name="meeting"),
    path("<int:meeting_id>/agenda.ics", views.meeting_ics, name="meeting_ics"),
    path("<int:meeting_id>/aanmelden/", views.register, name="register"),
    path("<int:meeting_id>/afmelden/", views.cancel, name="cancel"),
    path("<int:meeting_id>/plek-aannemen/", views.accept_offer, name="accept_offer"),
]
