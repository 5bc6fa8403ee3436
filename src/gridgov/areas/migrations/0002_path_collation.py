from django.db import migrations

from gridgov.core.migration_ops import collate_c


class Migration(migrations.Migration):
    dependencies = [("areas", "0001_initial")]

    operations = [
        collate_c("areas_area", "path", 20),
        collate_c("areas_area", "code", 20),
        collate_c("areas_areachange", "area_path", 20),
    ]
