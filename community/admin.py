"""Admin access needs staff rights and a second factor, like every other power.

Staff log in through allauth (with their second factor), never through the bare admin form.
"""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.mfa import has_mfa

_default_has_permission = admin.site.has_permission
_default_login = secure_admin_login(admin.site.login)


def has_permission(request) -> bool:
    return _default_has_permission(request) and has_mfa(request.user)


def login(request, extra_context=None):
    user = request.user
    if user.is_authenticated and user.is_staff and user.is_active and not has_mfa(user):
        messages.warning(request, _("Site administration requires two-factor authentication."))
        return redirect(f"{reverse('mfa_activate_totp')}?next={reverse('admin:index')}")
    return _default_login(request, extra_context)


admin.site.has_permission = has_permission
admin.site.login = login
admin.site.site_header = _("Werkplaats administration")
admin.site.site_title = "Werkplaats"
