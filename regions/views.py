from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import permissions, selectors, services
from .forms import DecisionForm, MembershipRequestForm, RoleForm
from .models import MembershipRequest, Region


def region_detail(request, slug: str):
    region = selectors.get_region(viewer=request.user, slug=slug)
    user = request.user
    return render(request, "regions/region_detail.html", {
        "region": region,
        "moderators": selectors.list_moderators(region=region),
        "role": permissions.role_in(user, region),
        "can_view_members": permissions.can_view_members(user, region),
        "can_join": permissions.can_join(user, region),
        "can_request": permissions.can_request_membership(user, region),
        "can_leave": permissions.can_leave(user, region),
        "can_manage": permissions.holds_moderator_role(user, region),
        "pending_request": selectors.get_pending_request(viewer=user, region=region),
        "request_form": MembershipRequestForm(),
    })


def member_list(request, slug: str):
    region = selectors.get_region(viewer=request.user, slug=slug)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not permissions.can_view_members(request.user, region):
        raise PermissionDenied(_("Only members of this region can see who its members are."))
    return render(request, "regions/member_list.html", {
        "region": region, "members": selectors.list_members(region=region),
    })


@login_required
def join(request, slug: str):
    """Open region: join at once (POST). Closed region: GET shows, POST sends, a request."""
    region = selectors.get_region(viewer=request.user, slug=slug)
    if permissions.is_member(request.user, region):
        messages.info(request, _("You are already a member of %(region)s.") % {"region": region})
        return redirect(region)
    if region.is_open:
        if request.method == "POST":
            services.join_region(actor=request.user, region=region)
            messages.success(request, _("Welcome to %(region)s!") % {"region": region})
            return redirect(region)
        return render(request, "regions/join_confirm.html", {"region": region})
    if not permissions.can_request_membership(request.user, region):
        raise PermissionDenied(_("This region does not take membership requests."))
    pending = selectors.get_pending_request(viewer=request.user, region=region)
    form = MembershipRequestForm(request.POST or None)
    if request.method == "POST" and pending is None and form.is_valid():
        services.request_membership(
            actor=request.user, region=region, motivation=form.cleaned_data["motivation"]
        )
        messages.success(request, _(
            "Your request has been sent. A moderator of %(region)s will decide on it."
        ) % {"region": region})
        return redirect(region)
    return render(request, "regions/request_form.html", {
        "region": region, "form": form, "pending_request": pending,
    })


@login_required
def leave(request, slug: str):
    region = selectors.get_region(viewer=request.user, slug=slug)
    if not permissions.can_leave(request.user, region):
        raise PermissionDenied(_("You are not a member of this region."))
    if request.method == "POST":
        services.leave_region(actor=request.user, region=region)
        messages.success(request, _("You have left %(region)s.") % {"region": region})
        return redirect(region)
    return render(request, "regions/leave_confirm.html", {"region": region})


@login_required
@require_POST
def withdraw(request, slug: str):
    region = selectors.get_region(viewer=request.user, slug=slug)
    pending = selectors.get_pending_request(viewer=request.user, region=region)
    if pending is not None:
        services.withdraw_request(actor=request.user, request=pending)
        messages.success(request, _("Your request has been withdrawn."))
    return redirect(region)


def _manageable_region(request, slug: str) -> Region:
    region = selectors.get_region(viewer=request.user, slug=slug)
    permissions.require_manage_region(request.user, region)
    return region


@login_required
def manage(request, slug: str):
    region = _manageable_region(request, slug)
    return render(request, "regions/manage.html", {
        "region": region,
        "requests": selectors.list_pending_requests(region=region),
        "members": selectors.list_members(region=region),
        "decision_form": DecisionForm(),
        "role_choices": RoleForm.base_fields["role"].choices,
    })


@login_required
@require_POST
def decide(request, slug: str, request_id: int):
    region = _manageable_region(request, slug)
    membership_request = get_object_or_404(MembershipRequest, pk=request_id, region=region)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or decline; a reason has at most 1000 "
                                  "characters."))
        return redirect("regions:manage", slug=region.slug)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        services.decide_request(actor=request.user, request=membership_request, approve=approve,
                                reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        name = membership_request.user.display_name
        messages.success(request, (_("%(name)s is now a member.") if approve
                                   else _("The request of %(name)s was declined."))
                         % {"name": name})
    return redirect("regions:manage", slug=region.slug)


@login_required
@require_POST
def change_role(request, slug: str, membership_id: int):
    region = _manageable_region(request, slug)
    membership = selectors.get_membership(region=region, membership_id=membership_id)
    form = RoleForm(request.POST)
    if form.is_valid():
        services.change_role(actor=request.user, membership=membership,
                             role=form.cleaned_data["role"])
        messages.success(request, _("The role of %(name)s was changed.")
                         % {"name": membership.user.display_name})
    else:
        messages.error(request, _("Choose one of the listed roles."))
    return redirect("regions:manage", slug=region.slug)


@login_required
@require_POST
def remove_member(request, slug: str, membership_id: int):
    region = _manageable_region(request, slug)
    membership = selectors.get_membership(region=region, membership_id=membership_id)
    services.remove_member(actor=request.user, membership=membership)
    messages.success(request, _("%(name)s was removed from the region.")
                     % {"name": membership.user.display_name})
    return redirect("regions:manage", slug=region.slug)
