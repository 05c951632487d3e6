"""Meetings for the pages of apps below events (the home page's and a region's next
meetings): the template asks here, so regions need not import events."""

from django import template

from .. import selectors

register = template.Library()


@register.simple_tag
def upcoming_meetings(user, region=None, limit: int = 3):
    """`{% upcoming_meetings user region=region limit=3 as meetings %}`: the next meetings
    the user may see, of the region if one is given (one query)."""
    return selectors.list_next_meetings(viewer=user, region_id=region.pk if region else None,
                                        limit=limit)
