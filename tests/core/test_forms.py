"""core.forms.add_service_errors: a service's refusal lands on the form that asked."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from core.forms import add_service_errors


class _NameForm(forms.Form):
    name = forms.CharField()


def _bound() -> _NameForm:
    form = _NameForm({"name": "Dijken"})
    assert form.is_valid()
    return form


def test_an_error_about_a_field_of_the_form_goes_beside_that_field():
    form = _bound()
    add_service_errors(form, ValidationError({"name": "Bestaat al.", "slug": "Ook bezet."}))
    assert form.errors["name"] == ["Bestaat al."]
    assert form.errors[NON_FIELD_ERRORS] == ["Ook bezet."]  # a field the form does not have
    assert form["name"].value() == "Dijken"


def test_an_error_about_no_field_goes_above_the_form():
    form = _bound()
    add_service_errors(form, ValidationError(["Eerste.", "Tweede."]))
    assert form.non_field_errors() == ["Eerste.", "Tweede."]
    assert "name" not in form.errors
