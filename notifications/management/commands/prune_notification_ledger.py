from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from notifications.models import DeliveredEvent

BATCH = 10_000


class Command(BaseCommand):
    help = ("Forget which events were notified more than --days days ago (default 7). The "
            "ledger only stops a retried task from notifying twice, and a task is retried for "
            "at most a few hours, so older keys are dead weight. Run it daily from cron.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7)

    def handle(self, *args, **options):
        days = max(1, options["days"])
        cutoff = timezone.now() - timedelta(days=days)
        removed = 0
        while True:  # in batches: no long lock on a busy table
            ids = list(DeliveredEvent.objects.filter(created_at__lt=cutoff)
                       .values_list("pk", flat=True)[:BATCH])
            if not ids:
                break
            removed += DeliveredEvent.objects.filter(pk__in=ids).delete()[0]
        self.stdout.write(f"{removed} ledger key(s) older than {days} day(s) removed")
