"""How forums tell higher apps (notifications) what happened, without importing them."""

from django.dispatch import Signal

# Sent after commit with post=<Post>, created_thread=<bool>.
post_created = Signal()
# Sent after commit with post=<Post>, user=<User>, kind=<str>.
reaction_added = Signal()
# Sent after commit with thread=<Thread>, post=<Post>, actor=<User>.
answer_accepted = Signal()
# Sent with user=<User>, thread=<Thread>, position=<int> when a reader's read mark moves to the
# end of the thread (they have seen every post): running reply notifications end there.
thread_read_to_end = Signal()
