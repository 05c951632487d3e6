"""Every meeting and registration write goes through here: views, admin actions, commands.

Capacity is a hard promise. Every write that gives, takes or frees a place (registering,
cancelling, accepting or letting an offer expire, changing the capacity) first locks the
meeting's row, so such writes take turns per meeting and the places taken that one of them
counts cannot change before it commits. The same lock covers the meeting's parallel sessions:
their places change only under it, and one lock per meeting cannot deadlock.

Signals (events/signals.py) go out after commit, for the notifications a later stage adds.
"""

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import GovernmentLayer, User
from forums import rendering
from forums.models import Tag
from regions.models import Region

from . import permissions, selectors, signals
from .models import (
    ACTIVE_STATUSES,
    Answer,
    CalendarFeedToken,
    Invitation,
    Meeting,
    ProgrammeItem,
    Question,
    Registration,
    Speaker,
)

CONFIRMED, WAITING, OFFERED, CANCELLED = (
    Registration.Status.CONFIRMED, Registration.Status.WAITING, Registration.Status.OFFERED,
    Registration.Status.CANCELLED)
HOLDS_PLACE = Registration.HOLDS_PLACE

# What an organiser sets on a meeting (the region is chosen once, at creation).
MEETING_FIELDS = frozenset({
    "kind", "title", "description", "starts_at", "ends_at", "venue_name", "venue_address",
    "online_url", "capacity", "has_waiting_list", "waiting_list_mode", "offer_hours",
    "registration_opens_at", "registration_closes_at", "organiser_name", "organiser_email",
    "organiser_phone", "audience", "allows_guests",
})
# A change to any of these is news for the participants (a calendar update, SEQUENCE + 1).
TIME_AND_PLACE = ("starts_at", "ends_at", "venue_name", "venue_address", "online_url")
MAX_ANSWER_LENGTH = 2000
MAX_REASON_LENGTH = 1000
MAX_ORGANISATION_LENGTH = Registration._meta.get_field("organisation").max_length


def _send_on_commit(signal, **kwargs) -> None:
    transaction.on_commit(lambda: signal.send(sender=Meeting, **kwargs))


def _locked_meeting(pk: int) -> Meeting:
    """The meeting's row, locked until commit: the turn every place-changing write waits for.
    NO KEY UPDATE, so rows that merely point at the meeting may be inserted meanwhile."""
    return Meeting.objects.select_for_update(no_key=True).get(pk=pk)


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


# --- Meetings -------------------------------------------------------------------------------

def _clean_markdown(value: str, *, field: str) -> tuple[str, str]:
    value = (value or "").replace("\x00", "").strip()
    if len(value) > rendering.MAX_SOURCE_LENGTH:
        raise ValidationError({field: _("At most %(n)d characters, please.")
                               % {"n": rendering.MAX_SOURCE_LENGTH}})
    if rendering.line_count(value) > rendering.MAX_LINES:
        raise ValidationError({field: _("At most %(n)d lines, please.")
                               % {"n": rendering.MAX_LINES}})
    return value, rendering.render_markdown(value) if value else ""


