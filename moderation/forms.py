from datetime import datetime, time

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.text import ValidTextMixin
from forums.forms import BodyField

from .models import Flag


def _clean_text(value: str) -> str:
    return (value or "").replace("\x00", "").strip()


class FlagForm(ValidTextMixin, forms.Form):
    # No reason is preselected: a member who only presses the button must choose one, not
    # flag the post as spam by accident.
    reason = forms.ChoiceField(label=_("What is wrong with this post?"),
                               choices=[("", _("Choose a reason…")), *Flag.Reason.choices],
                               error_messages={"required": _("Choose one of the reasons.")})
    text = forms.CharField(
        label=_("Explanation"), max_length=1000, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you choose “Something else”. Only moderators read it."))

    def clean_text(self):
        return _clean_text(self.cleaned_data["text"])

    def clean(self):
        data = super().clean()
        if data.get("reason") == Flag.Reason.OTHER and not data.get("text"):
            self.add_error("text", _("Tell the moderators what is wrong with this post."))
        return data


class ReasonForm(ValidTextMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def clean_reason(self):
        return _clean_text(self.cleaned_data["reason"])


class ModeratorEditForm(ValidTextMixin, forms.Form):
    body = BodyField()
    note = forms.CharField(
        label=_("Moderator note"), max_length=500,
        help_text=_("Shown under the post to everyone, e.g. “Phone number removed”."))

    def clean_note(self):
        note = _clean_text(self.cleaned_data["note"])
        if not note:
            raise forms.ValidationError(_("Add a note: readers see why a moderator edited."))
        return note


class SuspendForm(ValidTextMixin, forms.Form):
    region = forms.ChoiceField(label=_("Where"))
    reason = forms.CharField(label=_("Reason"), max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("The member sees this on every blocked action."))
    until = forms.DateField(label=_("Until (end of the day)"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}),
                            help_text=_("Leave empty to suspend indefinitely (staff only)."))

    def __init__(self, *args, regions, allow_site_wide: bool, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(r.slug, r.name) for r in regions]
        if allow_site_wide:
            choices.insert(0, ("", _("The whole Werkplaats")))
        self.fields["region"].choices = choices

    def clean_reason(self):
        reason = _clean_text(self.cleaned_data["reason"])
        if not reason:
            raise forms.ValidationError(_("Give a reason: the member sees it."))
        return reason

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until is None:
            return None
        ends_at = datetime.combine(until, time.max, timezone.get_current_timezone())
        if ends_at <= timezone.now():
            raise forms.ValidationError(_("The end must lie in the future."))
        return ends_at


class WarnForm(ValidTextMixin, forms.Form):
    message = forms.CharField(label=_("Message to the member"), max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 5}))

    def clean_message(self):
        message = _clean_text(self.cleaned_data["message"])
        if not message:
            raise forms.ValidationError(_("Write the message to the member."))
        return message


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.CharField(label=_("Actor (name or username)"), max_length=150,
                            required=False)
    date_from = forms.DateField(label=_("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, actions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All actions"))] + [(a, a) for a in actions]

    def clean_actor(self):
        return _clean_text(self.cleaned_data["actor"])


class SettingsForm(forms.Form):
    flag_threshold = forms.IntegerField(
        label=_("Flags before a post is hidden"), min_value=1, max_value=50)
    approval_posts = forms.IntegerField(
        label=_("First posts of a new member that wait for approval"), min_value=0,
        max_value=20, help_text=_("0 switches approval off."))
