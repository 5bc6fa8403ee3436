from django.db import migrations

from gridgov.core.migration_ops import collate_c


class Migration(migrations.Migration):
    dependencies = [("party", "0001_initial")]

    operations = [
        collate_c("party_partyorg", "area_path", 20),
        collate_c("party_orgcoverage", "area_path", 20),
        collate_c("party_orgchange", "area_path", 20),
        collate_c("party_partymember", "area_path", 20),
        collate_c("party_centralhousehold", "area_path", 20),
        collate_c("party_servedhousehold", "area_path", 20),
        collate_c("party_buildingleader", "area_path", 20),
    ]
