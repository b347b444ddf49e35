import datetime
import time

from django.core.management.base import BaseCommand

from dashboard import services


class Command(BaseCommand):
    help = (
        "Recompute the cockpit's rollups from the records, without Celery: everything (the "
        "nightly job), or only the queued changes with --pending."
    )

    def add_arguments(self, parser):
        parser.add_argument("--pending", action="store_true",
                            help="only the projects queued by recent changes")  # fmt: skip
        parser.add_argument("--today", type=datetime.date.fromisoformat, default=None,
                            help="the date the colours are judged on (default: today)")  # fmt: skip

    def handle(self, *args, pending, today, **options):
        started = time.monotonic()
        run = services.run_pending(today) if pending else services.rollup_full(today)
        projects = run.projects if run else 0
        self.stdout.write(self.style.SUCCESS(
            f"Rollup done: {projects} projects in {time.monotonic() - started:.2f}s."
        ))  # fmt: skip
