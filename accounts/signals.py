"""Signals from code we don't own (allauth) turned into our own service calls."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .middleware import LAST_ACTIVITY, LOGGED_IN_AT


@receiver(user_logged_in)
def start_session_clock(sender, request, user, **kwargs):
    import time

    now = time.time()
    request.session[LOGGED_IN_AT] = now
    request.session[LAST_ACTIVITY] = now
