"""Werkplaatsbijeenkomsten: meetings, their programme, registrations and the waiting list.

Times are stored in UTC and shown in Europe/Amsterdam (settings.TIME_ZONE). "Past" is not a
stored status: a published meeting is past once it has ended, so nothing has to flip it.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import GovernmentLayer
from forums.models import Tag
from regions.models import Region


class MeetingQuerySet(models.QuerySet):
    def upcoming(self, now=None):
        return self.filter(ends_at__gt=now or timezone.now())

    def past(self, now=None):
        return self.filter(ends_at__lte=now or timezone.now())


class Meeting(models.Model):
    class Kind(models.TextChoices):
        WERKPLAATS = "werkplaatsbijeenkomst", _("Werkplaats meeting")
        BESTUURLIJK = "bestuurlijk", _("Administrative meeting")
        REGIONAL = "regional", _("Regional meeting")
        WEBINAR = "webinar", _("Webinar")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")

    class Audience(models.TextChoices):
        OPEN = "open", _("Every member of the Werkplaats")
        REGION = "region", _("Members of the region only")
        INVITE = "invite", _("Invited people only")

    class WaitingListMode(models.TextChoices):
        AUTOMATIC = "automatic", _("The first on the waiting list gets a free place at once")
        OFFER = "offer", _("The first on the waiting list is offered a free place for a while")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices,
                            default=Kind.WERKPLAATS)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True,
                                   help_text=_("Markdown, as in the forums."))
    description_html = models.TextField(blank=True, editable=False)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    venue_name = models.CharField(_("venue"), max_length=200, blank=True)
    venue_address = models.TextField(_("address"), max_length=500, blank=True)
    online_url = models.URLField(
        _("online link"), max_length=500, blank=True,
        help_text=_("Shown only to registered participants."))
    capacity = models.PositiveIntegerField(_("places"), null=True, blank=True,
                                           help_text=_("Empty: unlimited."))
    has_waiting_list = models.BooleanField(_("waiting list when full"), default=True)
    waiting_list_mode = models.CharField(
        _("when a place frees up"), max_length=12, choices=WaitingListMode.choices,
        default=WaitingListMode.AUTOMATIC)
    offer_hours = models.PositiveSmallIntegerField(
        _("hours an offered place is held"), default=48)
    registration_opens_at = models.DateTimeField(
        _("registration opens"), null=True, blank=True,
        help_text=_("Empty: as soon as the meeting is published."))
    registration_closes_at = models.DateTimeField(
        _("registration closes"), null=True, blank=True,
        help_text=_("Empty: when the meeting starts."))
    organiser_name = models.CharField(_("organiser"), max_length=120, blank=True)
    organiser_email = models.EmailField(_("organiser's e-mail address"), blank=True)
    organiser_phone = models.CharField(_("organiser's phone number"), max_length=40, blank=True)
    # Empty: a programme-wide meeting, organised by staff (the programme team).
    region = models.ForeignKey(Region, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="meetings", verbose_name=_("region"))
    tags = models.ManyToManyField(Tag, blank=True, related_name="meetings",
                                  verbose_name=_("tags"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices,
                              default=Status.DRAFT)
    audience = models.CharField(_("who may take part"), max_length=12,
                                choices=Audience.choices, default=Audience.OPEN)
    allows_guests = models.BooleanField(
        _("guests without an account may register"), default=False)
    cancelled_reason = models.TextField(_("reason for cancelling"), max_length=1000,
                                        blank=True)
    # RFC 5545 SEQUENCE: rises with every change of time or place and with a cancellation.
    sequence = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")),
                                   name="meeting_ends_after_it_starts"),
            models.CheckConstraint(condition=Q(capacity__isnull=True) | Q(capacity__gt=0),
                                   name="meeting_capacity_positive"),
            models.CheckConstraint(condition=Q(offer_hours__gt=0),
                                   name="meeting_offer_hours_positive"),
            models.CheckConstraint(
                condition=Q(registration_closes_at__isnull=True)
                | Q(registration_closes_at__lte=F("starts_at")),
                name="meeting_registration_closes_by_the_start"),
            models.CheckConstraint(
                condition=Q(registration_opens_at__isnull=True)
                | Q(registration_closes_at__isnull=True)
                | Q(registration_opens_at__lt=F("registration_closes_at")),
                name="meeting_registration_opens_before_it_closes"),
            models.CheckConstraint(condition=~Q(audience="region") | Q(region__isnull=False),
                                   name="meeting_region_audience_has_a_region"),
        ]
        indexes = [
            models.Index(fields=["status", "starts_at"], name="meeting_status_start"),
            models.Index(fields=["region", "starts_at"], name="meeting_region_start"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("events:meeting", kwargs={"meeting_id": self.pk})

    def clean(self) -> None:
        """The rules the database checks too, said beside the field they are about."""
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The meeting must end after it starts.")
        closes, opens = self.registration_closes_at, self.registration_opens_at
        if closes and self.starts_at and closes > self.starts_at:
            errors["registration_closes_at"] = _(
                "Registration must close before the meeting starts.")
        if opens and closes and opens >= closes:
            errors["registration_opens_at"] = _("Registration must open before it closes.")
        if self.audience == self.Audience.REGION and self.region_id is None:
            errors["audience"] = _("Only a region's meeting can be for its members only.")
        if self.status != self.Status.DRAFT:
            if self.kind == self.Kind.WEBINAR and not self.online_url:
                errors["online_url"] = _("A webinar needs an online link.")
            elif not (self.venue_name or self.online_url):
                errors["venue_name"] = _("Give a venue or an online link.")
        if errors:
            raise ValidationError(errors)

    def is_past(self, now=None) -> bool:
        return self.ends_at <= (now or timezone.now())

    def has_started(self, now=None) -> bool:
        return self.starts_at <= (now or timezone.now())

    @property
    def places_left(self) -> int | None:
        """None: unlimited. Needs the places_taken annotation (selectors.with_places)."""
        if self.capacity is None:
            return None
        return max(self.capacity - self.places_taken, 0)

    @property
    def state(self) -> str:
        """draft, published, cancelled or past: the status a person is shown."""
        if self.status == self.Status.PUBLISHED and self.is_past():
            return "past"
        return self.status


class Invitation(models.Model):
    """Who may see and register for an invite-only meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="meeting_invitations")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [models.UniqueConstraint(fields=["meeting", "user"],
                                               name="one_invitation_per_person")]

    def __str__(self) -> str:
        return f"{self.user} → {self.meeting}"


