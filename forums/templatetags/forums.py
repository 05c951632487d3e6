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


@register.simple_tag
def reaction_summary(post, kinds) -> list[tuple]:
    """(kind, label, emoji, count, names, reactor ids) per reaction kind, in one pass over
    the post's reactions: names joined for the tooltip, ids space-separated (with a space
    before and after each) for the reader's own-reaction style."""
    names: dict[str, list[str]] = {}
    ids: dict[str, list[str]] = {}
    for reaction in post.reactions.all():
        names.setdefault(reaction.kind, []).append(reaction.user.display_name)
        ids.setdefault(reaction.kind, []).append(f"{reaction.user_id} ")
    counts = post.reaction_counts or {}
    return [(kind, label, emoji, counts.get(kind, 0), ", ".join(names.get(kind, ())),
             " " + "".join(ids.get(kind, ()))) for kind, label, emoji in kinds]


@register.filter
def reacted(post, user) -> set[str]:
    return {r.kind for r in post.reactions.all() if r.user_id == user.pk}


@register.simple_tag(takes_context=True)
def recent_posts(context, author, limit: int = 10):
    """A profile lists the author's latest posts that the viewer may see."""
    return selectors.list_user_posts(viewer=context["request"].user, author=author)[:limit]
