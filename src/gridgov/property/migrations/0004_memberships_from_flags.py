"""Data: the alliance flag of each company becomes a membership of its street's red-property party
alliance, and each company's standards list becomes its first standards check.

A flagged company whose street has no active alliance gets one created under the street's party working
committee (named after the street); with no committee either, the flag cannot be placed and the company
is counted in the migration's output (re-join it from the alliance page). Reversing turns open alliance
memberships back into the flag."""

from django.db import migrations

STREET_PATH = 9  # the path length of a street (areas.models.PATH_LENGTH)


def forwards(apps, schema_editor):
    Company = apps.get_model("property", "PropertyCompany")
    Membership = apps.get_model("property", "OrgMembership")
    Check = apps.get_model("property", "StandardsCheck")
    PartyOrg = apps.get_model("party", "PartyOrg")
    Area = apps.get_model("areas", "Area")
    alliances: dict[str, object] = {}
    unplaced = 0
    for company in Company._base_manager.filter(in_alliance=True).order_by("pk"):
        street = company.area_path[:STREET_PATH]
        if street not in alliances:
            org = PartyOrg._base_manager.filter(
                kind="property_alliance", area_path=street, is_active=True
            ).first()
            if org is None:
                committee = PartyOrg._base_manager.filter(
                    kind="street_committee", area_path=street, is_active=True
                ).first()
                area = Area._base_manager.filter(path=street).first()
                if committee is not None and area is not None:
                    org = PartyOrg._base_manager.create(
                        name=f"{area.name}红色物业党建联盟",
                        kind="property_alliance",
                        parent=committee,
                        area=area,
                        area_path=street,
                    )
            alliances[street] = org
        org = alliances[street]
        if org is None or len(company.area_path) < STREET_PATH:
            unplaced += 1
            continue
        if Membership._base_manager.filter(org=org, company=company, left_on__isnull=True).exists():
            continue  # already a member (a migration run again after reversing)
        Membership._base_manager.create(
            org=org,
            company=company,
            area_path=org.area_path,
            joined_on=company.alliance_joined_on or company.created_at.date(),
            note="由原“加入党建联盟”标记迁移",
        )
    codes = [f"s{i:02d}" for i in range(1, 11)]
    checks = []
    for company in (
        Company._base_manager.exclude(standards_met=[]).filter(standards_checks=None).order_by("pk")
    ):
        met = set(company.standards_met or [])
        checks.append(
            Check(
                company=company,
                area_path=company.area_path,
                checked_on=company.updated_at.date(),
                results=[{"code": c, "met": c in met, "note": ""} for c in codes],
            )
        )
    Check._base_manager.bulk_create(checks, batch_size=2000)
    if unplaced:
        print(
            f"\n  property: {unplaced} 家企业的入盟标记无法落到街道党建联盟(该街道无党工委),请在联盟页面重新加入"
        )


def backwards(apps, schema_editor):
    Company = apps.get_model("property", "PropertyCompany")
    Membership = apps.get_model("property", "OrgMembership")
    for row in Membership._base_manager.filter(org__kind="property_alliance", left_on__isnull=True):
        Company._base_manager.filter(pk=row.company_id).update(
            in_alliance=True, alliance_joined_on=row.joined_on
        )


class Migration(migrations.Migration):
    dependencies = [
        ("property", "0003_standards_checks_and_memberships"),
        ("party", "0003_property_org_kinds"),
        ("areas", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
