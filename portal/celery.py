"""The Celery app. Without REDIS_URL the settings make every task run in-process (eagerly)."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The beat schedule lives here, in code. Crontabs are read in CELERY_TIMEZONE, which is the
# portal's TIME_ZONE (default Asia/Shanghai), so "09:00" is nine in the morning at the group.
# Tasks are named by string: this module is imported before Django is set up.
app.conf.beat_schedule = {
    "reporting-open-periods": {
        "task": "reporting.tasks.open_periods",
        "schedule": crontab(hour=0, minute=10),
    },
    # The cockpit's nightly full recompute from the records (colours move with the date too).
    "dashboard-rollup-full": {
        "task": "dashboard.tasks.rollup_full",
        "schedule": crontab(hour=1, minute=30),
    },
    # Brings back the incremental rollup after a worker was killed: marks its run abandoned and
    # schedules `rollup_pending` while projects wait (dashboard.services.sweep). Cheap when idle.
    "dashboard-rollup-sweep": {
        "task": "dashboard.tasks.rollup_sweep",
        "schedule": 60.0,
        "options": {"expires": 60},  # sweeps that waited for a worker a minute are dropped
    },
    "reporting-send-reminders": {
        "task": "reporting.tasks.send_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
}
