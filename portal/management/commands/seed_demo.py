import datetime
import random
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal import demo
from portal.models import Organisation


class Command(BaseCommand):
    help = (
        "Create the demo group: organisations, one user per role (password 'portal-demo') and "
        "the records of every app, deterministically from a seed. Does nothing if the demo "
        "group is already there, unless --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
        parser.add_argument(
            "--projects",
            type=int,
            default=96,
            help="number of projects (default 96; 10000 for benchmarks)",
        )
        parser.add_argument(
            "--months",
            type=int,
            default=demo.MONTHS,
            help=(
                f"months of reporting history, this month included (default {demo.MONTHS}; "
                "100 with --projects 10000 makes the benchmark's million reports)"
            ),
        )
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="the date the data is generated around (default: today)",
        )
        parser.add_argument(
            "--reset", action="store_true", help="empty the whole database first (manage.py flush)"
        )

    def handle(self, *args, seed, projects, months, today, reset, **options):
        from django.utils import timezone

        if projects < 1:
            raise CommandError("--projects must be at least 1.")
        if months < 2:
            raise CommandError("--months must be at least 2.")
        if Organisation.objects.exists() and not reset:
            self.stdout.write("The demo data is already there; nothing to do (use --reset).")
            return
        started = time.monotonic()
        ctx = demo.DemoContext(
            rng=random.Random(seed),
            today=today or timezone.localdate(),
            projects=projects,
            months=months,
            log=self.stdout.write,
        )
        if reset:
            call_command("flush", interactive=False, verbosity=0)
        with transaction.atomic():
            for step in demo.steps():
                self.stdout.write(f"{step.name}:")
                step.run(ctx)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready in {time.monotonic() - started:.1f}s (seed {seed}, today "
                f"{ctx.today}, {months} months). Log in with any demo user and the password "
                f"'{demo.DEMO_PASSWORD}'."
            )
        )
