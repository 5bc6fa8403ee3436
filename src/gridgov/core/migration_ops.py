"""Migration helpers shared by apps."""

from django.db import migrations


def collate_c(table: str, column: str, length: int) -> migrations.RunPython:
    """Byte-order collation for area-path columns on PostgreSQL (SQLite compares bytes already).

    Subtree range scans (path >= p AND path < p || ':') rely on byte order; a locale collation
    such as zh_CN.UTF-8 may ignore punctuation and break the upper bound.
    """

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE varchar({length}) COLLATE "C"'
            )

    return migrations.RunPython(forward, migrations.RunPython.noop, elidable=False)
