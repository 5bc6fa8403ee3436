from django.db import migrations

from gridgov.core.migration_ops import collate_c


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [collate_c("core_auditevent", "area_path", 32)]
