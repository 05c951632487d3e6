"""How events tells higher apps what happened to a meeting, without importing them.

Each is sent after the transaction commits (never for a write that was rolled back), with
sender=Meeting. The notifications app connects to them in a later stage (issue 13: new kinds
"registration confirmed", "place offered", ...); until then nobody listens.
"""

from django.dispatch import Signal

# meeting=<Meeting>: a draft was published (its audience can see it from now on).
meeting_published = Signal()
# registration=<Registration>: a place confirmed at registration or by accepting an offer.
registration_confirmed = Signal()
# registration=<Registration>: a place freed up and is held for them until offered_until.
place_offered = Signal()
# registration=<Registration>, dropped_sessions=<list[ProgrammeItem]>: a place freed up and
# is theirs (automatic mode); sessions that had filled up meanwhile are dropped from it.
moved_off_waiting_list = Signal()
# meeting=<Meeting>, changed=<list[str]>: the time or place of a published meeting changed
# (the fields, e.g. ["starts_at", "venue_name"]); meeting.sequence has risen.
meeting_changed = Signal()
# meeting=<Meeting>, reason=<str>: a published meeting was cancelled.
meeting_cancelled = Signal()
# registration=<Registration>, actor=<User>: an organiser cancelled someone's registration.
registration_cancelled_by_organiser = Signal()
