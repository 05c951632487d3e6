from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.conf import settings
from django.utils.translation import gettext as _


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return settings.SIGNUP_OPEN

    def clean_email(self, email: str) -> str:
        email = super().clean_email(email)
        allowed = settings.SIGNUP_EMAIL_DOMAINS
        if allowed:
            domain = email.rsplit("@", 1)[-1].lower()
            if not any(domain == d or domain.endswith("." + d) for d in allowed):
                raise forms.ValidationError(
                    _("Sign-up is open to addresses of participating organisations only.")
                )
        return email
