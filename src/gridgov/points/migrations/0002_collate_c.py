from django.db import migrations

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


def collate_c(table: str, column: str, length: int) -> migrations.RunPython:
    """Byte-order collation for an area-path column on PostgreSQL (SQLite compares bytes already).

    A frozen copy of what `gridgov.core.migration_ops.collate_c` did when this migration was written: a
    migration never imports live code, so a later change there cannot change what this one does.
    """

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE varchar({length}) COLLATE "C"'
            )

    return migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)


class Migration(migrations.Migration):
    dependencies = [("points", "0001_initial")]

    operations = [collate_c(table, column, 20) for table, column in TABLES]
