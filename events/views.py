from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.forms import add_service_errors
from forums import permissions as forum_permissions
from forums.models import Tag
from regions import selectors as region_selectors

from . import calendar, permissions, selectors, services
from .forms import MeetingFilterForm, RegistrationForm
from .models import Meeting, Registration

MEETINGS_PER_PAGE = 20


def overview(request, past: bool = False):
    filters = MeetingFilterForm(request.GET)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    regions = list(region_selectors.list_regions(viewer=request.user))
    region = next((r for r in regions if r.slug == chosen.get("region")), None)
    meetings = selectors.list_meetings(
        viewer=request.user, past=past, region_id=region.pk if region else None,
        kind=chosen.get("kind", ""), tag_slug=chosen.get("tag", ""))
    page = Paginator(meetings, MEETINGS_PER_PAGE).get_page(request.GET.get("page"))
    tags = forum_permissions.visible_tags(request.user, Tag.objects.filter(
        pk__in=Meeting.tags.through.objects.values("tag_id")))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "events/overview.html", {
        "meetings": page.object_list, "page": page, "past": past,
        "regions": regions, "kinds": Meeting.Kind.choices, "tags": tags,
        "chosen": chosen, "query_prefix": query.urlencode(),
        "public_feed": calendar.subscription_urls(reverse("events:public_feed")),
        "personal_feed": _personal_feed_urls(request.user),
    })


def _personal_feed_urls(user) -> dict[str, str] | None:
    feed_token = selectors.get_feed_token(user=user)
    if feed_token is None:
        return None
    return calendar.subscription_urls(
        reverse("events:personal_feed", kwargs={"token": feed_token.token}))


def _meeting_page(request, meeting: Meeting, *, form=None, status: int = 200):
    user = request.user
    registration = selectors.get_own_registration(viewer=user, meeting=meeting)
    can_register = registration is None and permissions.can_register(user, meeting)
    if can_register and form is None:
        form = RegistrationForm(meeting=meeting, user=user)
    return render(request, "events/meeting.html", {
        "meeting": meeting,
        "registration": registration,
        "waiting_position": registration and selectors.waiting_list_position(
            registration=registration),
        "can_register": can_register,
        "closed_because": can_register and services.registration_closed_because(meeting),
        "form": form,
        "can_view_online_link": permissions.can_view_online_link(user, meeting),
        "participants": (selectors.list_participants(meeting=meeting)
                         if permissions.can_view_participants(user, meeting) else None),
        "can_manage": permissions.can_manage(user, meeting),
    }, status=status)


def meeting_detail(request, meeting_id: int):
    meeting = selectors.get_meeting_page(viewer=request.user, meeting_id=meeting_id)
    return _meeting_page(request, meeting)


_REGISTERED = {
    Registration.Status.CONFIRMED: gettext_lazy("You are registered. See you there!"),
    Registration.Status.WAITING: gettext_lazy(
        "The meeting is full: you are on the waiting list."),
}


@require_POST
def register(request, meeting_id: int):
    meeting = selectors.get_meeting_page(viewer=request.user, meeting_id=meeting_id)
    if not request.user.is_authenticated:
        return redirect_to_login(meeting.get_absolute_url())
    if selectors.get_own_registration(viewer=request.user, meeting=meeting) is not None:
        messages.info(request, _("You had already registered for this meeting."))
        return redirect(meeting)
    if not permissions.can_register(request.user, meeting):
        raise PermissionDenied(_("You cannot register for this meeting."))
    form = RegistrationForm(request.POST, meeting=meeting, user=request.user)
    if form.is_valid():
        try:
            registration = services.register(actor=request.user, meeting=meeting,
                                             **form.service_arguments())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, str(_REGISTERED[registration.status]))
            return redirect(meeting)
    return _meeting_page(request, meeting, form=form, status=400)


def _act_on_own_registration(request, meeting_id: int, service, done: str):
    """Cancel or accept: the viewer's own registration (none to guess at), the service, and
    its refusal or `done` as the message on the meeting page."""
    meeting = selectors.get_meeting(viewer=request.user, meeting_id=meeting_id)
    registration = selectors.get_own_registration(viewer=request.user, meeting=meeting)
    if registration is None:
        messages.info(request, _("You have no registration for this meeting."))
        return redirect(meeting)
    try:
        service(actor=request.user, registration=registration)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect(meeting)


@login_required
@require_POST
def cancel(request, meeting_id: int):
    return _act_on_own_registration(request, meeting_id, services.cancel_registration,
                                    _("Your registration has been cancelled."))


@login_required
@require_POST
def accept_offer(request, meeting_id: int):
    return _act_on_own_registration(request, meeting_id, services.accept_offer,
                                    _("The place is yours. See you there!"))


# --- Calendar -------------------------------------------------------------------------------

def _ics(content: bytes, filename: str, *, private: bool = False) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    if private:  # a personal feed or a file with the online link: no shared cache keeps it
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex"
    return response


def meeting_ics(request, meeting_id: int):
    meeting = selectors.get_meeting(viewer=request.user, meeting_id=meeting_id)
    return _ics(calendar.meeting_file(meeting, viewer=request.user),
                f"bijeenkomst-{meeting.pk}.ics", private=request.user.is_authenticated)


def public_feed(request):
    return _ics(calendar.feed(selectors.list_public_feed(), name=_("Werkplaats meetings")),
                "werkplaats-agenda.ics")


def personal_feed(request, token: str):
    owner = selectors.get_feed_owner(token=token)
    if owner is None:
        raise Http404
    meetings, with_link = selectors.list_personal_feed(user=owner)
    return _ics(calendar.feed(meetings, online_link_ids=with_link,
                              name=_("My Werkplaats meetings")),
                "mijn-werkplaats-agenda.ics", private=True)


@login_required
@require_POST
def renew_feed_token(request):
    services.renew_feed_token(actor=request.user)
    messages.success(request, _("Your calendar subscription has a new address. "
                                "The old address no longer works."))
    return redirect("events:overview")
