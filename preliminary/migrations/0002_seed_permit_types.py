"""The national approval sequence of DOMAIN.md §1 (preliminary/catalogue.py) as the
catalogue's first rows; running it on a database that has them changes nothing."""

from django.db import migrations


def seed(apps, schema_editor):
    from preliminary.catalogue import ensure

    ensure(apps.get_model("preliminary", "PermitType"))


class Migration(migrations.Migration):
    dependencies = [("preliminary", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
