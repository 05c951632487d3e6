from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.forms import add_service_errors
from regions.models import Region

from . import present, selectors, services, tokens
from .forms import PreferencesForm
from .kinds import Kind
from .models import Preference, RegionMute

PER_PAGE = 30


def _items(notifications):
    return [{"notification": n, "text": present.describe(n)} for n in notifications]


@login_required
def inbox(request):
    show = request.GET.get("show", "all")
    show = show if show in ("all", "unread") else "all"
    kind = request.GET.get("kind") if request.GET.get("kind") in Kind.values else ""
    notifications = selectors.inbox(request.user)
    if show == "unread":
        notifications = notifications.filter(read_at__isnull=True)
    if kind:
        notifications = notifications.filter(kind=kind)
    page = Paginator(notifications, PER_PAGE).get_page(request.GET.get("page"))
    filters = QueryDict(mutable=True)
    filters.update({k: v for k, v in (("show", show), ("kind", kind)) if v and v != "all"})
    return render(request, "notifications/inbox.html", {
        "page": page, "items": _items(n for n in page.object_list
                                      if selectors.can_show(request.user, n)),
        "show": show, "kind": kind, "kinds": Kind.choices, "query_prefix": filters.urlencode(),
        "unread": selectors.unread_count(request.user),
    })


@login_required
def menu(request):
    """The bell's dropdown, fetched when it opens and when the bell rings."""
    return render(request, "notifications/_menu.html", {
        "items": _items(selectors.latest(request.user)),
        "unread": selectors.unread_count(request.user),
    })


@login_required
def open_notification(request, pk: int):
    notification = selectors.get_own_notification(viewer=request.user, pk=pk)
    services.mark_read(user=request.user, notification=notification)
    if not selectors.can_show(request.user, notification):
        messages.info(request, _("What this notification was about is no longer available "
                                 "to you."))
        return redirect("notifications:inbox")
    if notification.post_id:
        return redirect(notification.post.get_absolute_url())
    if notification.thread_id:
        return redirect(notification.thread.get_absolute_url())
    if notification.kind == Kind.MEMBERSHIP_REQUEST and notification.region:
        return redirect("regions:manage", slug=notification.region.slug)
    if notification.region:
        return redirect(notification.region.get_absolute_url())
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_read(request, pk: int):
    notification = selectors.get_own_notification(viewer=request.user, pk=pk)
    services.mark_read(user=request.user, notification=notification)
    return redirect(_back(request))


@login_required
@require_POST
def mark_all_read(request):
    count = services.mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return redirect(_back(request))


def _back(request) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return "notifications:inbox"


@login_required
def preferences(request):
    user = request.user
    current = dict(Preference.objects.filter(user=user).values_list("kind", "delivery"))
    regions = Region.objects.filter(memberships__user=user).order_by("name").distinct()
    muted = set(RegionMute.objects.filter(user=user).values_list("region_id", flat=True))
    form = PreferencesForm(request.POST or None, current=current, regions=regions, muted=muted)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_preferences(user=user, deliveries=form.deliveries(),
                                     muted_region_ids=form.muted_region_ids())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form},
                  status=400 if form.errors else 200)


@csrf_exempt  # RFC 8058 one-click: the mail client POSTs without a session; the token is the proof
def unsubscribe(request, token: str):
    found = tokens.read(token)
    user = get_user_model().objects.filter(pk=found[0], is_active=True).first() if found else None
    kind = found[1] if found else ""
    if user is None or (kind != "digest" and kind not in Kind.values):
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=400)
    label = _("the daily digest") if kind == "digest" else Kind(kind).label
    if request.method == "POST":
        services.unsubscribe(user=user, kind=kind)
        return render(request, "notifications/unsubscribe.html", {"done": True, "label": label})
    # A GET changes nothing: mail scanners open links too.
    return render(request, "notifications/unsubscribe.html", {"label": label, "token": token})
