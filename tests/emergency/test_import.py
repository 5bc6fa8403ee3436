"""Responder import: all rows or none, every bad row listed; an employer registers its own staff."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from gridgov.core.services import ImportRejected
from gridgov.emergency import services
from gridgov.emergency.models import Responder
from tests.factories import unique_id_number

pytestmark = pytest.mark.django_db
HEADERS = [
    "类别",
    "姓名",
    "身份证号",
    "手机号",
    "单位代码",
    "报到社区代码",
    "住址X(米)",
    "住址Y(米)",
    "技能",
    "健康限制岗位",
]


def _sheet(rows) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    return buf


def _row(community, **kw):
    row = {
        "kind": "下沉干部",
        "name": "张伟",
        "id": unique_id_number(),
        "phone": "13900139000",
        "unit": "ORG001",
        "code": community.code,
        "x": 100,
        "y": 200,
        "skills": "医疗救护、驾驶",
        "restricted": "",
    }
    row.update(kw)
    return list(row.values())


def test_import_good_file(users, emergency):
    before = Responder.objects.unscoped("t").count()
    c = emergency.communities[0]
    result = services.import_responders(
        users["street"], _sheet([_row(c), _row(c, skills="心理疏导", restricted="驾驶")])
    )
    assert result.responders == 2
    assert Responder.objects.unscoped("t").count() == before + 2
    r = Responder.objects.unscoped("t").order_by("-id").first()
    assert r.skill_list == ["psych"] and r.restricted_skills and r.phone_masked.startswith("139")


def test_bad_rows_reject_the_file(users, emergency):
    before = Responder.objects.unscoped("t").count()
    c, outside = emergency.communities[0], emergency.communities[2]
    dup = unique_id_number()
    rows = [
        _row(c, id="110105199001011234"),  # bad check digit
        _row(c, unit="NOPE"),  # unknown employer unit
        _row(outside),  # another street's community
        _row(c, skills="飞行"),
        _row(c, id=dup),
        _row(c, id=dup),
        _row(c, kind="外星人", x="东边"),
    ]
    with pytest.raises(ImportRejected) as exc:
        services.import_responders(users["street"], _sheet(rows))
    lines = {(e.line, e.field) for e in exc.value.errors}
    assert {
        (2, "身份证号"),
        (3, "单位代码"),
        (4, "报到社区代码"),
        (5, "技能"),
        (7, "身份证号"),
        (8, "类别"),
        (8, "住址X(米)"),
    } <= lines
    assert Responder.objects.unscoped("t").count() == before


def test_employer_registers_only_its_own_staff(users, emergency, city):
    other = services.create_employer(users["city_admin"], name="市卫健委", code="ORG002", area=city.city)
    c = emergency.communities[0]
    with pytest.raises(ImportRejected):
        services.import_responders(users["street"], _sheet([_row(c, unit="ORG001")]), employer=other)
    result = services.import_responders(users["street"], _sheet([_row(c, unit="")]), employer=other)
    assert result.responders == 1


def test_export_masks_numbers(users, emergency):
    data = services.export_responders(users["street"], Responder.objects.visible_to(users["street"]))
    ws = load_workbook(io.BytesIO(data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][2] == "身份证号" and "*" in rows[1][2]
    assert len(rows) - 1 == Responder.objects.visible_to(users["street"]).count()


def test_unauthorised_import(users, emergency):
    with pytest.raises(services.NotAllowed):
        services.import_responders(users["grid_worker"], _sheet([_row(emergency.communities[0])]))
