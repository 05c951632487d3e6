from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("profiel/bewerken/", views.profile_edit, name="profile_edit"),
    path("profiel/<str:username>/", views.profile_detail, name="profile"),
    path("sessie/verlengen/", views.keepalive, name="keepalive"),
]
