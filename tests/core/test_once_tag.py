"""{% once %}: stored per name, language and values; nothing else of the page gets in."""

import re
from html.parser import HTMLParser

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


@override_settings(ONCE_STRICT=False)  # as in production: the rest renders empty
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


# --- a name not passed in, and what the project's templates put inside blocks ---------------

@override_settings(ONCE_STRICT=True)
def test_a_name_not_passed_in_is_an_error_when_strict():
    with pytest.raises(fragments.MissingOnceValue, match="'user'"):
        render('{% once "t" %}{% if user %}x{% endif %}{% endonce %}', user="Ans")
    with pytest.raises(fragments.MissingOnceValue, match="'secret'"):
        render('{% once "t" flag=flag %}{{ flag }}{{ secret.name }}{% endonce %}', flag=1)
    # Builtins and what the block's own tags define are not missing.
    assert render('{% once "t" %}{% for n in "ab" %}{{ n }}{{ forloop.counter }}{% endfor %}'
                  '{% if None %}{% elif True %}!{% endif %}{% endonce %}') == "a1b2!"


@override_settings(ONCE_STRICT=False, DEBUG=False)
def test_a_name_not_passed_in_renders_empty_when_not_strict():
    assert render('{% once "t" %}[{{ user }}]{% endonce %}', user="Ans") == "[]"


def test_the_tests_render_blocks_strictly():
    from django.conf import settings

    assert settings.ONCE_STRICT is True


def _project_templates():
    from django.conf import settings

    root = settings.BASE_DIR
    for path in sorted([*root.glob("templates/**/*.html"), *root.glob("*/templates/**/*.html")]):
        if ".venv" not in path.parts:
            yield path.relative_to(root)


_ONCE_BLOCK = re.compile(r"{%\s*once\s+(['\"])(.*?)\1.*?%}(.*?){%\s*endonce\s*%}", re.S)
_TEMPLATE_SYNTAX = re.compile(r"{%.*?%}|{{.*?}}|{#.*?#}", re.S)
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}


class _Balance(HTMLParser):
    """What in a piece of HTML is not a whole element: a tag left open, one closed that the
    piece did not open, a tag cut off."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open, self.problems = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in _VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if self.open and self.open[-1] == tag:
            self.open.pop()
        else:
            self.problems.append(f"</{tag}> closes an element opened outside the block")

    def check(self, html: str) -> list[str]:
        self.feed(html)
        if self.rawdata.strip():
            self.problems.append(f"ends inside a tag: {self.rawdata.strip()[:60]!r}")
        self.problems += [f"<{tag}> is left open" for tag in self.open]
        return self.problems


def _once_blocks():
    from django.conf import settings

    for path in _project_templates():
        source = (settings.BASE_DIR / path).read_text()
        for match in _ONCE_BLOCK.finditer(source):
            yield str(path), match.group(2), match.group(3)


def test_the_project_uses_once_blocks():
    assert len(list(_once_blocks())) > 10


def test_every_once_block_holds_whole_elements():
    problems = [f"{path} {{% once {name!r} %}}: {problem}"
                for path, name, body in _once_blocks()
                for problem in _Balance().check(_TEMPLATE_SYNTAX.sub("", body))]
    assert problems == []


@pytest.mark.parametrize("source, problem", [
    ('<input name="q" {% endonce %}', "ends inside a tag"),
    ("<form>{% endonce %}", "<form> is left open"),
    ("</summary><div></div>", "</summary> closes"),
])
def test_the_whole_element_check_catches_cut_elements(source, problem):
    assert any(problem in found for found in _Balance().check(_TEMPLATE_SYNTAX.sub("", source)))


@override_settings(ONCE_STRICT=True)
def test_every_once_block_in_the_templates_renders_with_only_its_named_values():
    from django.template import engines

    engine = engines["django"].engine
    rendered = 0
    for path in _project_templates():
        name = str(path).split("templates/", 1)[1]
        found = engine.get_template(name)
        for node in found.nodelist.get_nodes_by_type(fragments.OnceNode):
            for value in (True, False, "watching", "muted"):
                context = fragments._BlockContext(
                    node.name, dict.fromkeys(node.values, value), Context(), strict=True)
                with context.bind_template(found):
                    node.nodelist.render(context)
            rendered += 1
    assert rendered == len(list(_once_blocks()))
