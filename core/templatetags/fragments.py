"""`{% once %}`: markup that only the code, the translations and a few named values decide,
rendered once per process instead of once per request.

    {% once "account-menu" is_staff=user.is_staff %} … {% endonce %}

The block is rendered with nothing but the named values in its context (no request, not even
for tags that read it directly, no user, no CSRF token), so nothing personal can slip into the
stored copy and reach another reader. A name the block uses but is not passed is an error
under DEBUG and in the tests (ONCE_STRICT), and renders empty elsewhere. Put it only around
whole elements (tests/core/test_once_tag.py checks the templates), and keep forms and
per-reader values outside it. A copy is kept per name, language and values, so the values
should take few different ones (flags, kinds), never free text. Under DEBUG nothing is kept,
so edited templates show at once.
"""

from django import template
from django.conf import settings
from django.template import Context
from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language

register = template.Library()

# Names, languages and flags: a few dozen copies in practice. The bound only guards against a
# named value that takes many different values; past it, blocks render every time.
MAX_COPIES = 2000
_copies: dict[tuple, str] = {}


class MissingOnceValue(template.TemplateSyntaxError):
    """A {% once %} block uses a name that is not passed to it."""


class _BlockContext(Context):
    """Only the named values; a name looked up beyond them is an error when strict."""

    def __init__(self, block: str, values: dict, outer: Context, strict: bool):
        super().__init__(values, autoescape=outer.autoescape, use_l10n=outer.use_l10n,
                         use_tz=outer.use_tz)
        self.block = block
        self.strict = strict
        self.request = None  # tags that read the request itself find none

    def __getitem__(self, key):
        try:
            return super().__getitem__(key)
        except KeyError:
            if self.strict:
                raise MissingOnceValue(
                    f'{{% once "{self.block}" %}} uses {key!r}, which is not passed to it: '
                    f'add {key}=... to the tag, or move it out of the block') from None
            raise


class OnceNode(template.Node):
    # Nothing inside is a {% block %}: Django need not search it on every render of a page
    # that extends one holding it.
    child_nodelists = ()

    def __init__(self, name: str, values: dict, nodelist):
        self.name = name
        self.values = values
        self.nodelist = nodelist

    def render(self, context):
        values = {name: value.resolve(context) for name, value in self.values.items()}
        # The template is in the key: one name used in two templates stays two copies.
        key = (getattr(getattr(self, "origin", None), "name", None), self.name, get_language(),
               get_script_prefix(), *sorted(values.items()))
        html = _copies.get(key)
        if html is None:
            strict = getattr(settings, "ONCE_STRICT", settings.DEBUG)
            isolated = _BlockContext(self.name, values, context, strict)
            with isolated.bind_template(context.template):
                html = self.nodelist.render(isolated)
            if not settings.DEBUG and len(_copies) < MAX_COPIES:
                _copies[key] = html
        return html


@register.tag
def once(parser, token):
    bits = token.split_contents()
    if len(bits) < 2 or bits[1][0] not in "\"'" or bits[1][-1] != bits[1][0]:
        raise template.TemplateSyntaxError('{% once %} needs a quoted name: {% once "name" %}')
    values = {}
    for bit in bits[2:]:
        name, equals, expression = bit.partition("=")
        if not equals or not name.isidentifier():
            raise template.TemplateSyntaxError(f"{{% once %}} takes name=value pairs, not {bit!r}")
        values[name] = parser.compile_filter(expression)
    nodelist = parser.parse(("endonce",))
    parser.delete_first_token()
    return OnceNode(bits[1][1:-1], values, nodelist)


# --- {% id_url %} ---------------------------------------------------------------------------
# A fragment rendered once per change still reverses a dozen URLs per post, and a page of posts
# is 250 reversals. For URLs whose arguments are all integers (ids) the shape is fixed: it is
# reversed once per view name, language and prefix with stand-in digits, and each URL is then
# put together from the pieces.
_STAND_IN = 9_081_726_354_000
_url_shapes: dict[tuple, tuple[str, ...]] = {}


def _url_shape(view_name: str, count: int) -> tuple[str, ...]:
    key = (view_name, count, get_language(), get_script_prefix())
    shape = _url_shapes.get(key)
    if shape is None:
        stand_ins = [str(_STAND_IN + n) for n in range(count)]
        url = reverse(view_name, args=stand_ins)
        pieces, rest = [], url
        for stand_in in stand_ins:
            before, found, rest = rest.partition(stand_in)
            if not found:  # the URL does not show its arguments as they are: no shape
                return ()
            pieces.append(before)
        pieces.append(rest)
        shape = _url_shapes[key] = tuple(pieces)
    return shape


@register.simple_tag
def id_url(view_name: str, *ids) -> str:
    """`{% url %}` for URLs whose arguments are ids, without reversing each one."""
    if all(type(i) is int for i in ids):
        shape = _url_shape(view_name, len(ids))
        if shape:
            parts = [shape[0]]
            for value, piece in zip(ids, shape[1:], strict=True):
                parts += [str(value), piece]
            return "".join(parts)
    return reverse(view_name, args=ids)
