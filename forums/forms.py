import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from core.text import ValidTextMixin

from .models import Forum, Tag, Thread
from .rendering import MAX_LINES, MAX_SOURCE_LENGTH, line_count


def _strip_nul(value: str) -> str:
    return value.replace("\x00", "")


class IdempotentForm(ValidTextMixin, forms.Form):
    """A hidden key per rendered form: a double click or a retry creates one post, not two."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


class BodyField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Message"))
        kwargs.setdefault("max_length", MAX_SOURCE_LENGTH)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 10}))
        kwargs.setdefault("help_text", _(
            "Markdown: **bold**, *italic*, > quote, - list, [link](https://…), @username."))
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value.strip():
            raise forms.ValidationError(_("Write a message."))
        if line_count(value.strip()) > MAX_LINES:
            raise forms.ValidationError(_("At most %(n)d lines, please.") % {"n": MAX_LINES})
        return value


class TitleField(forms.CharField):
    """Whitespace folded, NUL bytes dropped, and not empty after that."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Title"))
        kwargs.setdefault("max_length", 200)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        title = " ".join(_strip_nul(value).split())
        if not title:
            raise forms.ValidationError(_("Give the thread a title."))
        return title


REPORT_FIELDS = ("success_factors", "obstacles", "lessons")


class ReportFieldsMixin(ValidTextMixin, forms.Form):
    success_factors = forms.CharField(
        label=_("Success factors"), required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What helped? (optional)"))
    obstacles = forms.CharField(
        label=_("Obstacles"), required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What stood in the way? (optional)"))
    lessons = forms.CharField(
        label=_("Lessons and recommendations"), required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What would you tell colleagues elsewhere? (optional)"))

    def report_data(self) -> dict:
        return {k: self.cleaned_data.get(k, "") for k in REPORT_FIELDS}


class ThreadForm(ReportFieldsMixin, IdempotentForm):
    title = TitleField()
    kind = forms.ChoiceField(label=_("Kind"), choices=Thread.Kind.choices,
                             initial=Thread.Kind.DISCUSSION, widget=forms.RadioSelect)
    body = BodyField()
    tags = forms.ModelMultipleChoiceField(
        label=_("Tags"), queryset=Tag.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple)

    field_order = ["title", "kind", "body", "success_factors", "obstacles", "lessons", "tags"]

    def __init__(self, *args, forum: Forum, allow_report: bool, tags, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags"].queryset = tags
        if not allow_report:
            self.fields["kind"].choices = [c for c in Thread.Kind.choices
                                           if c[0] != Thread.Kind.REPORT]
            for name in REPORT_FIELDS:
                del self.fields[name]
        elif forum.is_reports:
            self.initial.setdefault("kind", Thread.Kind.REPORT)


class ReplyForm(IdempotentForm):
    body = BodyField(label=_("Your reply"))
    quote_of = forms.IntegerField(widget=forms.HiddenInput, required=False)


class EditPostForm(ReportFieldsMixin, forms.Form):
    title = TitleField()
    body = BodyField()

    def __init__(self, *args, post, **kwargs):
        super().__init__(*args, **kwargs)
        is_first = post.position == 1
        if not is_first:
            del self.fields["title"]
        if not (is_first and post.thread.kind == Thread.Kind.REPORT):
            for name in REPORT_FIELDS:
                del self.fields[name]


class ForumForm(ValidTextMixin, forms.ModelForm):
    class Meta:
        model = Forum
        fields = ["name", "description", "visibility"]
        labels = {"name": _("Name"), "description": _("Description"),
                  "visibility": _("Who can read it")}

    def __init__(self, *args, staff_only_allowed: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not staff_only_allowed:
            field = self.fields["visibility"]
            field.choices = [c for c in field.choices if c[0] != Forum.Visibility.STAFF]

    def _post_clean(self):
        pass  # the service validates and saves


class TagForm(ValidTextMixin, forms.Form):
    name = forms.CharField(label=_("New tag"), max_length=60)


class SearchForm(ValidTextMixin, forms.Form):
    q = forms.CharField(label=_("Search for"), max_length=200, required=False)
    region = forms.SlugField(label=_("Region"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("All kinds")), *Thread.Kind.choices])
    tag = forms.SlugField(label=_("Tag"), required=False)
    author = forms.CharField(label=_("Author (username)"), max_length=150, required=False)
    date_from = forms.DateField(label=_("From"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("Until"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))

    def clean_q(self):
        return " ".join(_strip_nul(self.cleaned_data["q"]).split())
