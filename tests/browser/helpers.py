"""Small helpers for the browser tests."""

import re
import time

import pyotp
from django.utils import translation
from django.utils.translation import gettext, pgettext


def tr(message: str, language: str = "nl", **values) -> str:
    """The site's text for `message` in `language`, from the same catalogues the server uses:
    the tests then find elements by their visible names without copying translations."""
    with translation.override(language):
        text = gettext(message)
    return text % values if values else text


def label(message: str, language: str = "nl") -> re.Pattern:
    """A form field's accessible name: its label, optionally followed by the "(required)"
    marker of templates/_partials/field.html, and nothing else."""
    with translation.override(language):
        text, required = gettext(message), pgettext("form field", "required")
    return re.compile(rf"^{re.escape(text)}(\s*\({re.escape(required)}\))?$")


def totp_code(secret: str) -> str:
    """A current TOTP code that stays valid for at least 5 more seconds (allauth accepts only
    the current 30-second step)."""
    totp = pyotp.TOTP(secret)
    if totp.interval - time.time() % totp.interval < 5:
        time.sleep(totp.interval - time.time() % totp.interval + 0.1)
    return totp.now()
