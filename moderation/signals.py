"""How moderation tells higher apps (notifications) what it did to someone's content or account.

`content_moderated` is sent after commit (never for a rolled-back action) with keyword
arguments: action (str: "hidden", "restored", "deleted", "edited", "flags_dismissed", "locked",
"unlocked", "pinned", "unpinned", "renamed", "retagged", "kind_changed", "moved", "merged", "split",
"suspended", "unsuspended", "warned", "approved", "declined", "rejected"), actor (User),
recipient (User), reason (str, may be empty), post (Post or None), thread (Thread or None),
region (Region or None).
"""

from django.dispatch import Signal

content_moderated = Signal()
