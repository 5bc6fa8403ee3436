"""Everyday use (issue 10): the report and patrol forms as rendered (one labelled field per row, errors
under the field, every category), the hierarchical place picker and its default, the labelled and
pre-selected dispatch form, the queue's full dates and places, the escalation ladder over long delays
(service and generator), one number format, the detail page, and the queue's xlsx export."""

from __future__ import annotations

import datetime as dt
import io
import random
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from gridgov.accounts.roles import Role
from gridgov.core.models import AuditEvent
from gridgov.events import demo, services, sla
from gridgov.events.models import (
    AssigneeKind,
    Category,
    DispatchRule,
    Event,
    EventTransition,
    PatrolLog,
    State,
)
from gridgov.points import services as points_services

from ..factories import UserFactory
from .conftest import NOW, SYSTEM, report, to_state

pytestmark = pytest.mark.django_db

NUMBER = re.compile(r"^SJ\d{8}\d{7}$")


def _fields(html: str) -> dict[str, str]:
    """{field name: the html of its row} for the `.field` rows of a form."""
    rows = re.findall(r'<div class="field[^"]*" data-field="([^"]+)">(.*?)</div>', html, re.S)
    return dict(rows)


def _selected(html: str, select_id: str) -> str | None:
    block = re.search(rf'<select[^>]* id="{select_id}".*?</select>', html, re.S)
    assert block, select_id
    chosen = re.search(r'<option value="([^"]*)" selected', block.group(0))
    return chosen.group(1) if chosen else None


def _options(html: str, select_id: str) -> list[str]:
    block = re.search(rf'<select[^>]* id="{select_id}".*?</select>', html, re.S)
    assert block, select_id
    return re.findall(r"<option[^>]*>([^<]*)</option>", block.group(0))


# --- the report form ---------------------------------------------------------------------------------
def test_report_form_has_one_labelled_field_per_row(client_for):
    html = client_for("resident").get(reverse("events:report")).content.decode()
    rows = _fields(html)
    for name in ("category", "title", "address", "description", "photos"):
        assert name in rows, name
        label = re.search(r'<label for="([^"]+)"', rows[name])
        assert label, name
        # the label names the input of its own row (not the next field's)
        assert f'id="{label.group(1)}"' in rows[name], name
    assert "标题" in rows["title"] and "具体位置" not in rows["title"]


def test_report_form_offers_every_category_including_top_level_ones(client_for):
    html = client_for("resident").get(reverse("events:report")).content.decode()
    offered = _options(html, "id_category")
    for name in ("邻里纠纷", "其他", "电梯故障", "垃圾清运"):
        assert name in offered, name
    # a parent with children is a group label, not something to file under
    assert "物业服务" not in offered and 'optgroup label="物业服务"' in html


def test_resident_reports_a_neighbour_dispute(city, users, client_for):
    dispute = Category.objects.get(code="dispute")
    r = client_for("resident").post(
        reverse("events:report"),
        {"category": dispute.pk, "title": "楼上噪音", f"place_{7}": city.unit_a.pk},
    )
    assert r.status_code == 302
    event = Event.objects.visible_to(users["resident"]).get(title="楼上噪音")
    assert event.category == dispute and event.area == city.unit_a


def test_report_errors_show_under_their_field_and_change_nothing(city, client_for):
    client = client_for("resident")
    before = (Event.objects.unscoped("t").count(), AuditEvent.objects.count())
    r = client.post(reverse("events:report"), {"category": "", "title": "", "place_7": city.unit_a.pk})
    html = r.content.decode()
    assert r.status_code == 200
    rows = _fields(html)
    assert 'data-testid="error-title"' in rows["title"]
    assert 'data-testid="error-category"' in rows["category"]
    assert 'data-testid="error-address"' not in html
    for bad in ("abc", "999999999"):
        r = client.post(
            reverse("events:report"),
            {"category": Category.objects.get(code="other").pk, "title": "x", "place_7": bad},
        )
        assert r.status_code == 200 and 'data-testid="error-place"' in r.content.decode(), bad
    r = client.post(reverse("events:report"), {"category": "nonsense", "title": "x"})
    assert r.status_code == 200 and 'data-testid="error-category"' in r.content.decode()
    assert (Event.objects.unscoped("t").count(), AuditEvent.objects.count()) == before


def test_report_place_outside_the_community_is_404(city, client_for):
    other = Category.objects.get(code="other")
    client = client_for("resident")
    r = client.post(
        reverse("events:report"), {"category": other.pk, "title": "x", "place_7": city.units[2].pk}
    )
    assert r.status_code == 404
    assert not Event.objects.unscoped("t").filter(title="x").exists()


