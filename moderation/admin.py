from django.contrib import admin

from .models import AuditEntry, Flag, MemberWarning, RegionModerationSettings, Suspension


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only (no add, change or delete, no bulk actions)."""

    list_display = ["created_at", "actor_label", "action", "object_type", "object_label",
                    "region", "result", "ip_address"]
    list_filter = ["action", "result", "region"]
    search_fields = ["actor_label", "object_label", "reason"]
    date_hierarchy = "created_at"
    list_select_related = ["region"]
    actions = None

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RegionModerationSettings)
class RegionModerationSettingsAdmin(admin.ModelAdmin):
    list_display = ["region", "flag_threshold", "approval_posts"]


class _ViewOnly(admin.ModelAdmin):
    """Changes go through the moderation pages, which audit them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Flag)
class FlagAdmin(_ViewOnly):
    list_display = ["post", "user", "reason", "is_open", "created_at"]
    list_filter = ["reason", "is_open"]


@admin.register(Suspension)
class SuspensionAdmin(_ViewOnly):
    list_display = ["user", "region", "starts_at", "ends_at", "lifted_at"]


@admin.register(MemberWarning)
class MemberWarningAdmin(_ViewOnly):
    list_display = ["user", "region", "created_by", "created_at"]
