from django.db import migrations

from gridgov.core.migration_ops import collate_c


class Migration(migrations.Migration):
    dependencies = [("property", "0001_initial")]

    operations = [
        collate_c(f"property_{table}", "area_path", 20)
        for table in (
            "propertycompany",
            "estate",
            "servicecontract",
            "monthlyscore",
            "survey",
            "talk",
            "elimination",
            "roundtable",
        )
    ]
