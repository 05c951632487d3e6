from django.db.models import Count, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User

from . import permissions
from .models import ACTIVE_STATUSES, Meeting, ProgrammeItem, Registration, Speaker

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
