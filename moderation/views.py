import csv

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.mfa import has_mfa
from forums import permissions as forum_permissions
from forums import selectors as forum_selectors
from regions import selectors as region_selectors
from regions.models import Region

from . import guard, permissions, selectors, services
from .forms import (
    AuditFilterForm,
    FlagForm,
    ModeratorEditForm,
    ReasonForm,
    SettingsForm,
    SuspendForm,
    WarnForm,
)
from .models import Suspension, Vouch

AUDIT_PER_PAGE = 50


def _mfa_setup(request):
    messages.warning(request, _("Moderators must use two-factor authentication. "
                                "Set it up to use moderator powers."))
    return redirect(f"{reverse('mfa_activate_totp')}?next={request.get_full_path()}")


def refused(request, region: Region | None, message: str) -> PermissionDenied:
    """The refusal to raise; a moderator suspended there sees why and until when instead
    (moderation.middleware.SuspensionNoticeMiddleware)."""
    if region is not None and permissions.paused_by_suspension(request.user, region.pk):
        permissions.participation_barred(request.user, region.pk)  # notes it for the page
    return PermissionDenied(message)


def _gate(request, region: Region | None):
    """None when the user may moderate `region` (None: everywhere); else the MFA redirect,
    or PermissionDenied for anyone without the role (or with it, suspended there)."""
    if permissions.can_moderate(request.user, region):
        return None
    if permissions.holds_moderator_role(request.user, region):
        return _mfa_setup(request)
    raise refused(request, region, _("Only this region's moderators can do this.") if region
                  else _("Only staff can do this."))


def _gate_post(request, post):
    if permissions.can_moderate_post(request.user, post):
        return None
    region = post.thread.forum.region
    if permissions.holds_moderator_role(request.user, region):
        return _mfa_setup(request)
    raise refused(request, region, _("Only this region's moderators can do this."))


