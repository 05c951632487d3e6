import hashlib
import hmac
from datetime import timedelta

from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User

from . import permissions
from .models import (
    ACTIVE_STATUSES,
    CalendarFeedToken,
    Meeting,
    ProgrammeItem,
    Registration,
    Speaker,
)

_TAKEN = Q(registrations__status__in=Registration.HOLDS_PLACE)
_WAITING = Q(registrations__status=Registration.Status.WAITING)


def with_places(meetings: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """Annotated with places_taken and waiting_count (for "places left" and the list's length)."""
    return meetings.annotate(places_taken=Count("registrations", filter=_TAKEN),
                             waiting_count=Count("registrations", filter=_WAITING))


def list_meetings(*, viewer: User, past: bool = False, region_id: int | None = None,
                  kind: str = "", tag_slug: str = "") -> QuerySet[Meeting]:
    """Upcoming (soonest first) or past (latest first) meetings the viewer may see."""
    now = timezone.now()
    meetings = Meeting.objects.past(now) if past else Meeting.objects.upcoming(now)
    if region_id is not None:
        meetings = meetings.filter(region_id=region_id)
    if kind:
        meetings = meetings.filter(kind=kind)
    if tag_slug:
        # Not a join: a programme-wide and a region's tag may share a slug.
        tagged = Meeting.tags.through.objects.filter(tag__slug=tag_slug)
        meetings = meetings.filter(pk__in=tagged.values("meeting_id"))
    meetings = permissions.visible_meetings(viewer, meetings)
    meetings = with_places(meetings.select_related("region").prefetch_related("tags"))
    return meetings.order_by("-starts_at" if past else "starts_at", "pk")


def get_meeting(*, viewer: User, meeting_id: int) -> Meeting:
    meetings = Meeting.objects.select_related("region")
    return get_object_or_404(permissions.visible_meetings(viewer, meetings), pk=meeting_id)


def get_meeting_page(*, viewer: User, meeting_id: int) -> Meeting:
    """The meeting with what its page shows: places, tags, the questions, the programme with
    its speakers and the places each session has taken."""
    programme = ProgrammeItem.objects.annotate(
        places_taken=Count("registrations", filter=_TAKEN),
    ).prefetch_related(Prefetch("speakers", queryset=Speaker.objects.select_related("user")))
    meetings = with_places(Meeting.objects.select_related("region")).prefetch_related(
        "tags", "questions", Prefetch("programme", queryset=programme))
    return get_object_or_404(permissions.visible_meetings(viewer, meetings), pk=meeting_id)


def get_own_registration(*, viewer: User, meeting: Meeting) -> Registration | None:
    """The viewer's active registration, or None."""
    if not viewer.is_authenticated:
        return None
    return Registration.objects.filter(meeting=meeting, user=viewer,
                                       status__in=ACTIVE_STATUSES) \
        .prefetch_related("sessions").first()


def waiting_list_position(*, registration: Registration) -> int | None:
    """1 for the first on the waiting list; None for a registration that is not on it."""
    if registration.status != Registration.Status.WAITING:
        return None
    return Registration.objects.filter(
        meeting_id=registration.meeting_id, status=Registration.Status.WAITING,
        position__lte=registration.position).count()


def list_waiting(*, meeting: Meeting) -> QuerySet[Registration]:
    """The waiting list in the order it is served."""
    return Registration.objects.filter(meeting=meeting, status=Registration.Status.WAITING) \
        .select_related("user__profile").order_by("position")


def list_participants(*, meeting: Meeting) -> QuerySet[Registration]:
    """Who has a place and agreed to be on the participant list."""
    return Registration.objects.filter(
        meeting=meeting, status=Registration.Status.CONFIRMED, consent_participant_list=True,
    ).select_related("user__profile").order_by("position")


# --- Calendar feeds -------------------------------------------------------------------------

# A feed holds what is coming and what ended this long ago, so a calendar keeps the recent past.
FEED_RECENT_DAYS = 90
# The registrations a personal feed shows: a place taken or held (an offered place too, so
# the date is in the calendar while the offer runs). Not the waiting list.
FEED_STATUSES = Registration.HOLDS_PLACE


def _feed_window(now=None) -> QuerySet[Meeting]:
    now = now or timezone.now()
    return Meeting.objects.filter(ends_at__gt=now - timedelta(days=FEED_RECENT_DAYS)) \
        .order_by("starts_at", "pk")


def list_public_feed(*, now=None) -> QuerySet[Meeting]:
    """Published meetings open to every member: never drafts, region-only or invite-only."""
    return _feed_window(now).filter(status=Meeting.Status.PUBLISHED,
                                    audience=Meeting.Audience.OPEN)


def list_personal_feed(*, user: User, now=None) -> tuple[list[Meeting], set[int]]:
    """The meetings the user holds a place in (cancelled ones too, so the calendar learns of
    it), and the ids of those whose online link they may see."""
    registered = Registration.objects.filter(user=user, status__in=FEED_STATUSES)
    meetings = _feed_window(now).filter(
        pk__in=registered.values("meeting_id"),
        status__in=(Meeting.Status.PUBLISHED, Meeting.Status.CANCELLED))
    meetings = permissions.visible_meetings(user, meetings)
    with_link = set(permissions.online_link_meetings(user, meetings).values_list("pk", flat=True))
    return list(meetings), with_link


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def get_feed_token(*, user: User) -> CalendarFeedToken | None:
    if not user.is_authenticated:
        return None
    return CalendarFeedToken.objects.filter(user=user).first()


def get_feed_owner(*, token: str) -> User | None:
    """The person whose feed address holds `token`; None for an unknown or replaced one."""
    found = CalendarFeedToken.objects.select_related("user").filter(
        digest=token_digest(token)).first()
    if found is None or not hmac.compare_digest(found.token, token) \
            or not found.user.is_active:
        return None
    return found.user


def list_next_meetings(*, viewer: User, region_id: int | None = None,
                       limit: int = 3) -> QuerySet[Meeting]:
    """The next published meetings the viewer may see (a region's own, or all), soonest
    first, for the home and region pages: one query, with the places left. Drafts and
    cancelled meetings stay out even for their managers: this is what one can still attend."""
    meetings = Meeting.objects.upcoming().filter(status=Meeting.Status.PUBLISHED)
    if region_id is not None:
        meetings = meetings.filter(region_id=region_id)
    meetings = permissions.visible_meetings(viewer, meetings.select_related("region"))
    return with_places(meetings).order_by("starts_at", "pk")[:limit]
