"""Capacity is a hard promise: registrations arriving at once, each on a database connection
of its own, never give a meeting (or a session) more confirmed participants than places, and
the waiting list keeps the order in which they arrived. Real concurrency needs PostgreSQL
(SQLite runs one writing transaction at a time anyway)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from events import selectors, services
from events.models import Registration
from tests.events.conftest import make_meeting
from tests.factories import make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _all_at_once(calls) -> list:
    """Run each call on a thread of its own, all released together; the result or exception
    of each, in the order of `calls`. Each thread has a connection of its own from the
    process's pool (DB_POOL_MAX, 20 by default: the rest wait their turn for one, as the
    requests of one server process do)."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(30)
            outcomes[index] = call()
        except Exception as error:  # noqa: BLE001 - each outcome is asserted on
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, call))
               for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def _register(user, meeting, **kwargs):
    return lambda: services.register(actor=user, meeting=meeting, **kwargs)


def test_fifty_at_once_for_ten_places_confirms_exactly_ten_and_queues_the_rest_in_order():
    meeting = make_meeting(capacity=10)
    people = [make_user() for _ in range(50)]
    outcomes = _all_at_once([_register(person, meeting) for person in people])
    assert all(isinstance(outcome, Registration) for outcome in outcomes), outcomes

    rows = list(Registration.objects.filter(meeting=meeting).order_by("position"))
    assert [row.position for row in rows] == list(range(1, 51))
    assert [row.status for row in rows] == ["confirmed"] * 10 + ["waiting"] * 40
    # Arrival order is the order in which they got the meeting's turn: written in that order.
    assert [row.created_at for row in rows] == sorted(row.created_at for row in rows)
    waiting = list(selectors.list_waiting(meeting=meeting))
    assert [selectors.waiting_list_position(registration=row) for row in waiting] == \
        list(range(1, 41))
    assert {row.user_id for row in rows} == {person.pk for person in people}


def test_two_tabs_registering_at_once_make_one_registration():
    meeting = make_meeting(capacity=10)
    member = make_user()
    outcomes = _all_at_once([_register(member, meeting) for _ in range(4)])
    assert all(isinstance(outcome, Registration) for outcome in outcomes), outcomes
    assert len({outcome.pk for outcome in outcomes}) == 1
    assert Registration.objects.filter(meeting=meeting).count() == 1


def test_cancellations_and_registrations_at_once_never_overbook_and_serve_the_list_first():
    meeting = make_meeting(capacity=10)
    holders = [services.register(actor=make_user(), meeting=meeting) for _ in range(10)]
    waiting = [services.register(actor=make_user(), meeting=meeting) for _ in range(5)]
    newcomers = [make_user() for _ in range(20)]
    leaving = holders[:5]
    calls = [(lambda r=r: services.cancel_registration(actor=r.user, registration=r))
             for r in leaving] + [_register(person, meeting) for person in newcomers]
    outcomes = _all_at_once(calls)
    assert all(isinstance(outcome, Registration) for outcome in outcomes), outcomes

    by_status = {}
    for row in Registration.objects.filter(meeting=meeting):
        by_status.setdefault(row.status, set()).add(row.user_id)
    assert by_status["cancelled"] == {r.user_id for r in leaving}
    # The five who waited got the freed places, whoever else arrived meanwhile.
    assert by_status["confirmed"] == {r.user_id for r in holders[5:] + waiting}
    assert by_status["waiting"] == {person.pk for person in newcomers}
    queue = list(selectors.list_waiting(meeting=meeting))
    assert [row.position for row in queue] == sorted(row.position for row in queue)


def test_a_session_with_five_places_gets_five_of_twenty_arriving_at_once():
    organiser = make_user(staff=True, mfa=True)
    meeting = make_meeting(organiser=organiser)  # unlimited: only the session is scarce
    workshop = services.add_programme_item(
        actor=organiser, meeting=meeting, title="Workshop veenweide", is_session=True,
        capacity=5, starts_at=meeting.starts_at, ends_at=meeting.ends_at)
    outcomes = _all_at_once([_register(make_user(), meeting, sessions=[workshop.pk])
                             for _ in range(20)])
    registered = [outcome for outcome in outcomes if isinstance(outcome, Registration)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, ValidationError)]
    assert (len(registered), len(refused)) == (5, 15), outcomes
    assert all("sessions" in error.error_dict for error in refused)
    assert workshop.registrations.filter(status="confirmed").count() == 5
    assert Registration.objects.filter(meeting=meeting).count() == 5
