import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from portal.notifications import reminders_send


class Command(BaseCommand):
    help = (
        "Send a day's reminders, of every app's registered sources (what the Celery beat job "
        "does daily): e-mails and in-app notifications, e.g. forms due soon or overdue to their "
        "reporters and managers, forms waiting for review to the centre's officers. Nothing is "
        "sent twice for the same item, person and day."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="the day, YYYY-MM-DD (default: today)",
        )

    def handle(self, *args, today, **options):
        sent = reminders_send(today=today or timezone.localdate())
        self.stdout.write(", ".join(f"{kind}: {count}" for kind, count in sent.items()))
