from django.db import migrations

from gridgov.workforce.reference import ensure_defaults


def add_defaults(apps, schema_editor):
    ensure_defaults(
        apps.get_model("workforce", "SalaryScale"),
        apps.get_model("workforce", "SalaryRate"),
        apps.get_model("workforce", "QuotaRule"),
    )


class Migration(migrations.Migration):
    dependencies = [("workforce", "0002_path_collation")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
