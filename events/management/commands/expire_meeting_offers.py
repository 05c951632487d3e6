"""Offered places not accepted in time go to the next person on the waiting list. Run every
few minutes by a timer (docs/deploy.md); idempotent, so an overlapping or repeated run is
harmless."""

from django.core.management.base import BaseCommand

from events import services


class Command(BaseCommand):
    help = "End the waiting-list offers whose deadline has passed and offer their places on."

    def handle(self, *args, **options):
        ended = services.expire_offers()
        if ended or options["verbosity"] > 1:
            self.stdout.write(f"{ended} expired offer(s) ended.")
