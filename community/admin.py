"""Admin access needs staff rights and a second factor, like every other power.

Staff log in through allauth (with their second factor), never through the bare admin form.
"""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.utils.translation import gettext as _

from accounts import permissions as account_permissions

_default_has_permission = admin.site.has_permission
_default_login = secure_admin_login(admin.site.login)


def has_permission(request) -> bool:
    return _default_has_permission(request) and account_permissions.can_use_admin(request.user)


def login(request, extra_context=None):
    # Every admin page without the permission comes here; staff without a second factor leave
    # through MFARequiredMiddleware, which brings them back here once it is set up, and this
    # login then sends them on to the admin's index.
    account_permissions.require_admin_mfa(request.user)
    return _default_login(request, extra_context)


admin.site.has_permission = has_permission
admin.site.login = login
admin.site.site_header = _("Werkplaats administration")
admin.site.site_title = "Werkplaats"