class Speaker(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="speakers")
    name = models.CharField(_("name"), max_length=120)
    organisation = models.CharField(_("organisation"), max_length=120, blank=True)
    government_layer = models.CharField(_("government layer"), max_length=20,
                                        choices=GovernmentLayer.choices, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+",
                             verbose_name=_("Werkplaats profile"))

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")

    def __str__(self) -> str:
        return self.name


class ProgrammeItem(models.Model):
    """A part of the programme. A parallel session (a workshop) is chosen at registration and
    may have places of its own."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="programme")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    description_html = models.TextField(blank=True, editable=False)
    room = models.CharField(_("room or track"), max_length=120, blank=True)
    is_session = models.BooleanField(_("parallel session, chosen at registration"),
                                     default=False)
    capacity = models.PositiveIntegerField(_("places in this session"), null=True, blank=True,
                                           help_text=_("Empty: as many as the meeting."))
    speakers = models.ManyToManyField(Speaker, blank=True, related_name="items",
                                      verbose_name=_("speakers"))

    class Meta:
        ordering = ["starts_at", "room", "pk"]
        verbose_name = _("programme item")
        verbose_name_plural = _("programme items")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")),
                                   name="programme_item_ends_after_it_starts"),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(is_session=True, capacity__gt=0),
                name="programme_item_capacity_only_for_sessions"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def places_left(self) -> int | None:
        """None: as many as the meeting. Needs the places_taken annotation (selectors)."""
        if self.capacity is None:
            return None
        return max(self.capacity - self.places_taken, 0)

    def overlaps(self, other: "ProgrammeItem") -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at


class Question(models.Model):
    """A question the organiser asks everyone who registers."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Free text")
        CHOICE = "choice", _("One choice")
        MULTIPLE = "multiple", _("Several choices")
        YES_NO = "yesno", _("Yes or no")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="questions")
    label = models.CharField(_("question"), max_length=300)
    kind = models.CharField(_("kind of answer"), max_length=10, choices=Kind.choices,
                            default=Kind.TEXT)
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.label

    @property
    def field_name(self) -> str:
        """The form field (and the service's error key) for this question's answer."""
        return f"question_{self.pk}"


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    WAITING = "waiting", _("On the waiting list")
    OFFERED = "offered", _("Place offered")
    CANCELLED = "cancelled", _("Cancelled")
    PENDING = "pending_confirmation", _("Waiting for confirmation by e-mail")


