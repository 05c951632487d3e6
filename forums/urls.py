from django.urls import path

from . import views

app_name = "forums"

urlpatterns = [
    path("forum/<int:forum_id>/", views.forum_detail, name="forum_short"),
    path("forum/<int:forum_id>/nieuw-onderwerp/", views.new_thread, name="new_thread"),
    path("forum/<int:forum_id>/volgen/", views.watch_forum, name="watch_forum"),
    path("forum/<int:forum_id>/alles-gelezen/", views.mark_forum_read, name="mark_read"),
    # After the fixed sub-paths above: the slug is decoration, any value shows the forum.
    path("forum/<int:forum_id>/<slug:slug>/", views.forum_detail, name="forum"),
    path("onderwerp/<int:thread_id>/", views.thread_detail, name="thread"),
    path("onderwerp/<int:thread_id>/reageren/", views.reply, name="reply"),
    path("onderwerp/<int:thread_id>/antwoord/", views.accept_answer, name="accept"),
    path("onderwerp/<int:thread_id>/volgen/", views.watch_thread, name="watch_thread"),
    path("bericht/<int:post_id>/", views.post_redirect, name="post"),
    path("bericht/<int:post_id>/bewerken/", views.edit_post, name="edit_post"),
    path("bericht/<int:post_id>/verwijderen/", views.delete_post, name="delete_post"),
    path("bericht/<int:post_id>/geschiedenis/", views.post_history, name="history"),
    path("bericht/<int:post_id>/reactie/", views.react, name="react"),
    path("regio/<slug:slug>/volgen/", views.watch_region, name="watch_region"),
    path("regio/<slug:slug>/fora/", views.manage_forums, name="manage"),
    path("regio/<slug:slug>/fora/nieuw/", views.create_forum, name="create_forum"),
    path("regio/<slug:slug>/fora/tags/nieuw/", views.create_tag, name="create_tag"),
    path("regio/<slug:slug>/fora/<int:forum_id>/opslaan/", views.save_forum, name="save_forum"),
    path("regio/<slug:slug>/fora/<int:forum_id>/omhoog/", views.move_forum_up,
         name="move_forum_up"),
    path("regio/<slug:slug>/fora/<int:forum_id>/omlaag/", views.move_forum_down,
         name="move_forum_down"),
    path("regio/<slug:slug>/fora/<int:forum_id>/archiveren/", views.archive_forum,
         name="archive_forum"),
    path("regio/<slug:slug>/fora/<int:forum_id>/herstellen/", views.restore_forum,
         name="restore_forum"),
    path("nieuw/", views.latest, name="latest"),
    path("ongelezen/", views.unread, name="unread"),
    path("tag/<slug:slug>/", views.tag_detail, name="tag"),
]
