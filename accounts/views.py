from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import add_service_errors

from . import selectors, services
from .forms import ProfileForm
from .middleware import touch_session


@login_required
def profile_detail(request, username: str):
    """Profiles are for colleagues: logged-in members only (see the privacy statement).
    The template adds the regions (regions' `memberships_of` tag)."""
    user = selectors.get_active_user(username=username)
    profile = services.ensure_profile(user=user)
    return render(request, "accounts/profile_detail.html", {
        "profile_user": user, "profile": profile,
        "is_own_profile": request.user.pk == user.pk,
    })


@login_required
def profile_edit(request):
    profile = services.ensure_profile(user=request.user)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_profile(actor=request.user, profile=profile, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Your profile has been saved."))
            return redirect("accounts:profile", username=request.user.username)
    return render(request, "accounts/profile_edit.html", {"form": form})


@require_POST
def keepalive(request):
    """"Stay logged in": resets the idle clock. Anonymous callers learn they are logged out."""
    if not request.user.is_authenticated:
        return JsonResponse({"authenticated": False, "seconds_left": 0}, status=401)
    return JsonResponse({"authenticated": True, "seconds_left": touch_session(request)})
