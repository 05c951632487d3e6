from django.contrib import admin

from .models import Forum, Post, Tag, Thread


@admin.register(Forum)
class ForumAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "visibility", "staff_only_threads", "is_reports",
                    "position", "is_archived", "thread_count", "post_count"]
    list_filter = ["visibility", "is_archived", "region"]
    list_editable = ["position", "is_archived"]
    search_fields = ["name", "region__name"]
    list_select_related = ["region"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "region"]
    list_filter = ["region"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ["title", "forum", "kind", "author", "post_count", "is_pinned", "is_locked",
                    "last_post_at"]
    list_filter = ["kind", "is_pinned", "is_locked"]
    search_fields = ["title"]
    list_select_related = ["forum__region", "author"]
    raw_id_fields = ["author", "last_post", "last_poster", "accepted_answer"]
    # Threads and posts change through the site (services keep counters and search in step).
    readonly_fields = ["forum", "title", "author", "kind"]

    def has_add_permission(self, request):
        return False


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["__str__", "thread", "author", "created_at", "is_deleted"]
    list_select_related = ["thread", "author"]
    raw_id_fields = ["thread", "author", "quote_of"]
    readonly_fields = ["thread", "author", "position", "body", "quote_of", "is_deleted"]

    def has_add_permission(self, request):
        return False
