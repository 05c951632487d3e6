"""How regions tell higher apps what happened, without importing them."""

from django.dispatch import Signal

# Sent with region=<Region> after staff add a region (forums gives it its standard forums).
region_created = Signal()
# Sent after commit with request=<MembershipRequest> when someone asks to join a closed region.
membership_requested = Signal()
# Sent after commit with request=<MembershipRequest> once a moderator approved or declined it.
membership_decided = Signal()
