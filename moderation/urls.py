from django.urls import path

from . import thread_views, views

app_name = "moderation"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("logboek/", views.audit_log, name="audit"),
    path("mijn-berichten/", views.my_standing, name="my_standing"),
    path("regio/<slug:slug>/", views.queue, name="region_queue"),
    path("regio/<slug:slug>/logboek/", views.audit_log, name="region_audit"),
    path("regio/<slug:slug>/instellingen/", views.region_settings, name="settings"),
    path("bericht/<int:post_id>/", views.post_detail, name="post"),
    path("bericht/<int:post_id>/melden/", views.flag_post, name="flag"),
    path("bericht/<int:post_id>/actie/", views.post_action, name="post_action"),
    path("bericht/<int:post_id>/bewerken/", views.edit_post, name="edit_post"),
    path("onderwerp/<int:thread_id>/", thread_views.thread_panel, name="thread"),
    path("onderwerp/<int:thread_id>/splitsen/", thread_views.split_thread, name="split"),
    path("bericht/<int:post_id>/goedkeuren/", views.waiting_action, name="waiting_action"),
    path("bericht/<int:post_id>/intrekken/", views.withdraw_post, name="withdraw"),
    path("lid/<str:username>/", views.member, name="member"),
    path("schorsing/<int:suspension_id>/opheffen/", views.lift_suspension, name="lift"),
]
