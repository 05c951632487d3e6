from django.core.management.base import BaseCommand

from notifications.emails import send_digests


class Command(BaseCommand):
    help = ("Mail each user one digest of their unread 'daily digest' notifications, grouped "
            "by region. Safe to run twice or from two hosts: nothing is sent twice. "
            "Run it from cron once a day, e.g. `0 7 * * * manage.py send_digests`.")

    def handle(self, *args, **options):
        sent = send_digests()
        self.stdout.write(f"{sent} digest(s) sent")
