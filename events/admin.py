"""Staff create and change meetings here, through events.services like every other form: the
form asks check_meeting_change (the service's permission check and rules, refused beside the
fields), and saving calls create_meeting or update_meeting. The programme, questions,
invitations and registrations are shown, not changed: their writes (places under the
meeting's lock, the waiting list, signals) belong to the organiser's pages and services."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from core.admin import ShownNotChanged
from core.forms import add_service_errors

from . import services
from .models import Invitation, Meeting, ProgrammeItem, Question, Registration, Speaker

FIELD_ORDER = [
    "region", "kind", "title", "description", "starts_at", "ends_at", "venue_name",
    "venue_address", "online_url", "audience", "allows_guests", "capacity",
    "has_waiting_list", "waiting_list_mode", "offer_hours", "registration_opens_at",
    "registration_closes_at", "organiser_name", "organiser_email", "organiser_phone", "tags",
]


class MeetingAdminForm(forms.ModelForm):
    actor = None  # set per request by MeetingAdmin.get_form
    online_url = forms.URLField(
        label=Meeting._meta.get_field("online_url").verbose_name, max_length=500,
        required=False, assume_scheme="https",
        help_text=Meeting._meta.get_field("online_url").help_text)

    class Meta:
        model = Meeting
        fields = FIELD_ORDER

    def service_fields(self) -> dict:
        """What changed (everything, for a new meeting), as the services take it."""
        names = services.MEETING_FIELDS if self.instance.pk is None else \
            services.MEETING_FIELDS & set(self.changed_data)
        return {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        existing = self.instance if self.instance.pk else None
        try:
            services.check_meeting_change(
                actor=self.actor, meeting=existing, region=data.get("region"),
                tags=data.get("tags"), **self.service_fields())
        except ValidationError as error:
            add_service_errors(self, error)
        except PermissionDenied as refusal:
            raise ValidationError(str(refusal)) from refusal
        return data


class ProgrammeInline(ShownNotChanged, admin.TabularInline):
    model = ProgrammeItem
    fields = ["starts_at", "ends_at", "title", "room", "is_session", "capacity"]
    readonly_fields = fields
    extra = 0


class SpeakerInline(ShownNotChanged, admin.TabularInline):
    model = Speaker
    fields = ["name", "organisation", "government_layer", "user"]
    readonly_fields = fields
    extra = 0


class QuestionInline(ShownNotChanged, admin.TabularInline):
    model = Question
    fields = ["label", "kind", "required", "choices"]
    readonly_fields = fields
    extra = 0


class InvitationInline(ShownNotChanged, admin.TabularInline):
    model = Invitation
    fields = ["user", "invited_by", "created_at"]
    readonly_fields = fields
    extra = 0


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    form = MeetingAdminForm
    list_display = ["title", "kind", "region", "starts_at", "status", "places", "waiting"]
    list_filter = ["kind", "status", "audience", "region"]
    search_fields = ["title", "venue_name"]
    list_select_related = ["region"]
    date_hierarchy = "starts_at"
    filter_horizontal = ["tags"]
    inlines = [ProgrammeInline, SpeakerInline, QuestionInline, InvitationInline]
    actions = ["publish"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.actor = request.user  # a class made for this request
        return form

    def get_readonly_fields(self, request, obj=None):
        return ["region", "status", "sequence"] if obj else []

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            places_taken=Count("registrations",
                               filter=Q(registrations__status__in=Registration.HOLDS_PLACE)),
            waiting_count=Count("registrations",
                                filter=Q(registrations__status=Registration.Status.WAITING)))

    @admin.display(description=_("places taken"), ordering="places_taken")
    def places(self, obj):
        return obj.places_taken if obj.capacity is None else f"{obj.places_taken}/{obj.capacity}"

    @admin.display(description=_("waiting"), ordering="waiting_count")
    def waiting(self, obj):
        return obj.waiting_count

    def save_model(self, request, obj, form, change):
        fields, tags = form.service_fields(), form.cleaned_data.get("tags")
        if change:
            saved = services.update_meeting(actor=request.user, meeting=obj, tags=tags, **fields)
        else:
            saved = services.create_meeting(actor=request.user, region=obj.region, tags=tags,
                                            **fields)
        obj.pk = saved.pk  # what the admin logs and redirects to

    def save_related(self, request, form, formsets, change):
        """The tags went through the service with the rest; the inlines are read-only."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.action(description=_("Publish the selected drafts"))
    def publish(self, request, queryset):
        for meeting in queryset:
            try:
                services.publish_meeting(actor=request.user, meeting=meeting)
            except (ValidationError, PermissionDenied) as error:
                text = " ".join(getattr(error, "messages", [str(error)]))
                self.message_user(request, f"{meeting}: {text}", messages.ERROR)
            else:
                self.message_user(request, _("Published: %(title)s") % {"title": meeting},
                                  messages.SUCCESS)


@admin.register(Registration)
class RegistrationAdmin(ShownNotChanged, admin.ModelAdmin):
    list_display = ["__str__", "meeting", "status", "position", "organisation",
                    "government_layer", "created_at"]
    list_filter = ["status", "government_layer", "meeting"]
    search_fields = ["user__username", "user__profile__display_name", "guest_name",
                     "guest_email", "organisation"]
    list_select_related = ["meeting", "user__profile"]
