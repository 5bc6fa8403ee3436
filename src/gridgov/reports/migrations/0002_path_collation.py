from django.db import migrations

from gridgov.core.migration_ops import collate_c


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [collate_c("reports_indicatorsnapshot", "area_path", 20)]
