from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.core import context, ratelimit
from allauth.mfa.base import forms as mfa_forms
from django import forms
from django.utils.translation import gettext_lazy as _

from core.text import ValidTextMixin

from . import services
from .models import GovernmentLayer, Profile
from .validators import display_name_key, normalise_display_name, validate_display_name


class DisplayNameMixin:
    """Normalise (NFKC, no bidi controls) and keep display names unique ignoring case."""

    profile_pk = None

    def clean_display_name(self):
        name = normalise_display_name(self.cleaned_data["display_name"])
        validate_display_name(name)
        taken = Profile.objects.filter(display_name_key=display_name_key(name))
        if self.profile_pk:
            taken = taken.exclude(pk=self.profile_pk)
        if taken.exists():
            raise forms.ValidationError(_("This display name is already taken."))
        return name


class SignupForm(ValidTextMixin, DisplayNameMixin, AllauthSignupForm):
    display_name = forms.CharField(
        label=_("Display name"), max_length=60,
        help_text=_("How colleagues see you, for example “Anna de Vries”."),
    )
    organisation = forms.CharField(
        label=_("Organisation"), max_length=120, required=False,
        help_text=_("For example “Waterschap Vechtstromen” or “Gemeente Twenterand”."),
    )
    government_layer = forms.ChoiceField(
        label=_("Government layer"), choices=[("", "—"), *GovernmentLayer.choices],
        required=False,
    )

    field_order = ["email", "username", "display_name", "organisation", "government_layer",
                   "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["username"].help_text = _(
            "Your handle for @mentions: letters, digits, dots, hyphens and underscores.")
        self.fields["display_name"].widget.attrs["autocomplete"] = "name"
        self.fields["organisation"].widget.attrs["autocomplete"] = "organization"

    def save(self, request):
        user = super().save(request)
        services.create_profile(
            user=user,
            display_name=self.cleaned_data["display_name"],
            organisation=self.cleaned_data.get("organisation", ""),
            government_layer=self.cleaned_data.get("government_layer", ""),
        )
        return user


class ProfileForm(ValidTextMixin, DisplayNameMixin, forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["display_name", "organisation", "government_layer", "job_title", "bio"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 5, "maxlength": 1000})}
        labels = {
            "display_name": _("Display name"), "organisation": _("Organisation"),
            "government_layer": _("Government layer"), "job_title": _("Job title"),
            "bio": _("Short bio"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.profile_pk = self.instance.pk

    def _post_clean(self):
        # The service validates and saves the model; the form only cleans the input.
        pass


TOO_MANY_CODES = _("Too many attempts with a wrong code. Wait a while (at most an hour) and "
                   "try again.")


class SecondFactorLimitMixin:
    """Counts wrong second-factor codes (TOTP or recovery code) in ACCOUNT_RATE_LIMITS
    ["mfa_failed"], per account and per IP across accounts.

    allauth's own limit ("login_failed") forgets too soon for a six-digit code: it spans five
    minutes, and a correct code wipes its per-IP count too, so one valid account of an
    attacker's own resets the counter of the whole address. This count is never wiped; it
    only runs out with time.
    Checked before the code is, counted after a wrong one: a burst of parallel requests may
    pass a few extra, which allauth's own limit (counted before the check) bounds."""

    def clean_code(self) -> str:
        request, key = context.request, f"mfa-user-{self.user.pk}"
        if not ratelimit.consume(request, action="mfa_failed", key=key, dry_run=True):
            raise forms.ValidationError(TOO_MANY_CODES, code="too_many_attempts")
        try:
            return super().clean_code()
        except forms.ValidationError as error:
            if error.code == "too_many_login_attempts":  # allauth's limit, our words
                raise forms.ValidationError(TOO_MANY_CODES, code="too_many_attempts") from None
            if error.code == "incorrect_code":
                ratelimit.consume(request, action="mfa_failed", key=key)
            raise


class AuthenticateForm(SecondFactorLimitMixin, mfa_forms.AuthenticateForm):
    """The code asked after the password at login."""


class ReauthenticateForm(SecondFactorLimitMixin, mfa_forms.ReauthenticateForm):
    """The code asked again before a sensitive change."""
