"""How forums tell higher apps (notifications) what happened, without importing them.

post_created, reaction_added and answer_accepted are sent INSIDE the writer's transaction, so a
receiver can queue durable work (a task row) that commits with the write or not at all; anything
a receiver does outside the database must wait for `transaction.on_commit` itself."""

from django.dispatch import Signal

# Sent in the transaction with post=<Post>, created_thread=<bool>.
post_created = Signal()
# Sent in the transaction with post=<Post>, user=<User>, kind=<str>.
reaction_added = Signal()
# Sent in the transaction with thread=<Thread>, post=<Post>, actor=<User>.
answer_accepted = Signal()
# Sent with user=<User>, thread=<Thread>, position=<int> when a reader's read mark moves to the
# end of the thread (they have seen every post): running reply notifications end there.
thread_read_to_end = Signal()
# Sent in the transaction with post=<Post>, created_thread=<bool> when a new post (or a new
# thread's first post) waits for a moderator's approval instead of being published.
post_held = Signal()
