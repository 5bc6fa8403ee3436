from django.db import migrations

from gridgov.core.migration_ops import collate_c

TABLES = [
    ("points_account", "area_path"),
    ("points_transaction", "area_path"),
    ("points_entry", "area_path"),
    ("points_merchant", "area_path"),
    ("points_scenario", "area_path"),
    ("points_redemption", "area_path"),
    ("points_redemption", "merchant_path"),
    ("points_onetimecode", "area_path"),
    ("points_activity", "area_path"),
    ("points_participation", "area_path"),
    ("points_participation", "resident_path"),
    ("points_earningrule", "area_path"),
    ("points_staffaward", "area_path"),
    ("points_performancepay", "area_path"),
]


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]

    operations = [collate_c(table, column, 20) for table, column in TABLES]
