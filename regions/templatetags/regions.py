"""Region facts for templates of apps that sit below regions (a profile lists its regions):
the template composes them, so accounts need not import regions."""

from django import template

from regions import selectors

register = template.Library()


@register.simple_tag
def memberships_of(user):
    """The regions a user belongs to, for their profile page (one query)."""
    return selectors.list_user_regions(user=user)
