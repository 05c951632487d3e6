"""Who may see, register for and manage a meeting, built on regions.permissions.

Every page, feed, calendar file, socket, notification, search result and export asks here.
The queryset filters and the object checks state each rule side by side, and a test matrix
runs both so lists and detail pages agree.

- manage: staff (with MFA) every meeting; a region's moderators (with MFA, not suspended
  there: regions.permissions) the region's meetings. Managers see drafts too.
- see: a draft only its managers; otherwise by audience: open → everyone (the public feed
  lists them), region → the region's members, invite → the invited. Staff see everything.
  Not seeing is the 404 of something that does not exist.
- register: logged in, the meeting published (not cancelled, not past) and the person in its
  audience (staff and moderators too: managing is not taking part). Whether registration is
  open yet, or the meeting full, is the service's to say, with a message.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.mfa import has_mfa, require_mfa
from regions import permissions as region_permissions
from regions.models import Region

from .models import Invitation, Meeting, Registration

DRAFT, PUBLISHED = Meeting.Status.DRAFT, Meeting.Status.PUBLISHED
OPEN, REGION, INVITE = Meeting.Audience.OPEN, Meeting.Audience.REGION, Meeting.Audience.INVITE


def _is_staff(user) -> bool:
    return user.is_authenticated and user.is_staff


# --- Managing -------------------------------------------------------------------------------

def holds_organiser_role(user, region: Region | None) -> bool:
    """The role, before the MFA requirement: staff anywhere (programme-wide meetings are
    theirs alone), a region's moderator in their region unless a suspension pauses it."""
    if not user.is_authenticated:
        return False
    if region is None:
        return user.is_staff
    return region_permissions.holds_moderator_role(user, region)


def can_create(user, region: Region | None) -> bool:
    return holds_organiser_role(user, region) and has_mfa(user)


def require_create(user, region: Region | None) -> None:
    """The gate of the organiser's pages: PermissionDenied without the role, MFARequired
    with it but without a second factor."""
    if not holds_organiser_role(user, region):
        raise PermissionDenied(_("Only the programme team and this region's moderators "
                                 "organise its meetings."))
    require_mfa(user, _("Organisers must use two-factor authentication. "
                        "Set it up to organise meetings."))


def can_manage(user, meeting: Meeting) -> bool:
    return can_create(user, meeting.region)


def require_manage(user, meeting: Meeting) -> None:
    require_create(user, meeting.region)


def manageable_meetings(user, meetings: QuerySet[Meeting]) -> QuerySet[Meeting]:
    return meetings.filter(_managed_q(user))


def _managed_q(user) -> Q:
    if not user.is_authenticated or not has_mfa(user):
        return Q(pk__in=[])
    if user.is_staff:
        return Q()
    regions = region_permissions.manageable_regions(user, Region.objects.all())
    return Q(region_id__in=regions.values("pk"))


# --- Seeing ---------------------------------------------------------------------------------

def _invited_q(user) -> Q:
    return Q(pk__in=Invitation.objects.filter(user=user).values("meeting_id"))


def visible_meetings(user, meetings: QuerySet[Meeting]) -> QuerySet[Meeting]:
    if _is_staff(user):
        return meetings
    audience = Q(audience=OPEN)
    if user.is_authenticated:
        audience |= Q(audience=REGION,
                      region_id__in=region_permissions.member_region_ids(user))
        audience |= Q(audience=INVITE) & _invited_q(user)
    return meetings.filter((~Q(status=DRAFT) & audience) | _managed_q(user))


def is_invited(user, meeting: Meeting) -> bool:
    return user.is_authenticated and Invitation.objects.filter(
        meeting=meeting, user=user).exists()


def in_audience(user, meeting: Meeting) -> bool:
    """The audience rule alone: the people the meeting is for."""
    if meeting.audience == OPEN:
        return True
    if not user.is_authenticated:
        return False
    if meeting.audience == REGION:
        return meeting.region_id in region_permissions.member_region_ids(user)
    return is_invited(user, meeting)


def can_view(user, meeting: Meeting) -> bool:
    if _is_staff(user) or can_manage(user, meeting):
        return True
    return meeting.status != DRAFT and in_audience(user, meeting)


# --- Taking part ----------------------------------------------------------------------------

def can_register(user, meeting: Meeting) -> bool:
    return (user.is_authenticated and meeting.status == PUBLISHED and not meeting.is_past()
            and in_audience(user, meeting))


def _holds_confirmed_place(user, meeting: Meeting) -> bool:
    return user.is_authenticated and Registration.objects.filter(
        meeting=meeting, user=user, status=Registration.Status.CONFIRMED).exists()


def can_view_online_link(user, meeting: Meeting) -> bool:
    """Registered participants with a place, and the organisers."""
    return can_view(user, meeting) and (
        can_manage(user, meeting) or _holds_confirmed_place(user, meeting))


def online_link_meetings(user, meetings: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """The list form of can_view_online_link: those of `meetings` whose link the user sees."""
    if not user.is_authenticated:
        return meetings.none()
    confirmed = Registration.objects.filter(user=user, status=Registration.Status.CONFIRMED)
    return visible_meetings(user, meetings).filter(
        _managed_q(user) | Q(pk__in=confirmed.values("meeting_id")))


def registration_sees_online_link(registration: Registration) -> bool:
    """For what is sent to a registration's own address: a member as can_view_online_link
    says, a guest once their place is confirmed."""
    if registration.user_id is None:
        return registration.status == Registration.Status.CONFIRMED
    return can_view_online_link(registration.user, registration.meeting)


def can_view_participants(user, meeting: Meeting) -> bool:
    """The participant list (of those who consented): participants, the members of the
    meeting's region, the organisers."""
    if not can_view(user, meeting):
        return False
    if can_manage(user, meeting):
        return True
    if meeting.region_id is not None and \
            meeting.region_id in region_permissions.member_region_ids(user):
        return True
    return _holds_confirmed_place(user, meeting)
