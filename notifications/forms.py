from django import forms
from django.utils.translation import gettext_lazy as _

from .kinds import DEFAULT_DELIVERY, Delivery, Kind

FIELD_PREFIX = "kind_"


class PreferencesForm(forms.Form):
    """One choice per kind, plus the regions to mute. A kind this site does not know (a stale
    or forged form) is an error, not silently dropped."""

    muted_regions = forms.MultipleChoiceField(
        label=_("Mute these regions"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("No replies, new threads, reports or reactions from a muted region. "
                    "Mentions, quotes and decisions about you still reach you."),
    )

    def __init__(self, *args, current: dict[str, str], regions, muted: set[int], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in Kind.choices:
            self.fields[FIELD_PREFIX + kind] = forms.ChoiceField(
                label=label, choices=Delivery.choices,
                initial=current.get(kind, DEFAULT_DELIVERY[kind]))
        self.fields["muted_regions"].choices = [(str(r.pk), r.name) for r in regions]
        self.fields["muted_regions"].initial = [str(pk) for pk in muted]
        self.order_fields([FIELD_PREFIX + k for k in Kind.values] + ["muted_regions"])

    def kind_fields(self):
        return [self[FIELD_PREFIX + kind] for kind in Kind.values]

    def clean(self):
        cleaned = super().clean()
        unknown = sorted(key[len(FIELD_PREFIX):] for key in self.data
                         if key.startswith(FIELD_PREFIX) and key not in self.fields)
        if unknown:
            raise forms.ValidationError(
                _("Unknown kind of notification: %(kinds)s. Reload the page and try again."),
                params={"kinds": ", ".join(unknown)}, code="unknown_kind")
        return cleaned

    def deliveries(self) -> dict[str, str]:
        return {kind: self.cleaned_data[FIELD_PREFIX + kind] for kind in Kind.values}

    def muted_region_ids(self) -> list[int]:
        return [int(pk) for pk in self.cleaned_data["muted_regions"]]