def _apply(meeting: Meeting, fields: dict) -> None:
    unknown = set(fields) - MEETING_FIELDS
    if unknown:
        raise TypeError(f"not a meeting field an organiser sets: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        if isinstance(value, datetime) and timezone.is_naive(value):
            raise ValueError(f"{name}: an aware datetime, please (naive times are ambiguous)")
        if isinstance(value, str) and name != "description":
            value = value.replace("\x00", "").strip()
        setattr(meeting, name, value)
    if "description" in fields:
        meeting.description, meeting.description_html = _clean_markdown(
            fields["description"], field="description")


def _clean_tags(region_id: int | None, tags: Iterable[Tag]) -> list[Tag]:
    """The forums' tags: programme-wide ones, and the meeting's own region's (a region's tag
    on another region's meeting would tell that region's readers nothing)."""
    tags = list(tags)
    if any(tag.region_id not in (None, region_id) for tag in tags):
        raise ValidationError({"tags": _(
            "Choose programme-wide tags or tags of this meeting's region.")})
    return tags


def _counts(meeting: Meeting) -> dict:
    """Places taken, people waiting and the last arrival, in one query; under the lock."""
    return Registration.objects.filter(meeting=meeting).aggregate(
        taken=Count("pk", filter=Q(status__in=HOLDS_PLACE)),
        waiting=Count("pk", filter=Q(status=WAITING)),
        last_position=Max("position"),
    )


def _draft(*, actor: User, region: Region | None) -> Meeting:
    permissions.require_create(actor, region)
    return Meeting(region=region, created_by=actor, status=Meeting.Status.DRAFT)


def _changed(meeting: Meeting, fields: dict, tags: Iterable[Tag] | None) -> list[Tag] | None:
    """The meeting with `fields` applied, checked against every rule of a create or update
    (raised beside the fields): the model's own and, for a saved meeting, the places taken
    and the people waiting. Returns the checked tags."""
    if meeting.status == Meeting.Status.CANCELLED:
        raise ValidationError(_("A cancelled meeting cannot be changed any more."))
    _apply(meeting, fields)
    if meeting.pk is not None:
        counts = _counts(meeting)
        if meeting.capacity is not None and meeting.capacity < counts["taken"]:
            raise ValidationError({"capacity": ngettext(
                "%(n)d person already has a place: there must be at least that many places.",
                "%(n)d people already have a place: there must be at least that many places.",
                counts["taken"]) % {"n": counts["taken"]}})
        if not meeting.has_waiting_list and counts["waiting"]:
            raise ValidationError({"has_waiting_list": _(
                "People are on the waiting list: cancel their registrations first.")})
    checked = None if tags is None else _clean_tags(meeting.region_id, tags)
    # The database checks the same rules; clean() says them beside their fields.
    meeting.full_clean(validate_constraints=False)
    return checked


def check_meeting_change(*, actor: User, meeting: Meeting | None = None,
                         region: Region | None = None, tags: Iterable[Tag] | None = None,
                         **fields) -> None:
    """Whether create_meeting (meeting None) or update_meeting would take these fields,
    without writing: the same permission check and rules, refused the same way. For a form
    that must know before it saves (the admin's); the write checks again, under the lock."""
    if meeting is None:
        _changed(_draft(actor=actor, region=region), fields, tags)
    else:
        permissions.require_manage(actor, meeting)
        _changed(Meeting.objects.get(pk=meeting.pk), fields, tags)


@transaction.atomic
def create_meeting(*, actor: User, region: Region | None = None, tags: Iterable[Tag] = (),
                   **fields) -> Meeting:
    """A draft; publish_meeting makes it visible to its audience."""
    meeting = _draft(actor=actor, region=region)
    tags = _changed(meeting, fields, tags)
    meeting.save()
    meeting.tags.set(tags)
    return meeting


@transaction.atomic
def update_meeting(*, actor: User, meeting: Meeting, tags: Iterable[Tag] | None = None,
                   **fields) -> Meeting:
    permissions.require_manage(actor, meeting)
    meeting = _locked_meeting(meeting.pk)
    before = {name: getattr(meeting, name) for name in (*TIME_AND_PLACE, "capacity")}
    tags = _changed(meeting, fields, tags)
    changed = [name for name in TIME_AND_PLACE if getattr(meeting, name) != before[name]]
    if changed:
        meeting.sequence += 1
    update_fields = {*fields, "updated_at", "sequence"}
    if "description" in fields:
        update_fields.add("description_html")
    meeting.save(update_fields=sorted(update_fields))
    if tags is not None:
        meeting.tags.set(tags)
    if changed and meeting.status == Meeting.Status.PUBLISHED:
        _send_on_commit(signals.meeting_changed, meeting=meeting, changed=changed)
    if before["capacity"] is not None and (
            meeting.capacity is None or meeting.capacity > before["capacity"]):
        _fill_places(meeting)
    return meeting


@transaction.atomic
def publish_meeting(*, actor: User, meeting: Meeting) -> Meeting:
    permissions.require_manage(actor, meeting)
    meeting = _locked_meeting(meeting.pk)
    if meeting.status != Meeting.Status.DRAFT:
        raise ValidationError(_("Only a draft can be published."))
    meeting.status = Meeting.Status.PUBLISHED
    meeting.full_clean(validate_constraints=False)  # a place is needed from now on
    meeting.save(update_fields=["status", "updated_at"])
    _send_on_commit(signals.meeting_published, meeting=meeting)
    return meeting


def _clean_reason(reason: str, *, required: bool) -> str:
    reason = (reason or "").replace("\x00", "").strip()
    if required and not reason:
        raise ValidationError({"reason": _("Give a reason: the people concerned are told.")})
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationError({"reason": _("At most %(n)d characters, please.")
                               % {"n": MAX_REASON_LENGTH}})
    return reason


@transaction.atomic
def cancel_meeting(*, actor: User, meeting: Meeting, reason: str = "") -> Meeting:
    """Registrations stay as they are: they say whom to tell."""
    permissions.require_manage(actor, meeting)
    meeting = _locked_meeting(meeting.pk)
    if meeting.status == Meeting.Status.CANCELLED:
        return meeting
    was_published = meeting.status == Meeting.Status.PUBLISHED
    if was_published and meeting.is_past():
        raise ValidationError(_("A meeting that has taken place cannot be cancelled."))
    meeting.cancelled_reason = _clean_reason(reason, required=was_published)
    meeting.status = Meeting.Status.CANCELLED
    meeting.sequence += 1
    meeting.save(update_fields=["status", "cancelled_reason", "sequence", "updated_at"])
    if was_published:
        _send_on_commit(signals.meeting_cancelled, meeting=meeting,
                        reason=meeting.cancelled_reason)
    return meeting


@transaction.atomic
def invite(*, actor: User, meeting: Meeting, user: User) -> Invitation:
    permissions.require_manage(actor, meeting)
    invitation, _created = Invitation.objects.get_or_create(
        meeting=meeting, user=user, defaults={"invited_by": actor})
    return invitation


@transaction.atomic
def add_speaker(*, actor: User, meeting: Meeting, name: str, organisation: str = "",
                government_layer: str = "", user: User | None = None) -> Speaker:
    permissions.require_manage(actor, meeting)
    speaker = Speaker(meeting=meeting, name=name.strip(), organisation=organisation.strip(),
                      government_layer=government_layer, user=user)
    speaker.full_clean(exclude={"meeting"})
    speaker.save()
    return speaker


@transaction.atomic
def add_programme_item(*, actor: User, meeting: Meeting, title: str, starts_at: datetime,
                       ends_at: datetime, description: str = "", room: str = "",
                       is_session: bool = False, capacity: int | None = None,
                       speakers: Iterable[Speaker] = ()) -> ProgrammeItem:
    permissions.require_manage(actor, meeting)
    meeting = _locked_meeting(meeting.pk)  # session places change only under this lock
    errors = {}
    if ends_at <= starts_at:
        errors["ends_at"] = _("This part must end after it starts.")
    elif starts_at < meeting.starts_at or ends_at > meeting.ends_at:
        errors["starts_at"] = _("The programme must lie within the meeting's times.")
    if capacity is not None and not is_session:
        errors["capacity"] = _("Only a parallel session has places of its own.")
    speakers = list(speakers)
    if any(speaker.meeting_id != meeting.pk for speaker in speakers):
        errors["speakers"] = _("Choose this meeting's speakers.")
    if errors:
        raise ValidationError(errors)
    description, description_html = _clean_markdown(description, field="description")
    item = ProgrammeItem(meeting=meeting, title=title.strip(), starts_at=starts_at,
                         ends_at=ends_at, description=description,
                         description_html=description_html, room=room.strip(),
                         is_session=is_session, capacity=capacity)
    item.full_clean(exclude={"meeting"}, validate_constraints=False)
    item.save()
    item.speakers.set(speakers)
    return item


@transaction.atomic
def add_question(*, actor: User, meeting: Meeting, label: str, kind: str = Question.Kind.TEXT,
                 required: bool = False, choices: Iterable[str] = ()) -> Question:
    permissions.require_manage(actor, meeting)
    choices = [choice.strip() for choice in choices if choice.strip()]
    with_choices = kind in (Question.Kind.CHOICE, Question.Kind.MULTIPLE)
    if with_choices and len(set(choices)) < 2:
        raise ValidationError({"choices": _("Give at least two different choices.")})
    last = meeting.questions.aggregate(last=Max("position"))["last"]
    question = Question(meeting=meeting, label=label.strip(), kind=kind, required=required,
                        choices=choices if with_choices else [],
                        position=0 if last is None else last + 1)
    question.full_clean(exclude={"meeting"})
    question.save()
    return question


# --- Registering ----------------------------------------------------------------------------

def registration_closed_because(meeting: Meeting, now: datetime | None = None) -> str | None:
    """Why registration is not open at this moment, in the user's language; None: it is."""
    now = now or timezone.now()
    if meeting.status == Meeting.Status.CANCELLED:
        return _("This meeting has been cancelled.")
    if meeting.has_started(now):
        return _("This meeting has started: registration is closed.")
    closes, opens = meeting.registration_closes_at, meeting.registration_opens_at
    if closes and now >= closes:
        return _("Registration for this meeting closed on %(when)s.") % {"when": _when(closes)}
    if opens and now < opens:
        return _("Registration for this meeting opens on %(when)s.") % {"when": _when(opens)}
    return None


def _clean_answer(question: Question, value) -> object:
    """The answer as stored, or None for no answer."""
    kind = question.kind
    if kind == Question.Kind.YES_NO:
        if value in (None, ""):
            return None
        if not isinstance(value, bool):
            raise ValidationError(_("Answer yes or no."))
        return value
    if kind == Question.Kind.MULTIPLE:
        chosen = [value] if isinstance(value, str) else list(value or [])
        if any(choice not in question.choices for choice in chosen):
            raise ValidationError(_("Choose from the options given."))
        return [choice for choice in question.choices if choice in chosen] or None
    text = (value or "").replace("\x00", "").strip() if isinstance(value, str) else ""
    if kind == Question.Kind.CHOICE and text and text not in question.choices:
        raise ValidationError(_("Choose one of the options given."))
    if len(text) > MAX_ANSWER_LENGTH:
        raise ValidationError(_("At most %(n)d characters, please.") % {"n": MAX_ANSWER_LENGTH})
    return text or None


def _clean_answers(meeting: Meeting, answers: dict) -> list[Answer]:
    """answers: {question pk: value}. Errors are keyed by each question's field_name."""
    cleaned, errors = [], {}
    for question in meeting.questions.all():
        try:
            value = _clean_answer(question, answers.get(question.pk))
            if value is None and question.required:
                raise ValidationError(_("Please answer this question."))
        except ValidationError as error:
            errors[question.field_name] = error.messages
            continue
        if value is not None:
            cleaned.append(Answer(question=question, value=value))
    if errors:
        raise ValidationError(errors)
    return cleaned


def _sessions_with_places(sessions: Iterable[ProgrammeItem]):
    return ProgrammeItem.objects.filter(pk__in=[s.pk for s in sessions]).annotate(
        places_taken=Count("registrations",
                           filter=Q(registrations__status__in=HOLDS_PLACE)))


def _full(sessions: Iterable[ProgrammeItem]) -> list[ProgrammeItem]:
    """The sessions among these with no place left; the caller holds the meeting's lock."""
    limited = [session for session in sessions if session.capacity is not None]
    if not limited:
        return []
    return [session for session in _sessions_with_places(limited)
            if session.places_left == 0]


def _clean_sessions(meeting: Meeting, sessions: Iterable) -> list[ProgrammeItem]:
    wanted = {getattr(session, "pk", session) for session in sessions}
    if not wanted:
        return []
    chosen = list(meeting.programme.filter(is_session=True, pk__in=wanted))
    if len(chosen) != len(wanted):
        raise ValidationError({"sessions": _("Choose from this meeting's sessions.")})
    for index, first in enumerate(chosen):
        for second in chosen[index + 1:]:
            if first.overlaps(second):
                raise ValidationError({"sessions": _(
                    "“%(first)s” and “%(second)s” take place at the same time: choose one.")
                    % {"first": first.title, "second": second.title}})
    return chosen


def _profile_field(user: User, name: str) -> str:
    profile = getattr(user, "profile", None)
    return getattr(profile, name, "") if profile else ""


@transaction.atomic
def register(*, actor: User, meeting: Meeting, answers: dict | None = None,
             sessions: Iterable = (), consent_participant_list: bool = False,
             organisation: str | None = None,
             government_layer: str | None = None) -> Registration:
    """A place if one is free and nobody waits for it, else a place on the waiting list.
    Idempotent: an active registration of the actor's (a double click, a second tab) is
    returned as it is. Organisation and layer default to the actor's profile."""
    if not permissions.can_register(actor, meeting):
        raise PermissionDenied(_("You cannot register for this meeting."))
    now = timezone.now()
    meeting = _locked_meeting(meeting.pk)
    existing = Registration.objects.filter(meeting=meeting, user=actor,
                                           status__in=ACTIVE_STATUSES).first()
    if existing is not None:
        return existing
    closed = registration_closed_because(meeting, now)
    if closed:
        raise ValidationError(closed)
    counts = _counts(meeting)
    has_room = meeting.capacity is None or counts["taken"] < meeting.capacity
    if not has_room and not meeting.has_waiting_list:
        raise ValidationError(_("This meeting is full."))
    cleaned_answers = _clean_answers(meeting, answers or {})
    chosen = _clean_sessions(meeting, sessions)
    layer = _profile_field(actor, "government_layer") if government_layer is None \
        else government_layer
    if layer and layer not in GovernmentLayer.values:
        raise ValidationError({"government_layer": _("Choose a government layer.")})
    organisation = (_profile_field(actor, "organisation") if organisation is None
                    else organisation.replace("\x00", "").strip())
    if len(organisation) > MAX_ORGANISATION_LENGTH:
        raise ValidationError({"organisation": _("At most %(n)d characters, please.")
                               % {"n": MAX_ORGANISATION_LENGTH}})
    status = CONFIRMED if has_room and not counts["waiting"] else WAITING
    if status == CONFIRMED:
        full = _full(chosen)
        if full:
            raise ValidationError({"sessions": ngettext(
                "“%(titles)s” is full: choose another session.",
                "“%(titles)s” are full: choose other sessions.", len(full))
                % {"titles": "”, “".join(session.title for session in full)}})
    registration = Registration.objects.create(
        meeting=meeting, user=actor, status=status,
        position=(counts["last_position"] or 0) + 1,
        organisation=organisation,
        government_layer=layer, consent_participant_list=consent_participant_list,
        confirmed_at=now if status == CONFIRMED else None)
    registration.sessions.set(chosen)
    for answer in cleaned_answers:
        answer.registration = registration
    Answer.objects.bulk_create(cleaned_answers)
    if status == CONFIRMED:
        _send_on_commit(signals.registration_confirmed, registration=registration)
    return registration


def _cancel(registration: Registration, *, how: str, by: User | None, reason: str = "",
            now: datetime) -> None:
    registration.status = CANCELLED
    registration.cancellation = how
    registration.cancelled_by = by
    registration.cancelled_reason = reason
    registration.cancelled_at = now
    registration.save(update_fields=["status", "cancellation", "cancelled_by",
                                     "cancelled_reason", "cancelled_at"])


def _drop_full_sessions(registration: Registration) -> list[ProgrammeItem]:
    """A waiting person's chosen sessions that filled up while they waited: they get the
    meeting's place without those."""
    full = _full(registration.sessions.all())
    if full:
        registration.sessions.remove(*full)
    return full


def _fill_places(meeting: Meeting, now: datetime | None = None) -> list[Registration]:
    """Free places go to the waiting list in arrival order: taken at once (automatic) or
    offered until a deadline (offer). The caller holds the meeting's lock."""
    now = now or timezone.now()
    if meeting.status != Meeting.Status.PUBLISHED or meeting.has_started(now):
        return []
    counts = _counts(meeting)
    if not counts["waiting"]:
        return []
    queue = Registration.objects.filter(meeting=meeting, status=WAITING).order_by("position")
    if meeting.capacity is not None:
        free = meeting.capacity - counts["taken"]
        if free <= 0:
            return []
        queue = queue[:free]
    moved = list(queue)
    for registration in moved:
        dropped = _drop_full_sessions(registration)
        if meeting.waiting_list_mode == Meeting.WaitingListMode.AUTOMATIC:
            registration.status, registration.confirmed_at = CONFIRMED, now
            registration.save(update_fields=["status", "confirmed_at"])
            _send_on_commit(signals.moved_off_waiting_list, registration=registration,
                            dropped_sessions=dropped)
        else:
            registration.status = OFFERED
            registration.offered_until = now + timedelta(hours=meeting.offer_hours)
            registration.save(update_fields=["status", "offered_until"])
            _send_on_commit(signals.place_offered, registration=registration)
    return moved


def _own(actor: User, registration: Registration) -> None:
    if not actor.is_authenticated or registration.user_id != actor.pk:
        raise PermissionDenied


@transaction.atomic
def cancel_registration(*, actor: User, registration: Registration) -> Registration:
    """Your own, until the meeting starts (a waiting place or an offer too). Idempotent."""
    _own(actor, registration)
    now = timezone.now()
    meeting = _locked_meeting(registration.meeting_id)
    registration = Registration.objects.get(pk=registration.pk)
    if not registration.is_active:
        return registration
    if meeting.has_started(now):
        raise ValidationError(_("The meeting has started: you can no longer cancel."))
    held_place = registration.status in HOLDS_PLACE
    _cancel(registration, how=Registration.Cancellation.SELF, by=actor, now=now)
    if held_place:
        _fill_places(meeting, now)
    return registration


@transaction.atomic
def cancel_registration_for(*, actor: User, registration: Registration,
                            reason: str) -> Registration:
    """An organiser cancels someone's registration, with a reason they are told."""
    permissions.require_manage(actor, registration.meeting)
    reason = _clean_reason(reason, required=True)
    now = timezone.now()
    meeting = _locked_meeting(registration.meeting_id)
    registration = Registration.objects.get(pk=registration.pk)
    if not registration.is_active:
        return registration
    held_place = registration.status in HOLDS_PLACE
    _cancel(registration, how=Registration.Cancellation.ORGANISER, by=actor, reason=reason,
            now=now)
    _send_on_commit(signals.registration_cancelled_by_organiser, registration=registration,
                    actor=actor)
    if held_place:
        _fill_places(meeting, now)
    return registration


@transaction.atomic
def accept_offer(*, actor: User, registration: Registration) -> Registration:
    _own(actor, registration)
    now = timezone.now()
    _locked_meeting(registration.meeting_id)
    registration = Registration.objects.get(pk=registration.pk)
    if registration.status == CONFIRMED:
        return registration
    if registration.status != OFFERED:
        raise ValidationError(_("No place is offered to you."))
    if registration.offered_until <= now:
        raise ValidationError(_("The offer ran out on %(when)s.")
                              % {"when": _when(registration.offered_until)})
    registration.status, registration.confirmed_at = CONFIRMED, now
    registration.save(update_fields=["status", "confirmed_at"])
    _send_on_commit(signals.registration_confirmed, registration=registration)
    return registration


def expire_offers(*, now: datetime | None = None) -> int:
    """Offers not accepted in time end, and their places go to the next on the waiting list.
    For the task worker or a scheduled command; idempotent. Returns the offers ended."""
    now = now or timezone.now()
    meeting_ids = set(Registration.objects.filter(status=OFFERED, offered_until__lte=now)
                      .values_list("meeting_id", flat=True))
    ended = 0
    for meeting_id in sorted(meeting_ids):
        with transaction.atomic():
            meeting = _locked_meeting(meeting_id)
            stale = list(Registration.objects.filter(meeting=meeting, status=OFFERED,
                                                     offered_until__lte=now))
            for registration in stale:
                _cancel(registration, how=Registration.Cancellation.OFFER_EXPIRED, by=None,
                        now=now)
            ended += len(stale)
            _fill_places(meeting, now)
    return ended


# --- Calendar feeds -------------------------------------------------------------------------

@transaction.atomic
def renew_feed_token(*, actor: User) -> CalendarFeedToken:
    """A new secret for the actor's personal calendar feed; the old address stops working."""
    if not actor.is_authenticated:
        raise PermissionDenied
    token = secrets.token_urlsafe(32)
    feed_token, _created = CalendarFeedToken.objects.update_or_create(
        user=actor, defaults={"token": token, "digest": selectors.token_digest(token),
                              "created_at": timezone.now()})
    return feed_token
