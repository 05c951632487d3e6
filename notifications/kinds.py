"""What a notification can be about, how each kind is delivered by default, and which kinds
collapse into one running notification ("5 new replies in …")."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    REPLY = "reply", _("Replies in threads you watch or took part in")
    MENTION = "mention", _("Mentions of you")
    QUOTE = "quote", _("Quotes of your posts")
    NEW_THREAD = "new_thread", _("New threads in forums and regions you watch")
    NEW_REPORT = "new_report", _("New reports in your regions")
    REACTION = "reaction", _("Reactions to your posts")
    ANSWER_ACCEPTED = "answer_accepted", _("An accepted answer to your question")
    MEMBERSHIP_REQUEST = "membership_request", _("Membership requests in regions you moderate")
    MEMBERSHIP_DECIDED = "membership_decided", _("Decisions on your membership requests")
    MODERATION = "moderation", _("Moderation of your posts and account")


class Delivery(models.TextChoices):
    OFF = "off", _("Off")
    IN_APP = "in_app", _("On the site")
    EMAIL = "email", _("On the site and by email right away")
    DIGEST = "digest", _("On the site and in the daily digest")


DEFAULT_DELIVERY = {
    Kind.REPLY: Delivery.DIGEST,
    Kind.MENTION: Delivery.EMAIL,
    Kind.QUOTE: Delivery.IN_APP,
    Kind.NEW_THREAD: Delivery.DIGEST,
    Kind.NEW_REPORT: Delivery.IN_APP,
    Kind.REACTION: Delivery.IN_APP,
    Kind.ANSWER_ACCEPTED: Delivery.EMAIL,
    Kind.MEMBERSHIP_REQUEST: Delivery.EMAIL,
    Kind.MEMBERSHIP_DECIDED: Delivery.EMAIL,
    Kind.MODERATION: Delivery.EMAIL,
}

# One unread notification per (recipient, thread) for replies, per (recipient, post) for
# reactions: it counts on instead of piling up.
COLLAPSING = frozenset({Kind.REPLY, Kind.REACTION})

# Muting a region silences the region's conversation, not what is addressed to you personally.
MUTABLE = frozenset({Kind.REPLY, Kind.NEW_THREAD, Kind.NEW_REPORT, Kind.REACTION})

# Kinds the per-recipient hourly cap may drop; decisions about you are never dropped.
CAPPED = frozenset({Kind.REPLY, Kind.MENTION, Kind.QUOTE, Kind.NEW_THREAD, Kind.NEW_REPORT,
                    Kind.REACTION})
