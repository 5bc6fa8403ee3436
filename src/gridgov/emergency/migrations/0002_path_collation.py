from django.db import migrations

from gridgov.core.migration_ops import collate_c

TABLES = [
    "emergency_responder",
    "emergency_grouptemplate",
    "emergency_workgroup",
    "emergency_activation",
    "emergency_post",
    "emergency_acknowledgement",
    "emergency_readiness",
]


class Migration(migrations.Migration):
    dependencies = [("emergency", "0001_initial")]

    operations = [collate_c(table, "area_path", 20) for table in TABLES]