# --- the place picker --------------------------------------------------------------------------------
def test_picker_defaults_to_the_residents_household_unit(city, client_for):
    # a resident login bound to the grid, linked to the resident record of unit A: the unit is the default
    user = UserFactory(username="resident_g", role=Role.RESIDENT, area=city.grid_a)
    points_services.link_resident(SYSTEM, user, city.resident_a)
    from django.test import Client

    client = Client()
    client.force_login(user)
    html = client.get(reverse("events:report")).content.decode()
    assert _selected(html, "place-5") == str(city.grid_a.pk)
    assert _selected(html, "place-6") == str(city.building_a.pk)
    assert _selected(html, "place-7") == str(city.unit_a.pk)
    assert "东一社区 · 第1网格 · 1号楼 · 1单元" in html


def test_picker_defaults_to_the_grid_workers_grid(city, client_for):
    html = client_for("grid_worker").get(reverse("events:patrol")).content.decode()
    chosen = re.search(r'data-testid="place-chosen">.*?<strong>(.*?)</strong>', html, re.S)
    assert chosen and chosen.group(1) == "东一社区 · 第1网格"
    assert _options(html, "place-6")[1:] == ["1号楼"]  # the grid's buildings, by name


def test_picker_is_hierarchical_and_searchable(city, client_for):
    client = client_for("community_worker")
    url = reverse("events:places")
    # a grid chosen: only its buildings; a building chosen: only its units
    html = client.get(url, {"place_for": "report", "place_5": city.grid_b.pk}).content.decode()
    assert _options(html, "place-6")[1:] == ["1号楼"]
    assert _selected(html, "place-5") == str(city.grid_b.pk)
    html = client.get(
        url, {"place_for": "report", "place_5": city.grid_b.pk, "place_6": city.buildings[1].pk}
    ).content.decode()
    assert _options(html, "place-7")[1:] == ["1单元"]
    # a search finds buildings in every grid of reach, labelled by grid; picking one sets its grid
    html = client.get(
        url, {"place_for": "report", "place_q": "1号楼"}, HTTP_HX_TRIGGER_NAME="place_q"
    ).content
    assert _options(html.decode(), "place-6")[1:] == ["第1网格 · 1号楼", "第2网格 · 1号楼"]
    html = client.get(
        url, {"place_for": "report", "place_q": "1号楼", "place_6": city.buildings[1].pk}
    ).content.decode()
    assert _selected(html, "place-5") == str(city.grid_b.pk)
    # changing the grid drops a building of another grid
    html = client.get(
        url,
        {"place_for": "report", "place_5": city.grid_a.pk, "place_6": city.buildings[1].pk},
        HTTP_HX_TRIGGER_NAME="place_5",
    ).content.decode()
    assert _selected(html, "place-6") is None
    # nothing outside reach, bad values are dropped, a role without the permission is refused
    html = client.get(url, {"place_for": "report", "place_5": city.grids[2].pk, "place_6": "x"}).content
    assert str(city.grids[2].name).encode() not in html
    assert client_for(None).get(url).status_code == 302
    assert client_for("resident").get(url, {"place_for": "patrol"}).status_code == 403
    assert client_for("resident").get(url, {"place_for": "report"}).status_code == 200


def test_patrol_finding_becomes_a_work_order_through_the_picker(city, users, client_for):
    category = Category.objects.get(code="env.garbage")
    client = client_for("grid_worker")
    r = client.post(
        reverse("events:patrol"),
        {
            "kind": "patrol",
            "place_6": city.building_a.pk,
            "place": "东侧",
            "findings": "垃圾堆放",
            "report": "on",
            "category": category.pk,
        },
    )
    assert r.status_code == 302
    log = PatrolLog.objects.visible_to(users["grid_worker"]).get(place="东侧")
    assert log.area == city.building_a and log.event.category == category
    # report ticked without a category or findings: errors under those fields, nothing saved
    r = client.post(reverse("events:patrol"), {"kind": "patrol", "place": "西侧", "report": "on"})
    rows = _fields(r.content.decode())
    assert 'data-testid="error-category"' in rows["category"]
    assert 'data-testid="error-findings"' in rows["findings"]
    assert not PatrolLog.objects.visible_to(users["grid_worker"]).filter(place="西侧").exists()


