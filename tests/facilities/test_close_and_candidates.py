"""Closing a position keeps it (closed, with its date, reason and history), and candidate rooms have pages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.core.models import AuditEvent
from gridgov.core.services import ServiceError
from gridgov.facilities import services
from gridgov.facilities.models import CandidateSite, Facility

from ..base import ListPageTests, WritePageTests, redirects_to_login
from .conftest import SYSTEM, station_inside, station_outside
from .test_api import VIEW_FACILITY_ROLES

pytestmark = pytest.mark.django_db
WRITERS = ("city_admin", "district", "street", "community_secretary", "community_worker")


def _fresh(f: Facility) -> Facility:
    return Facility.objects.unscoped("test").get(pk=f.pk)


# --- closing -----------------------------------------------------------------------------------------------
def test_close_needs_a_reason_keeps_the_row_and_its_history(circle_city, users):
    station = circle_city.stations[0]
    with pytest.raises(ServiceError, match="关闭原因"):
        services.close_facility(users["street"], station, "  ")
    assert _fresh(station).is_active
    services.close_facility(users["street"], station, "房屋到期")
    closed = _fresh(station)
    assert (closed.is_active, closed.closed_on, closed.close_reason) == (
        False,
        timezone.localdate(),
        "房屋到期",
    )
    with pytest.raises(ServiceError, match="已关闭"):
        services.close_facility(users["street"], station, "再次")
    # left out of the circle, still in the registry
    services.compute_coverage(circle_city.city.path)
    from gridgov.facilities.models import BuildingAccess

    nearest = BuildingAccess.objects.unscoped("test").values_list("nearest", flat=True)
    assert all(station.pk not in (n or {}).values() for n in nearest)
    services.reopen_facility(users["street"], station)
    again = _fresh(station)
    assert again.is_active and again.closed_on is None and again.close_reason == ""
    actions = [h["action"] for h in services.history(again)]
    assert actions[:2] == ["恢复使用", "关闭"]
    assert any(h["reason"] == "房屋到期" for h in services.history(again))


def test_close_page_confirmation_errors_then_listed_as_closed(circle_city, users, client_for):
    station = station_inside(circle_city, users["street"])
    c = client_for("street")
    url = reverse("facilities:toggle", args=[station.pk])
    unconfirmed = c.post(url, {"reason": "装修改造"})
    html = unconfirmed.content.decode()
    assert (
        unconfirmed.status_code == 200 and "errorlist" in html and "装修改造" in html
    )  # kept what was typed
    assert _fresh(station).is_active
    no_reason = c.post(url, {"reason": "", "confirm": "on"})
    assert no_reason.status_code == 200 and _fresh(station).is_active
    done = c.post(url, {"reason": "装修改造", "confirm": "on"})
    assert done.status_code == 302 and not _fresh(station).is_active
    page = c.get(reverse("facilities:detail", args=[station.pk])).content.decode()
    assert "已关闭" in page and "装修改造" in page and "历史记录" in page
    closed_list = c.get(reverse("facilities:list"), {"is_active": "false"}).content.decode()
    assert station.name in closed_list and "已关闭" in closed_list
    open_list = c.get(reverse("facilities:list"), {"is_active": "true"}).content.decode()
    assert station.name not in open_list
    assert c.post(url).status_code == 302 and _fresh(station).is_active  # reopen
    # out of scope: 404, nothing changes
    outside = station_outside(circle_city, users["street"])
    assert (
        c.post(reverse("facilities:toggle", args=[outside.pk]), {"reason": "x", "confirm": "on"}).status_code
        == 404
    )
    assert _fresh(outside).is_active
    assert client_for("grid_worker").post(url, {"reason": "x", "confirm": "on"}).status_code == 403


def test_api_close_requires_reason_and_delete_is_refused(circle_city, users, api_for):
    station = station_inside(circle_city, users["street"])
    client = api_for("street")
    assert client.post(reverse("facility-close", args=[station.pk]), {}, format="json").status_code == 400
    assert _fresh(station).is_active
    for role in ("street", "city_admin"):  # no role holds delete_facility, and there is no DELETE route
        gone = api_for(role).delete(reverse("facility-detail", args=[station.pk]))
        assert (
            gone.status_code in (403, 405)
            and Facility.objects.unscoped("test").filter(pk=station.pk).exists()
        )
    closed = client.post(reverse("facility-close", args=[station.pk]), {"reason": "拆迁"}, format="json")
    assert closed.status_code == 200
    assert closed.json()["is_active"] is False and closed.json()["close_reason"] == "拆迁"
    assert closed.json()["closed_on"] == timezone.localdate().isoformat()
    listed = client.get(reverse("facility-list"), {"is_active": "false"}).json()["results"]
    assert [r["id"] for r in listed] == [station.pk]
    assert client.post(reverse("facility-reopen", args=[station.pk])).status_code == 200


# --- candidate rooms -----------------------------------------------------------------------------------------
def test_candidate_create_page_errors_keep_input_and_save_nothing(circle_city, users, client_for):
    c = client_for("street")
    url = reverse("facilities:candidate_create")
    assert "登记备选用房" in c.get(reverse("facilities:candidates")).content.decode()
    outside = c.post(url, {"name": "远处的房", "room_type": "idle", "x": "99999", "y": "99999"})
    assert outside.status_code == 200 and "远处的房" in outside.content.decode()
    bad_area = c.post(
        url, {"name": "负面积", "room_type": "idle", "x": "500", "y": "500", "floor_area": "-3"}
    )
    assert bad_area.status_code == 200 and "errorlist" in bad_area.content.decode()
    foreign = c.post(url, {"name": "越界", "room_type": "idle", "area_code": circle_city.other_city[5].code})
    assert foreign.status_code == 200 and "不在您的管辖范围内" in foreign.content.decode()
    assert not CandidateSite.objects.unscoped("test").exists()
    rows = AuditEvent.objects.count()
    ok = c.post(
        url, {"name": "东一闲置车库", "room_type": "idle", "x": "500", "y": "500", "floor_area": "40"}
    )
    assert ok.status_code == 302
    site = CandidateSite.objects.unscoped("test").get()
    assert site.name == "东一闲置车库" and site.area_path.startswith(users["street"].area.path)
    assert AuditEvent.objects.count() == rows + 1
    assert client_for("grid_worker").get(url).status_code == 403
    assert redirects_to_login(client_for(None).get(url))


def test_candidate_edit_page(circle_city, users, client_for):
    site = services.create_candidate(SYSTEM, name="原名", area=circle_city.buildings[0])
    far = services.create_candidate(SYSTEM, name="外市", area=circle_city.other_city[5])
    c = client_for("community_secretary")
    url = reverse("facilities:candidate_edit", args=[site.pk])
    page = c.get(url).content.decode()
    assert "原名" in page
    bad = c.post(url, {"name": "", "room_type": "idle"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    done = c.post(url, {"name": "新名", "room_type": "merchant", "host_name": "爱心超市", "is_available": ""})
    assert done.status_code == 302
    fresh = CandidateSite.objects.unscoped("test").get(pk=site.pk)
    assert (fresh.name, fresh.room_type, fresh.host_name, fresh.is_available) == (
        "新名",
        "merchant",
        "爱心超市",
        False,
    )
    assert AuditEvent.objects.filter(action="facilities.update_candidate").exists()
    assert c.get(reverse("facilities:candidate_edit", args=[far.pk])).status_code == 404
    assert (
        c.post(
            reverse("facilities:candidate_edit", args=[far.pk]), {"name": "x", "room_type": "idle"}
        ).status_code
        == 404
    )
    viewer = client_for("grid_worker")
    assert viewer.get(url).status_code == 200
    assert viewer.post(url, {"name": "网格员改", "room_type": "idle"}).status_code == 403
    assert client_for("resident").get(url).status_code == 403


@pytest.mark.usefixtures("circle_city")
class TestCandidatePages(ListPageTests, WritePageTests):
    model = CandidateSite
    list_url_name = "facilities:candidates"
    detail_url_name = "facilities:candidate_edit"
    allowed_roles = VIEW_FACILITY_ROLES
    denied_roles = ("property", "resident")
    writer_roles = WRITERS

    @pytest.fixture(autouse=True)
    def _sites_made(self, circle_city):
        circle_city.sites = {
            b.pk: services.create_candidate(SYSTEM, name=f"{b.name}闲置用房", area=b)
            for b in [*circle_city.buildings, circle_city.other_city[5]]
        }

    def list_query(self, city):
        return {"page_size": 100}

    def in_scope(self, city, user):
        return city.sites[city.building_a.pk]

    def out_of_scope(self, city, user):
        return city.sites[city.unit_outside(user).parent_id]

    def post(self, client, obj):
        return client.post(
            reverse("facilities:candidate_edit", args=[obj.pk]), {"name": "改", "room_type": "idle"}
        )
