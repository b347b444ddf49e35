"""Excel imports moved to the base (portal.excel): a row of an import names its record
`record_id`, in every app, where reporting's said `report_id`. Renames the key in the rows
already stored, so that an upload previewed before the change still commits after it."""

from django.db import migrations


def _rename(apps, old: str, new: str) -> None:
    ReportImport = apps.get_model("reporting", "ReportImport")
    for batch in ReportImport.objects.only("pk", "rows").iterator(chunk_size=500):
        if not any(old in row for row in batch.rows):
            continue
        batch.rows = [
            {(new if key == old else key): value for key, value in row.items()}
            for row in batch.rows
        ]
        batch.save(update_fields=["rows"])


def forwards(apps, schema_editor):
    _rename(apps, "report_id", "record_id")


def backwards(apps, schema_editor):
    _rename(apps, "record_id", "report_id")


class Migration(migrations.Migration):
    dependencies = [("reporting", "0003_remove_reminderlog")]

    operations = [migrations.RunPython(forwards, backwards)]
