# Reminders moved to the base (portal.notifications): the report-only ReminderLog goes. What it
# recorded as sent is kept as the base's mail claims, so the day of the upgrade sends no mail
# twice (the kind "review_waiting" is now "waiting_review").

from django.db import migrations

KINDS = {"due_soon": "due_soon", "overdue": "overdue", "review_waiting": "waiting_review"}


def logs_to_claims(apps, schema_editor):
    ReminderLog = apps.get_model("reporting", "ReminderLog")
    ReminderClaim = apps.get_model("portal", "ReminderClaim")
    claims = [
        ReminderClaim(
            key=f"reporting.progressreport:{log.report_id}",
            recipient_id=log.recipient_id,
            kind=f"{KINDS.get(log.kind, log.kind)}:mail",
            day=log.day,
        )
        for log in ReminderLog.objects.all().iterator()
    ]
    ReminderClaim.objects.bulk_create(claims, batch_size=1000, ignore_conflicts=True)


class Migration(migrations.Migration):

    dependencies = [
        ('reporting', '0002_workflow_kit'),
        ('portal', '0002_notifications'),
    ]

    operations = [
        migrations.RunPython(logs_to_claims, migrations.RunPython.noop),
        migrations.DeleteModel(
            name='ReminderLog',
        ),
    ]
