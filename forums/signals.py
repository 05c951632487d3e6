"""How forums tell higher apps (notifications) what happened, without importing them."""

from django.dispatch import Signal

# Sent after commit with post=<Post>, created_thread=<bool>.
post_created = Signal()
# Sent after commit with post=<Post>, user=<User>, kind=<str>.
reaction_added = Signal()
# Sent after commit with thread=<Thread>, post=<Post>, actor=<User>.
answer_accepted = Signal()
