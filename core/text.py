"""Text that arrives in a form is valid UTF-8 or it is refused, in the field, with what was
typed kept.

Two halves. ValidUTF8Middleware makes every undecodable byte of a form body the replacement
character U+FFFD, whatever the body claims: Django already does so for percent-encoded bytes
("%FF") and for multipart fields, but decodes a whole urlencoded body as Latin-1 when it holds
one raw invalid byte (turning every "é" in it into "Ã©" as well), and a multipart body in any
charset its Content-Type names. ValidTextMixin then gives every text field of a form the
validator that refuses U+FFFD. The character is the mark: no text a person means contains it,
and a text pasted with one in it was broken before it got here.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

REPLACEMENT = "\ufffd"
INVALID_TEXT_MESSAGE = _("This text contains characters that are not valid text.")


def validate_valid_text(value: str) -> None:
    if REPLACEMENT in value:
        raise ValidationError(INVALID_TEXT_MESSAGE, code="invalid_text")


class ValidTextMixin:
    """First among a form's bases: every text field (CharField and its kinds) refuses text
    with undecodable bytes in it. The form's fields are its own copies, so adding to their
    validators here changes no other form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and validate_valid_text not in field.validators:
                field.validators.append(validate_valid_text)


class ValidUTF8Middleware:
    """Form bodies decode as UTF-8, undecodable bytes as U+FFFD (see the module). Before any
    middleware that reads request.POST (CSRF reads it in process_view, after this)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST":  # the one method Django parses a form body for
            declared = (request.encoding or "utf-8").lower()
            if request.content_type == "multipart/form-data" and declared != "utf-8":
                # Django decodes multipart fields in the request's encoding, with replacement.
                request.encoding = "utf-8"
            elif request.content_type == "application/x-www-form-urlencoded" \
                    and declared == "utf-8":  # (another charset gets Django's 400)
                self._repair_urlencoded(request)
        return self.get_response(request)

    @staticmethod
    def _repair_urlencoded(request) -> None:
        body = request.body
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            repaired = body.decode("utf-8", errors="replace").encode("utf-8")
            request.FILES  # noqa: B018 - parse now: a later first look at FILES would parse again
            request.POST = QueryDict(repaired, encoding="utf-8")
