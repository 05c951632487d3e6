from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Profile, User


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ["display_name", "organisation", "government_layer", "job_title", "bio"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "email", "display_name", "is_staff", "is_active", "date_joined"]
    search_fields = ["username", "email", "profile__display_name", "profile__organisation"]
    list_select_related = ["profile"]

    def get_inline_instances(self, request, obj=None):
        return super().get_inline_instances(request, obj) if obj else []
