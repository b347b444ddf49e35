from django.core.management.base import BaseCommand

from preliminary.services import checklists_ensure_all


class Command(BaseCommand):
    help = (
        "Give every project the permit items it needs from the catalogue (idempotent: only "
        "missing items are created)."
    )

    def handle(self, *args, **options):
        made = checklists_ensure_all()
        self.stdout.write(f"{made} permit items created.")
