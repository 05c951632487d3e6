"""{% once %}: stored per name, language and values; nothing else of the page gets in."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.test import override_settings
from django.utils import translation

from core.templatetags import fragments


@pytest.fixture(autouse=True)
def _fresh_copies():
    fragments._copies.clear()
    yield
    fragments._copies.clear()


def render(source: str, **context) -> str:
    return Template("{% load fragments i18n %}" + source).render(Context(context))


def test_renders_once_and_then_serves_the_copy():
    source = ('{% once "t" %}<a href="{% url "privacy" %}">{% translate "Privacy" %}</a>'
              '{% endonce %}')
    with translation.override("nl"):
        assert render(source) == '<a href="/privacy/">Privacy</a>'
        [key] = fragments._copies
        fragments._copies[key] = "the stored copy"
        assert render(source) == "the stored copy"


def test_nothing_but_the_named_values_reaches_the_block():
    source = '{% once "t" flag=flag %}[{{ secret }}|{{ user }}|{{ flag }}]{% endonce %}'
    assert render(source, secret="geheim", user="Ans", flag=True) == "[||True]"
    # A second reader with other personal values gets the same, empty-of-them copy.
    assert render(source, secret="anders", user="Bert", flag=True) == "[||True]"
    assert render(source, secret="anders", flag=False) == "[||False]"


def test_a_copy_per_language_and_per_value():
    source = '{% once "t" level=level %}{{ level }} {% translate "Search" %}{% endonce %}'
    with translation.override("nl"):
        assert render(source, level="muted") == "muted Zoeken"
        assert render(source, level="watching") == "watching Zoeken"
    with translation.override("en"):
        assert render(source, level="muted") == "muted Search"
    assert len(fragments._copies) == 3


@override_settings(DEBUG=True)
def test_nothing_is_kept_under_debug():
    render('{% once "t" %}x{% endonce %}')
    assert fragments._copies == {}


def test_the_number_of_copies_is_bounded(monkeypatch):
    monkeypatch.setattr(fragments, "MAX_COPIES", 2)
    for n in range(5):
        assert render('{% once "t" n=n %}{{ n }}{% endonce %}', n=n) == str(n)
    assert len(fragments._copies) == 2


@pytest.mark.parametrize("source", [
    "{% once %}x{% endonce %}",
    "{% once name %}x{% endonce %}",
    '{% once "t" flag %}x{% endonce %}',
    '{% once "t" 1x=flag %}x{% endonce %}',
])
def test_syntax_errors_say_what_is_wrong(source):
    with pytest.raises(TemplateSyntaxError):
        render(source)


def test_tags_that_read_the_request_itself_find_none(rf):
    from django.template import RequestContext

    seen = []

    class Spy:
        def render(self, context):
            seen.append((context.request, context.get("user"), context.get("flag")))
            return ""

    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = AnonymousUser()
    flag = Template("{{ flag }}").nodelist[0].filter_expression
    node = fragments.OnceNode("spy", {"flag": flag}, Spy())
    node.render(RequestContext(request, {"user": "Ans", "flag": True}))
    assert seen == [(None, None, True)]
    url = Template('{% load fragments %}{% once "u" %}{% url "privacy" %}{% endonce %}')
    assert url.render(RequestContext(request, {})) == "/privacy/"


def test_one_name_in_two_templates_keeps_two_copies():
    from django.template import Engine

    engine = Engine(libraries={"fragments": "core.templatetags.fragments"}, loaders=[
        ("django.template.loaders.locmem.Loader", {
            "a.html": '{% load fragments %}{% once "same" %}A{% endonce %}',
            "b.html": '{% load fragments %}{% once "same" %}B{% endonce %}',
        })])
    assert [engine.get_template(name).render(Context()) for name in ("a.html", "b.html")] \
        == ["A", "B"]
