from django import forms
from django.utils.formats import time_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from accounts.models import GovernmentLayer
from core.text import ValidTextMixin

from .models import Meeting, Question

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class MeetingFilterForm(forms.Form):
    """The overview's filters; an unknown value filters nothing rather than failing."""

    region = forms.SlugField(label=_("Region"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("All kinds")), *Meeting.Kind.choices])
    tag = forms.SlugField(label=_("Tag"), required=False)


def _answer_field(question: Question) -> forms.Field:
    # The service checks required answers too (for callers without a form).
    common = {"label": question.label, "required": question.required}
    choices = [(choice, choice) for choice in question.choices]
    if question.kind == Question.Kind.CHOICE:
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    if question.kind == Question.Kind.MULTIPLE:
        return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple,
                                         **common)
    if question.kind == Question.Kind.YES_NO:
        return forms.TypedChoiceField(choices=YES_NO, widget=forms.RadioSelect,
                                      coerce=lambda value: value == "yes", empty_value=None,
                                      **common)
    return forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                           **common)


class RegistrationForm(ValidTextMixin, forms.Form):
    """A member's registration: their organisation and layer (prefilled from the profile),
    the organiser's questions, the parallel sessions and the consent to be listed."""

    organisation = forms.CharField(label=_("Organisation"), max_length=120, required=False)
    government_layer = forms.ChoiceField(
        label=_("Government layer"), required=False,
        choices=[("", "—"), *GovernmentLayer.choices])
    consent_participant_list = forms.BooleanField(
        label=_("Show my name and organisation on the participant list"), required=False)

    def __init__(self, *args, meeting: Meeting, user, **kwargs):
        super().__init__(*args, **kwargs)
        profile = getattr(user, "profile", None)
        if profile is not None:
            self.initial.setdefault("organisation", profile.organisation)
            self.initial.setdefault("government_layer", profile.government_layer)
        self.questions = list(meeting.questions.all())
        for question in self.questions:
            self.fields[question.field_name] = _answer_field(question)
        sessions = [item for item in meeting.programme.all() if item.is_session]
        if sessions:
            self.fields["sessions"] = forms.TypedMultipleChoiceField(
                label=_("Sessions"), required=False, coerce=int,
                widget=forms.CheckboxSelectMultiple,
                choices=[(item.pk, _session_label(item)) for item in sessions])
        self.order_fields(["organisation", "government_layer",
                           *(q.field_name for q in self.questions), "sessions",
                           "consent_participant_list"])

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "organisation": data["organisation"],
            "government_layer": data["government_layer"],
            "answers": {q.pk: data.get(q.field_name) for q in self.questions},
            "sessions": data.get("sessions", []),
            "consent_participant_list": data["consent_participant_list"],
        }


def _session_label(item) -> str:
    when = f"{time_format(localtime(item.starts_at))}–{time_format(localtime(item.ends_at))}"
    return " · ".join(part for part in (when, item.title, item.room) if part)

