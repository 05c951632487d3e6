from django import forms
from django.utils.translation import gettext_lazy as _

from core.text import ValidTextMixin

from .models import Role


class MembershipRequestForm(ValidTextMixin, forms.Form):
    motivation = forms.CharField(
        label=_("Why would you like to join? (optional)"), max_length=1000, required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class DecisionForm(ValidTextMixin, forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("decline", _("Decline"))])
    reason = forms.CharField(
        label=_("Reason (optional, shown to the applicant)"), max_length=1000, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
