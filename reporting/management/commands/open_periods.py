import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from reporting.services import periods_ensure


class Command(BaseCommand):
    help = (
        "Open the reporting periods containing a day and make every active project's form "
        "(what the Celery beat job does daily). Safe to run any number of times."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="the day, YYYY-MM-DD (default: today)",
        )

    def handle(self, *args, today, **options):
        made = periods_ensure(today=today or timezone.localdate())
        for code, count in made.items():
            self.stdout.write(f"{code}: {count} forms made")
