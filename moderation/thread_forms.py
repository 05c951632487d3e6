"""Forms of the "Moderate this thread" page. They validate and clean; moderation.threads
decides and forums.structure writes (and raises ValidationError keyed by these field names)."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from core.text import ValidTextMixin
from forums.models import Forum, Tag, Thread

from .forms import ReasonForm, _clean_text

REQUIRED_REASON_HELP = _("Required. The author sees it.")
OPTIONAL_REASON_HELP = _("Optional. The author sees it with the notification.")


class _ReasonMixin(ValidTextMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=OPTIONAL_REASON_HELP)

    def clean_reason(self):
        return _clean_text(self.cleaned_data["reason"])


class _RequiredReasonMixin(_ReasonMixin):
    reason = forms.CharField(label=_("Reason"), max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=REQUIRED_REASON_HELP)

    def clean_reason(self):
        reason = _clean_text(self.cleaned_data["reason"])
        if not reason:
            raise forms.ValidationError(_("Give a reason: the author sees it."))
        return reason


class FlagsForm(ReasonForm):
    """Lock, unlock, pin, unpin: the button says which."""


class RenameForm(_ReasonMixin):
    title = forms.CharField(label=_("New title"), max_length=200)
    field_order = ["title", "reason"]

    def clean_title(self):
        title = _clean_text(self.cleaned_data["title"])
        if not title:
            raise forms.ValidationError(_("Give the thread a title."))
        return title


class KindForm(_ReasonMixin):
    kind = forms.ChoiceField(label=_("Kind"), choices=Thread.Kind.choices)
    field_order = ["kind", "reason"]


class TagsForm(_ReasonMixin):
    tags = forms.ModelMultipleChoiceField(label=_("Tags"), queryset=Tag.objects.none(),
                                          required=False, widget=forms.CheckboxSelectMultiple)
    field_order = ["tags", "reason"]

    def __init__(self, *args, tags, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags"].queryset = tags


class _ForumChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, forum: Forum) -> str:
        return str(forum)


class MoveForm(_RequiredReasonMixin):
    forum = _ForumChoiceField(label=_("Move to forum"), queryset=Forum.objects.none(),
                              empty_label=None)
    field_order = ["forum", "reason"]

    def __init__(self, *args, forums, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["forum"].queryset = forums


_THREAD_ADDRESS = re.compile(r"(?:^|/)onderwerp/(\d+)/?(?:[?#].*)?$")


class MergeForm(_RequiredReasonMixin):
    into = forms.CharField(
        label=_("Merge into thread"), max_length=300,
        help_text=_("The number or the address of the thread that receives these posts."))
    field_order = ["into", "reason"]

    def clean_into(self):
        value = _clean_text(self.cleaned_data["into"])
        if value.isdigit():
            return int(value)
        found = _THREAD_ADDRESS.search(value)
        if found:
            return int(found.group(1))
        raise forms.ValidationError(_("Give a thread number, or paste the thread's address."))


class SplitForm(_RequiredReasonMixin):
    posts = forms.TypedMultipleChoiceField(label=_("Posts to move"), coerce=int,
                                           widget=forms.CheckboxSelectMultiple)
    title = forms.CharField(label=_("Title of the new thread"), max_length=200)
    forum = _ForumChoiceField(label=_("Forum of the new thread"), queryset=Forum.objects.none(),
                              empty_label=None)
    field_order = ["posts", "title", "forum", "reason"]

    def __init__(self, *args, posts, forums, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["posts"].choices = [(p.pk, p.pk) for p in posts]
        self.fields["posts"].error_messages["required"] = _("Choose the posts to move.")
        self.fields["forum"].queryset = forums

    def clean_title(self):
        title = _clean_text(self.cleaned_data["title"])
        if not title:
            raise forms.ValidationError(_("Give the thread a title."))
        return title
