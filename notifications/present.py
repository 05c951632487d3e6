"""The words of a notification, built when it is shown or mailed (in the reader's language, from
what the reader may see then), never stored. Only names, thread titles and region names appear:
the text of a post stays on the site, behind its permission check."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .kinds import Kind


def _actor(notification) -> str:
    return notification.actor.display_name if notification.actor else _("Someone")


def describe(notification) -> str:
    n = notification
    actor = _actor(n)
    title = n.thread.title if n.thread else ""
    region = n.region.name if n.region else ""
    others = n.count - 1
    if n.kind == Kind.REPLY:
        if n.count > 1:
            return ngettext("%(count)d new reply in “%(title)s”",
                            "%(count)d new replies in “%(title)s”",
                            n.count) % {"count": n.count, "title": title}
        return _("%(actor)s replied in “%(title)s”") % {"actor": actor, "title": title}
    if n.kind == Kind.MENTION:
        return _("%(actor)s mentioned you in “%(title)s”") % {"actor": actor, "title": title}
    if n.kind == Kind.QUOTE:
        return _("%(actor)s quoted your post in “%(title)s”") % {"actor": actor, "title": title}
    if n.kind == Kind.NEW_THREAD:
        return _("%(actor)s started “%(title)s”") % {"actor": actor, "title": title}
    if n.kind == Kind.NEW_REPORT:
        return _("%(actor)s published the report “%(title)s” in %(region)s") % {
            "actor": actor, "title": title, "region": region}
    if n.kind == Kind.REACTION:
        if others:
            return ngettext("%(actor)s and %(others)d colleague reacted to your post in "
                            "“%(title)s”",
                            "%(actor)s and %(others)d colleagues reacted to your post in "
                            "“%(title)s”",
                            others) % {"actor": actor, "others": others, "title": title}
        return _("%(actor)s reacted to your post in “%(title)s”") % {"actor": actor,
                                                                       "title": title}
    if n.kind == Kind.ANSWER_ACCEPTED:
        return _("Your question “%(title)s” has an accepted answer") % {"title": title}
    if n.kind == Kind.MEMBERSHIP_REQUEST:
        return _("%(actor)s asked to join %(region)s") % {"actor": actor, "region": region}
    if n.kind == Kind.MEMBERSHIP_DECIDED:
        if n.action == "approved":
            return _("Your request to join %(region)s was approved") % {"region": region}
        return _("Your request to join %(region)s was declined") % {"region": region}
    if n.kind == Kind.MODERATION:
        return moderation_text(n.action, title)
    return _("Something happened")


MODERATION_ACTIONS = {
    "hidden": gettext_lazy("A moderator hid your post in “%(title)s”"),
    "restored": gettext_lazy("A moderator restored your post in “%(title)s”"),
    "deleted": gettext_lazy("A moderator deleted your post in “%(title)s”"),
    "edited": gettext_lazy("A moderator edited your post in “%(title)s”"),
    "approved": gettext_lazy("A moderator approved your post in “%(title)s”"),
    "declined": gettext_lazy("A moderator declined your post in “%(title)s”"),
    "locked": gettext_lazy("A moderator locked your thread “%(title)s”"),
    "unlocked": gettext_lazy("A moderator unlocked your thread “%(title)s”"),
    "pinned": gettext_lazy("A moderator pinned your thread “%(title)s”"),
    "unpinned": gettext_lazy("A moderator unpinned your thread “%(title)s”"),
    "retagged": gettext_lazy("A moderator changed the tags of your thread “%(title)s”"),
    "kind_changed": gettext_lazy("A moderator changed the kind of your thread “%(title)s”"),
    "moved": gettext_lazy("A moderator moved your thread “%(title)s”"),
    "merged": gettext_lazy("A moderator merged your thread into “%(title)s”"),
    "split": gettext_lazy("A moderator moved posts of yours to “%(title)s”"),
    "renamed": gettext_lazy("A moderator renamed your thread to “%(title)s”"),
    "suspended": gettext_lazy("You have been suspended"),
    "unsuspended": gettext_lazy("Your suspension has been lifted"),
    "warned": gettext_lazy("You received a warning from the moderators"),
}


def moderation_text(action: str, title: str) -> str:
    text = str(MODERATION_ACTIONS.get(action, gettext_lazy("A moderator acted on your content")))
    return text % {"title": title} if "%(title)s" in text else text
