from django import template

from .. import permissions, selectors

register = template.Library()


@register.simple_tag
def suspension_for(user, region_id):
    """The notice a suspended member sees where they would otherwise write (reply form)."""
    row = permissions.suspension_in(user, region_id)
    return selectors.suspension_notice(row) if row else None
