import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

# Usernames are @mention handles: plain ASCII so they can be typed, linked and never spoofed.
USERNAME_VALIDATORS = [
    RegexValidator(
        r"^[A-Za-z0-9][A-Za-z0-9_.-]*\Z",
        _("Use letters, digits, dots, hyphens and underscores only, starting with a letter "
          "or digit."),
        code="invalid_username",
    )
]

# Bidirectional overrides and isolates (and the Arabic letter mark) let a name display as
# something else than it is.
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")


def normalise_display_name(value: str) -> str:
    value = unicodedata.normalize("NFKC", value)
    value = _BIDI_CONTROLS.sub("", value)
    value = _INVISIBLE.sub("", value)
    value = "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cf"))
    return " ".join(value.split())


def display_name_key(value: str) -> str:
    return normalise_display_name(value).casefold()


def validate_display_name(value: str) -> None:
    if len(value) < 2:
        raise ValidationError(_("A display name needs at least 2 characters."), code="too_short")
    if not any(ch.isalnum() for ch in value):
        raise ValidationError(_("A display name needs letters or digits."), code="no_letters")
