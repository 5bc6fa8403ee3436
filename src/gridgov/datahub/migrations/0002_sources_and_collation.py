"""The four departments and ten sources (the same codes and names as datahub.sources, which a migration
may not import; tests/datahub/test_exchange.py checks they agree), and byte-order path columns."""

from django.db import migrations

from gridgov.core.migration_ops import collate_c

DEPARTMENTS = [
    ("civil_affairs", "民政"),
    ("housing", "住建"),
    ("political_legal", "政法"),
    ("public_security", "公安"),
]
SOURCES = [
    ("ps_household", "公安户籍人口", "public_security", "常住户籍人口,每人一行"),
    ("ps_floating", "公安流动人口", "public_security", "登记的流动人口,每人一行"),
    ("housing_property", "房产登记", "housing", "个人名下房产,每证一行"),
    ("housing_rental", "房屋租赁", "housing", "备案的租赁合同,每合同一行"),
    ("vehicle", "车辆登记", "public_security", "个人名下机动车,每车一行"),
    ("ca_subsistence", "低保", "civil_affairs", "低保对象(申请人),每户一行"),
    ("ca_disability", "残疾人", "civil_affairs", "持证残疾人,每人一行"),
    ("ca_death", "死亡登记", "civil_affairs", "死亡人员登记(火化、医学死亡证明),每人一行"),
    ("staff", "工作人员名册", "political_legal", "社区工作者、专职网格员名册,每人一行"),
    ("liaison", "联系挂包", "political_legal", "干部、两委成员联系包保的住户,每户一行"),
]
TABLES = [
    "datahub_batch",
    "datahub_run",
    "datahub_finding",
    "datahub_suppression",
    "datahub_runtally",
    "datahub_pshousehold",
    "datahub_psfloating",
    "datahub_housingproperty",
    "datahub_housingrental",
    "datahub_vehiclerecord",
    "datahub_casubsistence",
    "datahub_cadisability",
    "datahub_cadeath",
    "datahub_staffrecord",
    "datahub_liaisonrecord",
]


def seed(apps, schema_editor):
    Department = apps.get_model("datahub", "Department")
    Source = apps.get_model("datahub", "Source")
    departments = {}
    for code, name in DEPARTMENTS:
        departments[code], _ = Department.objects.update_or_create(code=code, defaults={"name": name})
    for sort, (code, name, dept, description) in enumerate(SOURCES, start=1):
        Source.objects.update_or_create(
            code=code,
            defaults={"name": name, "department": departments[dept], "description": description, "sort": sort},
        )


class Migration(migrations.Migration):
    dependencies = [("datahub", "0001_initial")]

    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        *(collate_c(table, "area_path", 20) for table in TABLES),
    ]