def _error_message(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


# --- Review queue --------------------------------------------------------------------------

@login_required
def queue(request, slug: str | None = None):
    region = region_selectors.get_region(viewer=request.user, slug=slug) if slug else None
    if permissions.holds_any_moderator_role(request.user) and not has_mfa(request.user):
        return _mfa_setup(request)
    if region is None and not permissions.can_moderate_everywhere(request.user):
        # The combined queue is for staff; a region moderator lands on their own region's.
        ids = permissions.moderated_region_ids(request.user)
        if ids:
            first = Region.objects.filter(pk__in=ids).order_by("position", "name").first()
            return redirect("moderation:region_queue", slug=first.slug)
    gate = _gate(request, region)
    if gate:
        return gate
    region_ids = None if region is None else {region.pk}
    return render(request, "moderation/queue.html", {
        "region": region,
        "waiting": guard.list_waiting_posts(region_ids=region_ids),
        "flagged": selectors.list_flagged_posts(region_ids=region_ids),
        "requests": selectors.list_pending_requests(region_ids=region_ids),
        "suspensions": selectors.list_active_suspensions(region_ids=region_ids),
        "live_url": f"/ws/moderation/{region.pk}/" if region else "/ws/moderation/",
        "reason_form": ReasonForm(),
        "regions": permissions.moderated_regions(request.user, Region.objects.active()),
    })


# --- One post ------------------------------------------------------------------------------

def post_detail(request, post_id: int):
    """A post as moderation sees it. Moderators: the text (hidden or not), its flags and every
    action. The author of a hidden post: why. Anyone else: only that it is hidden."""
    post = forum_selectors.get_post(viewer=request.user, post_id=post_id)
    user = request.user
    is_moderator = permissions.can_moderate_post(user, post)
    if not is_moderator and permissions.holds_moderator_role(user, post.thread.forum.region):
        return _mfa_setup(request)
    if not is_moderator and not post.is_hidden:
        return redirect(post)
    flags = post.flags.select_related("user__profile").order_by("-is_open", "created_at") \
        if is_moderator else []
    return render(request, "moderation/post.html", {
        "post": post, "thread": post.thread, "is_moderator": is_moderator,
        "is_author": user.is_authenticated and post.author_id == user.pk,
        "show_text": permissions.can_view_hidden(user, post) or not post.is_hidden,
        "flags": flags, "reason_form": ReasonForm(),
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
            services.flag_post(actor=request.user, post=post, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error.messages[0] if error.messages else error)
        else:
            messages.success(request, _("Thank you. The moderators will look at this post."))
            return redirect(post)
    return render(request, "moderation/flag.html", {"post": post, "form": form},
                  status=400 if form.is_bound and form.errors else 200)


POST_ACTIONS = {
    "hide": (services.hide_post, _("The post is hidden.")),
    "restore": (services.restore_post, _("The post is visible again.")),
    "delete": (services.delete_post, _("The post has been deleted.")),
    "dismiss": (services.dismiss_flags, _("The flags have been dismissed.")),
}


@login_required
@require_POST
def post_action(request, post_id: int):
    post = forum_selectors.get_post(viewer=request.user, post_id=post_id)
    gate = _gate_post(request, post)
    if gate:
        return gate
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
    "approve": (guard.approve_post, _("The post has been approved and published.")),
    "decline": (guard.decline_post, _("The post has been declined; its author reads your reason.")),
}


@login_required
@require_POST
def waiting_action(request, post_id: int):
    """Approve or decline a post waiting for approval (the review queue's first section)."""
    post = forum_selectors.get_post(viewer=request.user, post_id=post_id)
    gate = _gate_post(request, post)
    if gate:
        return gate
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
        thread_went = guard.withdraw_post(actor=request.user, post=post)
    except ValidationError as error:  # approved or declined a moment ago
        _error_message(request, error)
        return redirect(thread)
    if thread_went:
        messages.success(request, _("Your thread has been withdrawn."))
        return redirect(thread.forum)
    messages.success(request, _("Your post has been withdrawn."))
    return redirect(thread)


def _next_url(request, default: str) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


@login_required
def edit_post(request, post_id: int):
    post = forum_selectors.get_post(viewer=request.user, post_id=post_id)
    gate = _gate_post(request, post)
    if gate:
        return gate
    form = ModeratorEditForm(request.POST or None,
                             initial={"body": post.body, "note": post.moderator_note})
    if request.method == "POST" and form.is_valid():
        try:
            services.edit_post(actor=request.user, post=post, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in getattr(error, "error_dict", {None: error.error_list}).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("The post has been edited with your note."))
            return redirect("moderation:post", post_id=post.pk)
    return render(request, "moderation/edit_post.html", {"post": post, "form": form})


# --- People --------------------------------------------------------------------------------

def _target_user(username: str):
    return get_object_or_404(get_user_model().objects.select_related("profile"),
                             username=username, is_active=True)


@login_required
def member(request, username: str):
    """A member's standing for moderators: suspensions, warnings; suspend, warn, lift."""
    target = _target_user(username)
    user = request.user
    regions = list(permissions.moderated_regions(user, Region.objects.active()))
    if not regions and not permissions.can_moderate_everywhere(user):
        if permissions.holds_any_moderator_role(user):
            return _mfa_setup(request)
        raise PermissionDenied(_("Only moderators can do this."))
    region_ids = permissions.moderated_region_ids(user)
    suspensions = selectors.list_suspensions(user=target)
    warnings = selectors.list_warnings(user=target)
    if region_ids is not None:
        suspensions = suspensions.filter(region_id__in=region_ids)
        warnings = warnings.filter(region_id__in=region_ids)
    staff = permissions.can_moderate_everywhere(user)
    suspend_form = SuspendForm(regions=regions, allow_site_wide=staff, prefix="suspend",
                               initial={"region": request.GET.get("region", "")})
    warn_form = WarnForm(prefix="warn")
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "suspend":
            suspend_form = SuspendForm(request.POST, regions=regions, allow_site_wide=staff,
                                       prefix="suspend")
            if suspend_form.is_valid():
                data = suspend_form.cleaned_data
                region = next((r for r in regions if r.slug == data["region"]), None)
                try:
                    services.suspend(actor=user, user=target, region=region,
                                     reason=data["reason"], ends_at=data["until"])
                except ValidationError as error:
                    _error_message(request, error)
                else:
                    messages.success(request, _("%(name)s is suspended.")
                                     % {"name": target.display_name})
                    return redirect("moderation:member", username=target.username)
        elif action == "warn":
            warn_form = WarnForm(request.POST, prefix="warn")
            region_slug = request.POST.get("warn-region", "")
            region = next((r for r in regions if r.slug == region_slug), None)
            if region is None and not staff:
                messages.error(request, _("Choose one of your regions."))
            elif warn_form.is_valid():
                services.warn(actor=user, user=target, region=region,
                              message=warn_form.cleaned_data["message"])
                messages.success(request, _("Your message has been sent to %(name)s.")
                                 % {"name": target.display_name})
                return redirect("moderation:member", username=target.username)
        elif action in ("vouch", "unvouch"):
            done = _vouch(request, target, regions, withdraw=action == "unvouch")
            if done:
                return redirect("moderation:member", username=target.username)
        else:
            messages.error(request, _("Unknown action."))
    return render(request, "moderation/member.html", {
        "target": target, "suspensions": suspensions, "warnings": warnings,
        "suspend_form": suspend_form, "warn_form": warn_form, "regions": regions,
        "staff": staff, "now": timezone.now(),
        "vouched_region_ids": set(Vouch.objects.filter(user=target, region__in=regions)
                                  .values_list("region_id", flat=True)),
    }, status=400 if request.method == "POST" else 200)


def _vouch(request, target, regions, *, withdraw: bool) -> bool:
    """Vouch for the member (their posts no longer wait for approval) or withdraw it."""
    region = next((r for r in regions if r.slug == request.POST.get("vouch-region", "")), None)
    if region is None:
        messages.error(request, _("Choose one of your regions."))
        return False
    service = guard.withdraw_vouch if withdraw else guard.vouch
    try:
        service(actor=request.user, user=target, region=region)
    except ValidationError as error:
        _error_message(request, error)
        return False
    if withdraw:
        messages.success(request, _("Your vouch for %(name)s in %(region)s is withdrawn.")
                         % {"name": target.display_name, "region": region.name})
    else:
        messages.success(request, _("You vouched for %(name)s in %(region)s: their posts there "
                                    "no longer wait for approval.")
                         % {"name": target.display_name, "region": region.name})
    return True


@login_required
@require_POST
def lift_suspension(request, suspension_id: int):
    suspension = get_object_or_404(Suspension.objects.select_related("user", "region"),
                                   pk=suspension_id)
    if not permissions.can_lift(request.user, suspension) and \
            permissions.holds_any_moderator_role(request.user) and not has_mfa(request.user):
        return _mfa_setup(request)
    form = ReasonForm(request.POST)
    try:
        services.lift_suspension(actor=request.user, suspension=suspension,
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
    gate = _gate(request, region)
    if gate:
        return gate
    current = services.settings_for(region)
    form = SettingsForm(request.POST or None, initial={
        "flag_threshold": current.flag_threshold, "approval_posts": current.approval_posts})
    if request.method == "POST" and form.is_valid():
        services.update_settings(actor=request.user, region=region, **form.cleaned_data)
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
    if permissions.can_view_audit(request.user, region):
        pass
    elif permissions.holds_moderator_role(request.user, region):
        return _mfa_setup(request)
    else:
        raise PermissionDenied(_("Only this region's moderators read its log.") if region
                               else _("Only staff read the combined log."))
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

