from django.contrib import admin
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ShownNotChanged

from .models import Membership, MembershipRequest, Region
from .signals import region_created


class MembershipsReadOnly(ShownNotChanged):
    """Memberships and roles change on the region's management page only: its services check
    the actor (staff with MFA, never their own role), record the change in the audit log and
    close the sockets that membership kept open. The admin would bypass all three through
    every path it has (form, inline, delete view, bulk action, whatever is added later), so
    here they are shown, not changed. Deleting a user or region that has members needs the
    right to delete memberships too, so the admin refuses that as well (deactivate, archive)."""


def management_link(region: Region) -> str:
    return format_html('<a href="{}">{}</a>', reverse("regions:manage", args=[region.slug]),
                       _("Change members and roles on the management page"))


class MembershipInline(MembershipsReadOnly, admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "joined_at"]
    readonly_fields = fields


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "is_open", "is_archived", "position", "members"]
    list_editable = ["position", "is_open"]
    list_filter = ["category", "is_open", "is_archived"]
    search_fields = ["name", "slug", "theme"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    actions = ["archive", "unarchive"]
    readonly_fields = ["management_page"]

    @admin.display(description=_("members and roles"))
    def management_page(self, obj):
        return management_link(obj) if obj.pk else "—"

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
class MembershipAdmin(MembershipsReadOnly, admin.ModelAdmin):
    list_display = ["user", "region", "role", "joined_at", "management_page"]
    list_filter = ["role", "region"]
    search_fields = ["user__username", "user__email", "user__profile__display_name"]
    list_select_related = ["user", "region"]
    fields = ["user", "region", "role", "joined_at", "management_page"]
    readonly_fields = fields

    @admin.display(description=_("members and roles"))
    def management_page(self, obj):
        return management_link(obj.region)


@admin.register(MembershipRequest)
class MembershipRequestAdmin(admin.ModelAdmin):
    list_display = ["user", "region", "status", "created_at", "decided_by", "decided_at"]
    list_filter = ["status", "region"]
    list_select_related = ["user", "region", "decided_by"]
    readonly_fields = ["user", "region", "motivation", "status", "reason", "decided_by",
                       "created_at", "decided_at"]

    def has_add_permission(self, request):
        return False
