from django import template

from .. import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def region_forums(context, region):
    """The region page lists its forums; regions cannot import forums, so the page asks here."""
    return selectors.list_region_forums(viewer=context["request"].user, region=region)


@register.simple_tag(takes_context=True)
def region_watching(context, region) -> bool:
    user = context["request"].user
    return user.is_authenticated and region.subscriptions.filter(user=user).exists()


@register.filter
def reaction_count(post, kind: str) -> int:
    return (post.reaction_counts or {}).get(kind, 0)


@register.filter
def reactors(post, kind: str) -> list[str]:
    return [r.user.display_name for r in post.reactions.all() if r.kind == kind]


@register.filter
def reacted(post, user) -> set[str]:
    return {r.kind for r in post.reactions.all() if r.user_id == user.pk}


@register.simple_tag(takes_context=True)
def recent_posts(context, author, limit: int = 10):
    """A profile lists the author's latest posts that the viewer may see."""
    return selectors.list_user_posts(viewer=context["request"].user, author=author)[:limit]
