from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .models import Membership, MembershipRequest, Region
from .signals import region_created


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "joined_at"]
    readonly_fields = ["joined_at"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "is_open", "is_archived", "position", "members"]
    list_editable = ["position", "is_open"]
    list_filter = ["category", "is_open", "is_archived"]
    search_fields = ["name", "slug", "theme"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    actions = ["archive", "unarchive"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(num_members=Count("memberships"))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            region_created.send(sender=Region, region=obj)

    @admin.display(description=_("members"), ordering="num_members")
    def members(self, obj):
        return obj.num_members

    @admin.action(description=_("Archive the selected regions"))
    def archive(self, request, queryset):
        queryset.update(is_archived=True)

    @admin.action(description=_("Restore the selected regions"))
    def unarchive(self, request, queryset):
        queryset.update(is_archived=False)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "region", "role", "joined_at"]
    list_filter = ["role", "region"]
    search_fields = ["user__username", "user__email", "user__profile__display_name"]
    autocomplete_fields = ["user", "region"]
    list_select_related = ["user", "region"]


@admin.register(MembershipRequest)
class MembershipRequestAdmin(admin.ModelAdmin):
    list_display = ["user", "region", "status", "created_at", "decided_by", "decided_at"]
    list_filter = ["status", "region"]
    list_select_related = ["user", "region", "decided_by"]
    readonly_fields = ["user", "region", "motivation", "status", "reason", "decided_by",
                       "created_at", "decided_at"]

    def has_add_permission(self, request):
        return False
