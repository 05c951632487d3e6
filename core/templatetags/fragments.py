"""`{% once %}`: markup that only the code, the translations and a few named values decide,
rendered once per process instead of once per request.

    {% once "account-menu" is_staff=user.is_staff %} … {% endonce %}

The block is rendered with nothing but the named values in its context (no request, not even
for tags that read it directly, no user, no CSRF token), so nothing personal can slip into the
stored copy and reach another reader: whatever else it names renders empty. Keep forms and
per-reader values outside it. A copy is kept per name, language and values, so the values
should take few different ones (flags, kinds), never free text. Under DEBUG nothing is kept,
so edited templates show at once.
"""

from django import template
from django.conf import settings
from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language

register = template.Library()

# Names, languages and flags: a few dozen copies in practice. The bound only guards against a
# named value that takes many different values; past it, blocks render every time.
MAX_COPIES = 2000
_copies: dict[tuple, str] = {}


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
            isolated = context.new(values)
            if hasattr(isolated, "request"):
                isolated.request = None  # tags that read the request itself find none
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
