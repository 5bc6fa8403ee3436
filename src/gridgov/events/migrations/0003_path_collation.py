from django.db import migrations

from gridgov.core.migration_ops import collate_c
from gridgov.events.reference import ensure_default_categories


def add_categories(apps, schema_editor):
    ensure_default_categories(apps.get_model("events", "Category"))


class Migration(migrations.Migration):
    dependencies = [("events", "0002_initial")]

    operations = [
        collate_c("events_event", "area_path", 20),
        collate_c("events_dispatchrule", "area_path", 20),
        collate_c("events_patrollog", "area_path", 20),
        collate_c("events_gridcouncil", "area_path", 20),
        migrations.RunPython(add_categories, migrations.RunPython.noop),
    ]
