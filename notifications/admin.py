from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """For looking into a report of a missing or wrong notification; written by services only."""

    list_display = ("recipient", "kind", "count", "updated_at", "read_at", "delivery")
    list_filter = ("kind", "delivery")
    search_fields = ("recipient__username", "recipient__email")
    raw_id_fields = ("recipient", "actor", "thread", "post", "region", "membership_request")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
