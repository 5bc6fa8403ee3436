from django.db import migrations

from gridgov.core.migration_ops import collate_c
from gridgov.people.reference import ensure_default_tags

def add_tags(apps, schema_editor):
    ensure_default_tags(apps.get_model("people", "Tag"))


class Migration(migrations.Migration):
    dependencies = [("people", "0001_initial")]

    operations = [
        collate_c("people_household", "area_path", 20),
        collate_c("people_resident", "area_path", 20),
        migrations.RunPython(add_tags, migrations.RunPython.noop),
    ]
