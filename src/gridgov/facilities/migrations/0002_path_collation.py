from django.db import migrations

from gridgov.core.migration_ops import collate_c


class Migration(migrations.Migration):
    dependencies = [("facilities", "0001_initial")]

    operations = [
        collate_c("facilities_facility", "area_path", 20),
        collate_c("facilities_candidatesite", "area_path", 20),
        collate_c("facilities_walknetwork", "area_path", 20),
        collate_c("facilities_coveragerun", "area_path", 20),
        collate_c("facilities_buildingaccess", "area_path", 20),
    ]
