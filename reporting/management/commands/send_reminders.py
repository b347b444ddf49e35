import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from reporting.reminders import reminders_send


class Command(BaseCommand):
    help = (
        "Send a day's reminder e-mails: forms due soon or overdue to their reporters and "
        "managers, forms waiting for review to the centre's officers (what the Celery beat job "
        "does daily). Nothing is sent twice for the same form, person and day."
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