# A person has at most one of these per meeting (a constraint below).
ACTIVE_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING,
                   RegistrationStatus.OFFERED, RegistrationStatus.PENDING)


class Registration(models.Model):
    Status = RegistrationStatus

    class Cancellation(models.TextChoices):
        SELF = "self", _("Cancelled by the participant")
        ORGANISER = "organiser", _("Cancelled by the organiser")
        OFFER_EXPIRED = "offer_expired", _("Offered place not accepted in time")

    ACTIVE = ACTIVE_STATUSES
    HOLDS_PLACE = (Status.CONFIRMED, Status.OFFERED)  # an offered place is held for them

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="registrations")
    # Empty for a guest: a professional from outside the regions, known by name and address.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True,
                             blank=True, related_name="meeting_registrations")
    guest_name = models.CharField(_("name"), max_length=120, blank=True)
    guest_email = models.EmailField(_("e-mail address"), blank=True)
    organisation = models.CharField(_("organisation"), max_length=120, blank=True)
    government_layer = models.CharField(_("government layer"), max_length=20,
                                        choices=GovernmentLayer.choices, blank=True)
    status = models.CharField(_("status"), max_length=24, choices=Status.choices)
    # Arrival order within the meeting (1, 2, ...): the waiting list is served in this order.
    position = models.PositiveIntegerField(editable=False)
    offered_until = models.DateTimeField(_("offer open until"), null=True, blank=True)
    consent_participant_list = models.BooleanField(
        _("show me on the participant list"), default=False)
    sessions = models.ManyToManyField(ProgrammeItem, blank=True, related_name="registrations",
                                      verbose_name=_("sessions"))
    cancellation = models.CharField(max_length=16, choices=Cancellation.choices, blank=True)
    cancelled_reason = models.TextField(_("reason"), max_length=1000, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [
            models.UniqueConstraint(fields=["meeting", "position"],
                                    name="registration_arrival_order"),
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=Q(user__isnull=False, status__in=ACTIVE_STATUSES),
                name="one_active_registration_per_member"),
            models.UniqueConstraint(
                F("meeting"), Lower("guest_email"),
                condition=Q(user__isnull=True, status__in=ACTIVE_STATUSES),
                name="one_active_registration_per_guest"),
            models.CheckConstraint(
                condition=Q(user__isnull=False, guest_email="", guest_name="")
                | (Q(user__isnull=True) & ~Q(guest_email="") & ~Q(guest_name="")),
                name="registration_member_or_guest"),
            models.CheckConstraint(
                condition=~Q(status="offered") | Q(offered_until__isnull=False),
                name="registration_offer_has_a_deadline"),
            models.CheckConstraint(
                condition=~Q(status="pending_confirmation") | Q(user__isnull=True),
                name="registration_only_guests_confirm_by_mail"),
        ]
        indexes = [models.Index(fields=["meeting", "status", "position"],
                                name="registration_queue")]

    def __str__(self) -> str:
        return f"{self.name} → {self.meeting} ({self.status})"

    @property
    def is_guest(self) -> bool:
        return self.user_id is None

    @property
    def name(self) -> str:
        return self.guest_name if self.is_guest else self.user.display_name

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class Answer(models.Model):
    """value: a string (text, one choice), a list of strings (several choices) or a bool."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE,
                                     related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    value = models.JSONField()

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [models.UniqueConstraint(fields=["registration", "question"],
                                               name="one_answer_per_question")]

    def __str__(self) -> str:
        return f"{self.question}: {self.value}"


class CalendarFeedToken(models.Model):
    """The secret in a person's calendar-feed address. The token itself is kept (its owner
    is shown the address again on every visit); lookups go by its SHA-256 digest, so the
    database compares a digest and the token is compared in constant time."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="calendar_feed_token")
    token = models.CharField(max_length=64, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("calendar subscription address")
        verbose_name_plural = _("calendar subscription addresses")

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d})"
