"""How regions tell higher apps what happened, without importing them."""

from django.dispatch import Signal

# Sent with region=<Region> after staff add a region (forums gives it its standard forums).
region_created = Signal()

# Sent after commit, for the audit log and the review queue (moderation connects to them):
# membership_requested: request=<MembershipRequest>
# membership_decided: request=<MembershipRequest>, actor=<User>, approved=<bool>
# role_changed: membership=<Membership>, actor=<User>, old_role=<str>
# member_removed: membership=<Membership> (deleted), actor=<User>
membership_requested = Signal()
membership_decided = Signal()
role_changed = Signal()
member_removed = Signal()