# --- the dispatch form -------------------------------------------------------------------------------
def _accepted(users, city, loop, category=None, area=None):
    event = services.report_event(
        users["community_worker"],
        category=category or loop["category"],
        title="待派遣",
        area=area or city.unit_a,
        now=NOW,
    )
    return services.accept(users["community_worker"], event, now=NOW)


def test_dispatch_form_is_labelled_and_preselects_the_estates_company(city, users, client_for, loop):
    event = _accepted(users, city, loop)  # 公共设施报修 in building A: the estate of 青山物业
    html = client_for("community_worker").get(reverse("events:detail", args=[event.pk])).content.decode()
    for select_id in ("dispatch-kind", "dispatch-unit", "dispatch-area"):
        assert f'<label for="{select_id}">' in html, select_id
    assert _selected(html, "dispatch-kind") == AssigneeKind.PROPERTY
    assert _selected(html, "dispatch-unit") == str(loop["company"].pk)
    assert "东一小区" in html  # the suggestion says why


def test_dispatch_form_preselects_the_grid_for_a_dispute(city, users, client_for, loop):
    event = _accepted(users, city, loop, category=Category.objects.get(code="dispute"), area=city.units[1])
    html = client_for("community_worker").get(reverse("events:detail", args=[event.pk])).content.decode()
    assert _selected(html, "dispatch-kind") == AssigneeKind.GRID
    assert _selected(html, "dispatch-area") == str(city.grid_b.pk)
    assert "东一社区 · 第2网格" in " ".join(_options(html, "dispatch-area"))


def test_dispatch_form_preselects_the_rules_target(city, users, client_for, loop):
    category = Category.objects.get(code="facility.light")
    DispatchRule.objects.create(
        category=category,
        area=city.communities[0],
        area_path=city.communities[0].path,
        assignee_kind=AssigneeKind.COMMUNITY,
        assignee_area=city.communities[0],
    )
    event = _accepted(users, city, loop, category=category)
    html = client_for("community_worker").get(reverse("events:detail", args=[event.pk])).content.decode()
    assert _selected(html, "dispatch-kind") == AssigneeKind.COMMUNITY
    assert _selected(html, "dispatch-area") == str(city.communities[0].pk)
    assert "派遣规则" in html


# --- queue, detail, numbers --------------------------------------------------------------------------
def test_queue_shows_full_dates_and_full_places(city, users, client_for, loop):
    old = report(users, city, loop, who="community_worker", now=NOW - dt.timedelta(days=400))
    html = client_for("community_worker").get(reverse("events:queue")).content.decode()
    row = re.search(rf'<tr[^>]*data-event="{old.number}".*?</tr>', html, re.S).group(0)
    assert old.accept_due.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M") in row
    assert "东一社区 · 第1网格 · 1号楼 · 1单元" in row


def test_detail_facts_are_a_definition_table_without_an_empty_duplicates_box(city, users, client_for, loop):
    def now_report():
        return services.report_event(
            users["community_worker"], category=loop["category"], title="楼道灯坏了", area=city.unit_a
        )

    event = now_report()
    client = client_for("community_worker")
    html = client.get(reverse("events:detail", args=[event.pk])).content.decode()
    assert '<dl class="fields" data-testid="facts">' in html
    assert "附近可能的重复事件" not in html  # the only candidate is the event itself
    twin = now_report()
    html = client.get(reverse("events:detail", args=[twin.pk])).content.decode()
    assert "附近可能的重复事件" in html and event.number in html


def test_numbers_have_one_format(city, users, loop):
    event = report(users, city, loop)
    assert NUMBER.match(event.number) and event.number == services.event_number(event.reported_at, event.pk)


def test_generated_orders_have_the_same_number_format(city, users, loop):
    """The generator's bulk-inserted orders are numbered like the service's (date + id), not D-numbers."""
    import sys

    from gridgov.areas.models import Level
    from gridgov.demo.context import AreaStub, CityContext

    def stub(area):
        return AreaStub(area.pk, area.level, area.path, area.code, area.name, area.parent_id, 0.0, 0.0)

    ctx = CityContext(scale=0.001, seed=1, stdout=sys.stdout, quiet=True)
    ctx.areas = {
        Level.STREET: [stub(a) for a in city.streets],
        Level.COMMUNITY: [stub(a) for a in city.communities],
        Level.GRID: [stub(a) for a in city.grids],
    }
    specs = [
        demo.EventSpec(
            category=loop["category"],
            title="演示工单",
            area_id=city.unit_a.pk,
            area_path=city.unit_a.path,
            reported_at=NOW - dt.timedelta(days=days),
            source="resident",
        )
        for days in (1, 30, 200)
    ]
    made = demo.build_events(ctx, random.Random(2), specs, NOW)
    stored = dict(Event.objects.unscoped("t").filter(pk__in=[e.pk for e in made]).values_list("pk", "number"))
    for event in made:
        assert NUMBER.match(stored[event.pk]), stored[event.pk]
        assert stored[event.pk] == event.number == services.event_number(event.reported_at, event.pk)
    served = report(users, city, loop)
    assert len(served.number) == len(made[0].number)
    # the trail names the assignee, not its kind ("community" showed as English on the pages)
    notes = EventTransition.objects.filter(event__in=made, action="dispatch").values_list("note", flat=True)
    assert notes and all(note and note not in AssigneeKind.values for note in notes), list(notes)


