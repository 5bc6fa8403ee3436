from django.db import migrations

from gridgov.core.migration_ops import collate_c


class Migration(migrations.Migration):
    dependencies = [("workforce", "0001_initial")]

    operations = [
        collate_c("workforce_staff", "area_path", 20),
        collate_c("workforce_positionrecord", "area_path", 20),
        collate_c("workforce_certificate", "area_path", 20),
        collate_c("workforce_successor", "area_path", 20),
        collate_c("workforce_studio", "area_path", 20),
        collate_c("workforce_salon", "area_path", 20),
        collate_c("workforce_training", "area_path", 20),
        collate_c("workforce_competition", "area_path", 20),
        collate_c("workforce_competitionround", "area_path", 20),
        collate_c("workforce_presentation", "area_path", 20),
        collate_c("workforce_evaluation", "area_path", 20),
        collate_c("workforce_replacement", "area_path", 20),
        collate_c("workforce_gridassignment", "area_path", 20),
        collate_c("workforce_gradechange", "area_path", 20),
        collate_c("workforce_payroll", "area_path", 20),
        collate_c("workforce_payrollline", "area_path", 20),
    ]
