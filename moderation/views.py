import csv
import functools
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.models import User
from core.forms import add_service_errors
from forums import permissions as forum_permissions
from forums import selectors as forum_selectors
from regions import selectors as region_selectors
from regions.models import Region

from . import approvals, people, permissions, posts, selectors
from .forms import (
    AuditFilterForm,
    FlagForm,
    ModeratorEditForm,
    ReasonForm,
    SettingsForm,
    SuspendForm,
    WarnForm,
)
from .region_settings import settings_for, update_settings

AUDIT_PER_PAGE = 50


def _error_message(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


# --- Review queue --------------------------------------------------------------------------

@login_required
def queue(request, slug: str | None = None):
    region = region_selectors.get_region(viewer=request.user, slug=slug) if slug else None
    permissions.require_moderator_mfa(request.user)
    if region is None and not permissions.can_moderate_everywhere(request.user):
        # The combined queue is for staff; a region moderator lands on their own region's.
        first = selectors.first_moderated_region(viewer=request.user)
        if first is not None:
            return redirect("moderation:region_queue", slug=first.slug)
    permissions.require_moderate(request.user, region)
    region_ids = None if region is None else {region.pk}
    return render(request, "moderation/queue.html", {
        "region": region,
        "waiting": selectors.list_waiting_posts(region_ids=region_ids),
        "flagged": selectors.list_flagged_posts(region_ids=region_ids),
        "requests": selectors.list_pending_requests(region_ids=region_ids),
        "suspensions": selectors.list_active_suspensions(region_ids=region_ids),
        "live_url": f"/ws/moderation/{region.pk}/" if region else "/ws/moderation/",
        "reason_form": ReasonForm(),
        "regions": selectors.list_moderated_regions(viewer=request.user),
    })


# --- One post ------------------------------------------------------------------------------

def post_detail(request, post_id: int):
    """A post as moderation sees it. Moderators: the text (hidden or not), its flags and every
    action. The author of a hidden post: why. Anyone else: only that it is hidden."""
    post = forum_selectors.get_post(viewer=request.user, post_id=post_id)
    user = request.user
    is_moderator = permissions.moderates_post(user, post)
    if not is_moderator and not post.is_hidden:
        return redirect(post)
    return render(request, "moderation/post.html", {
        "post": post, "thread": post.thread, "is_moderator": is_moderator,
        "is_author": user.is_authenticated and post.author_id == user.pk,
        "show_text": permissions.can_view_hidden(user, post) or not post.is_hidden,
        "flags": selectors.list_flags(post=post) if is_moderator else [],
        "reason_form": ReasonForm(),
        "can_suspend": is_moderator and permissions.can_suspend(
            user, post.author, post.thread.forum.region, indefinite=False),
    })


@login_required
def flag_post(request, post_id: int):
    post = forum_selectors.get_post(viewer=request.user, post_id=post_id)
    if not permissions.can_flag(request.user, post):
        raise PermissionDenied(_("You cannot flag this post."))
    form = FlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            posts.flag_post(actor=request.user, post=post, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error.messages[0] if error.messages else error)
        else:
            messages.success(request, _("Thank you. The moderators will look at this post."))
            return redirect(post)
    return render(request, "moderation/flag.html", {"post": post, "form": form},
                  status=400 if form.is_bound and form.errors else 200)


POST_ACTIONS = {
    "hide": (posts.hide_post, gettext_lazy("The post is hidden.")),
    "restore": (posts.restore_post, gettext_lazy("The post is visible again.")),
    "delete": (posts.delete_post, gettext_lazy("The post has been deleted.")),
    "dismiss": (posts.dismiss_flags, gettext_lazy("The flags have been dismissed.")),
}


@login_required
@require_POST
def post_action(request, post_id: int):
    post = forum_selectors.get_post(viewer=request.user, post_id=post_id)
    permissions.require_moderate_post(request.user, post)
    if post.is_pending:
        messages.error(request, _("This post is waiting for approval: approve or decline it in "
                                  "the review queue."))
    else:
        _apply(request, post, POST_ACTIONS)
    return redirect(_next_url(request, reverse("moderation:post", args=[post.pk])))


def _apply(request, post, actions: dict) -> None:
    """Run the chosen action with the reason given; its outcome becomes a message."""
    action = actions.get(request.POST.get("action", ""))
    form = ReasonForm(request.POST)
    if action is None:
        messages.error(request, _("Unknown action."))
    elif not form.is_valid():
        messages.error(request, _("A reason has at most 1000 characters."))
    else:
        service, done = action
        try:
            service(actor=request.user, post=post, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            _error_message(request, error)
        else:
            messages.success(request, done)


WAITING_ACTIONS = {
    "approve": (approvals.approve_post, gettext_lazy("The post has been approved and published.")),
    "decline": (approvals.decline_post,
                gettext_lazy("The post has been declined; its author reads your reason.")),
}


@login_required
@require_POST
def waiting_action(request, post_id: int):
    """Approve or decline a post waiting for approval (the review queue's first section)."""
    post = forum_selectors.get_post(viewer=request.user, post_id=post_id)
    permissions.require_moderate_post(request.user, post)
    _apply(request, post, WAITING_ACTIONS)
    region = post.thread.forum.region
    default = reverse("moderation:region_queue", args=[region.slug]) if region \
        else reverse("moderation:queue")
    return redirect(_next_url(request, default))


@login_required
def withdraw_post(request, post_id: int):
    """The author takes back their post waiting for approval. GET: a confirmation (works
    without JavaScript); POST: withdraw. Anyone else's waiting post is not there (404), for
    the moderators too: they decline it instead."""
    post = forum_selectors.get_post(viewer=request.user, post_id=post_id)
    if not forum_permissions.can_withdraw_post(request.user, post):
        if request.method == "POST" and post.author_id == request.user.pk:
            # Their own post, approved or declined while the confirmation was open.
            messages.error(request, _("This post is no longer waiting for approval."))
            return redirect(post)
        raise Http404
    thread = post.thread
    if request.method != "POST":
        return render(request, "moderation/withdraw.html", {
            "post": post, "thread": thread, "whole_thread": thread.is_pending})
    try:
        thread_went = approvals.withdraw_post(actor=request.user, post=post)
    except ValidationError as error:  # approved or declined a moment ago
        _error_message(request, error)
        return redirect(thread)
    if thread_went:
        messages.success(request, _("Your thread has been withdrawn."))
        return redirect(thread.forum)
    messages.success(request, _("Your post has been withdrawn."))
    return redirect(thread)


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


@login_required
def edit_post(request, post_id: int):
    post = forum_selectors.get_post(viewer=request.user, post_id=post_id)
    permissions.require_moderate_post(request.user, post)
    form = ModeratorEditForm(request.POST or None,
                             initial={"body": post.body, "note": post.moderator_note})
    if request.method == "POST" and form.is_valid():
        try:
            posts.edit_post(actor=request.user, post=post, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The post has been edited with your note."))
            return redirect("moderation:post", post_id=post.pk)
    return render(request, "moderation/edit_post.html", {"post": post, "form": form})


# --- People --------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Standing:
    """Whose standing the member page shows, and where the moderator may act on it."""
    target: User
    regions: list[Region]  # those the moderator moderates (staff: every active one)
    staff: bool

    def region(self, slug: str) -> Region | None:
        return next((r for r in self.regions if r.slug == slug), None)


def _standing(request, username: str) -> _Standing:
    target = selectors.get_member(username=username)
    regions = selectors.list_moderated_regions(viewer=request.user)
    permissions.require_moderate_anywhere(request.user, regions)
    return _Standing(target=target, regions=regions,
                     staff=permissions.can_moderate_everywhere(request.user))


def _member_page(request, standing: _Standing, *, suspend_form=None, warn_form=None,
                 status: int = 200):
    target, regions = standing.target, standing.regions
    region_ids = permissions.moderated_region_ids(request.user)
    return render(request, "moderation/member.html", {
        "target": target,
        "suspensions": selectors.list_suspensions(user=target, region_ids=region_ids),
        "warnings": selectors.list_warnings(user=target, region_ids=region_ids),
        "suspend_form": suspend_form or SuspendForm(
            regions=regions, allow_site_wide=standing.staff, prefix="suspend",
            initial={"region": request.GET.get("region", "")}),
        "warn_form": warn_form or WarnForm(prefix="warn"),
        "regions": regions, "staff": standing.staff, "now": timezone.now(),
        "vouched_region_ids": selectors.vouched_region_ids(user=target, regions=regions),
    }, status=status)


def _back_to_member(standing: _Standing):
    return redirect("moderation:member", username=standing.target.username)


def _suspend(request, standing: _Standing):
    form = SuspendForm(request.POST, regions=standing.regions, allow_site_wide=standing.staff,
                       prefix="suspend")
    if form.is_valid():
        data = form.cleaned_data
        try:
            people.suspend(actor=request.user, user=standing.target,
                           region=standing.region(data["region"]), reason=data["reason"],
                           ends_at=data["until"])
        except ValidationError as error:
            _error_message(request, error)
        else:
            messages.success(request, _("%(name)s is suspended.")
                             % {"name": standing.target.display_name})
            return _back_to_member(standing)
    return _member_page(request, standing, suspend_form=form, status=400)


def _warn(request, standing: _Standing):
    form = WarnForm(request.POST, prefix="warn")
    region = standing.region(request.POST.get("warn-region", ""))
    if region is None and not standing.staff:
        messages.error(request, _("Choose one of your regions."))
    elif form.is_valid():
        people.warn(actor=request.user, user=standing.target, region=region,
                    message=form.cleaned_data["message"])
        messages.success(request, _("Your message has been sent to %(name)s.")
                         % {"name": standing.target.display_name})
        return _back_to_member(standing)
    return _member_page(request, standing, warn_form=form, status=400)


def _vouch(request, standing: _Standing, *, withdraw: bool):
    """Vouch for the member (their posts in the region no longer wait for approval), or
    withdraw it."""
    region = standing.region(request.POST.get("vouch-region", ""))
    if region is None:
        messages.error(request, _("Choose one of your regions."))
        return _member_page(request, standing, status=400)
    service = approvals.withdraw_vouch if withdraw else approvals.vouch
    try:
        service(actor=request.user, user=standing.target, region=region)
    except ValidationError as error:
        _error_message(request, error)
        return _member_page(request, standing, status=400)
    names = {"name": standing.target.display_name, "region": region.name}
    if withdraw:
        messages.success(request, _("Your vouch for %(name)s in %(region)s is withdrawn.")
                         % names)
    else:
        messages.success(request, _("You vouched for %(name)s in %(region)s: their posts there "
                                    "no longer wait for approval.") % names)
    return _back_to_member(standing)


MEMBER_ACTIONS = {"suspend": _suspend, "warn": _warn,
                  "vouch": functools.partial(_vouch, withdraw=False),
                  "unvouch": functools.partial(_vouch, withdraw=True)}


@login_required
def member(request, username: str):
    """A member's standing for moderators: suspensions and warnings. Each of the page's forms
    posts its `action` here (suspend, warn, vouch, unvouch); a refused or invalid one shows
    the page again, with 400."""
    standing = _standing(request, username)
    if request.method != "POST":
        return _member_page(request, standing)
    action = MEMBER_ACTIONS.get(request.POST.get("action"))
    if action is None:
        messages.error(request, _("Unknown action."))
        return _member_page(request, standing, status=400)
    return action(request, standing)


@login_required
@require_POST
def lift_suspension(request, suspension_id: int):
    suspension = selectors.get_suspension(suspension_id=suspension_id)
    if not permissions.can_lift(request.user, suspension):
        permissions.require_moderator_mfa(request.user)
    form = ReasonForm(request.POST)
    try:
        people.lift_suspension(actor=request.user, suspension=suspension,
                                 reason=form.cleaned_data["reason"] if form.is_valid() else "")
    except ValidationError as error:
        _error_message(request, error)
    else:
        messages.success(request, _("The suspension has been lifted."))
    return redirect("moderation:member", username=suspension.user.username)


@login_required
def my_standing(request):
    """What the moderation team told me: warnings and suspensions, mine only."""
    return render(request, "moderation/my_standing.html", {
        "warnings": selectors.list_warnings(user=request.user),
        "suspensions": selectors.list_suspensions(user=request.user),
        "now": timezone.now(),
    })


# --- Settings ------------------------------------------------------------------------------

@login_required
def region_settings(request, slug: str):
    region = region_selectors.get_region(viewer=request.user, slug=slug)
    permissions.require_moderate(request.user, region)
    current = settings_for(region)
    form = SettingsForm(request.POST or None, initial={
        "flag_threshold": current.flag_threshold, "approval_posts": current.approval_posts})
    if request.method == "POST" and form.is_valid():
        update_settings(actor=request.user, region=region, **form.cleaned_data)
        messages.success(request, _("The moderation settings have been saved."))
        return redirect("moderation:settings", slug=region.slug)
    return render(request, "moderation/settings.html", {"region": region, "form": form})


# --- Audit log -----------------------------------------------------------------------------

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


@login_required
def audit_log(request, slug: str | None = None):
    region = region_selectors.get_region(viewer=request.user, slug=slug) if slug else None
    permissions.require_view_audit(request.user, region)
    form = AuditFilterForm(request.GET or None, actions=selectors.audit_actions())
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    entries = selectors.list_audit(
        region=region, action=filters.get("action", ""), actor=filters.get("actor", ""),
        date_from=filters.get("date_from"), date_to=filters.get("date_to"))
    if request.GET.get("format") == "csv":
        return _audit_csv(entries, region)
    page = Paginator(entries, AUDIT_PER_PAGE).get_page(request.GET.get("page"))
    query = QueryDict(mutable=True)
    query.update({k: v for k, v in request.GET.items() if k in form.fields and v})
    return render(request, "moderation/audit.html", {
        "region": region, "form": form, "page": page, "query_prefix": query.urlencode(),
    })


def _audit_csv(entries, region: Region | None) -> HttpResponse:
    name = f"audit-{region.slug if region else 'werkplaats'}-{timezone.now():%Y%m%d-%H%M}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")  # spreadsheet programs read UTF-8 with the mark
    writer = csv.writer(response)
    writer.writerow(["time", "actor", "action", "object_type", "object_id", "object", "region",
                     "result", "ip_address", "user_agent", "reason", "before", "after"])
    for entry in entries.iterator(chunk_size=500):
        writer.writerow([csv_safe(v) for v in (
            entry.created_at.isoformat(), entry.actor_label, entry.action, entry.object_type,
            entry.object_id, entry.object_label, entry.region.name if entry.region else "",
            entry.result, entry.ip_address, entry.user_agent, entry.reason,
            "" if entry.before is None else entry.before,
            "" if entry.after is None else entry.after)])
    return response