# --- escalation over long delays ---------------------------------------------------------------------
def test_escalation_reaches_the_top_level_a_year_late(city, users, loop):
    event = to_state(users, city, loop, "dispatched")
    assert services.escalate_overdue(now=NOW + dt.timedelta(days=365)) == 1
    event.refresh_from_db()
    assert event.overdue and event.escalation_level == services.MAX_ESCALATION == 3
    ladder = sla.escalation_ladder(
        event.finish_due, loop["category"].finish_hours, NOW + dt.timedelta(days=365)
    )
    assert [level for level, _when in ladder] == [1, 2, 3]


def test_escalation_ladder_steps_by_sla_period():
    due = NOW  # Wednesday 10:00
    assert sla.escalation_ladder(due, 4, due) == []
    assert [lv for lv, _ in sla.escalation_ladder(due, 4, due + dt.timedelta(hours=1))] == [1]
    assert [lv for lv, _ in sla.escalation_ladder(due, 4, due + dt.timedelta(hours=5))] == [1, 2]
    assert [lv for lv, _ in sla.escalation_ladder(due, 4, due + dt.timedelta(days=400))] == [1, 2, 3]


def test_generated_overdue_orders_stand_at_the_level_their_delay_calls_for(city, loop):
    """The generator walks a year-old order to 'handling': it is escalated up the ladder, as the task
    would have left it (it used to stop at level 1 for ever)."""
    now = NOW
    category = loop["category"]
    event = Event(category=category, reported_at=now - dt.timedelta(days=365), area_path=city.unit_a.path)
    event.accept_due = sla.add_working_hours(event.reported_at, category.accept_hours)
    assign = {"kind": "community", "area_id": city.communities[0].pk, "unit_id": None, "name": "社区"}
    assign["finish_hours"] = category.finish_hours
    trail = demo._walk(random.Random(1), event, "handling", now, assign)
    assert event.state == State.HANDLING
    expected = sla.escalation_level(event.finish_due, category.finish_hours, now)
    assert expected == 3 and event.escalation_level == expected
    assert [row[4] for row in trail if row[0] == "escalate"] == [f"超时自动督办({n} 级)" for n in (1, 2, 3)]


# --- export ------------------------------------------------------------------------------------------
def _rows(response) -> list[tuple]:
    assert response.status_code == 200, response.status_code
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return list(sheet.iter_rows(values_only=True))


def test_queue_export_respects_filters_and_scope(city, users, client_for, loop):
    mine = report(users, city, loop, who="community_worker")
    closed = to_state(users, city, loop, "closed")
    services.report_event(
        users["street"], category=loop["category"], title="外社区", area=city.units[2], now=NOW
    )
    client = client_for("community_worker")
    rows = _rows(client.get(reverse("events:queue_export")))
    assert rows[0][:4] == ("工单号", "标题", "分类", "地点")
    numbers = {r[0] for r in rows[1:]}
    assert mine.number in numbers and closed.number not in numbers
    assert all(r[1] != "外社区" for r in rows[1:])
    assert rows[1][3].startswith("东一社区 · ")
    rows = _rows(client.get(reverse("events:queue_export"), {"state": "closed"}))
    assert {r[0] for r in rows[1:]} == {closed.number}
    assert AuditEvent.objects.filter(action="events.export").exists()
    html = client.get(reverse("events:queue"), {"state": "closed"}).content.decode()
    assert reverse("events:queue_export") + "?state=closed" in html
    # A grid worker exports its own grid's queue only.
    rows = _rows(client_for("grid_worker").get(reverse("events:queue_export"), {"state": "all"}))
    assert [r[3] for r in rows[1:]] and all(r[4].startswith(city.grid_a.path) for r in rows[1:]), rows
    assert client_for("resident").get(reverse("events:queue_export")).status_code == 403
