"""两委成员联网格 (挂包): the services, queries and checks, the API and the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from gridgov.core.models import AuditEvent
from gridgov.core.services import ServiceError
from gridgov.workforce import queries, services
from gridgov.workforce.models import GridLink, Staff

from ..base import Action, ActionAPITests, DetailAPITests, ListAPITests, WritePageTests
from .conftest import SYSTEM
from .test_api import WF_DENIED, WF_VIEW_ROLES, CrewObjects, StaffObjects, community_outside

CHANGE = ("workforce.change_staff",)


def _links(staff):
    return GridLink.objects.unscoped("test").filter(staff=staff)


# --- services, queries, checks ---------------------------------------------------------------------------
def test_link_several_grids_with_history_and_audit(city, crew):
    deputy = crew.deputies[city.communities[0].pk]
    audit_rows = AuditEvent.objects.filter(action="workforce.link_grid").count()
    services.link_grid(SYSTEM, deputy, city.grid_a, on=dt.date(2025, 1, 1), reason="分片包干")
    services.link_grid(SYSTEM, deputy, city.grid_b, on=dt.date(2025, 2, 1))
    assert AuditEvent.objects.filter(action="workforce.link_grid").count() == audit_rows + 2
    assert [link.grid for link in queries.links_of(deputy)] == [city.grid_b, city.grid_a]
    assert list(queries.linked_staff(city.grid_a)) == [deputy]
    # a grid may have several linked members
    services.link_grid(SYSTEM, crew.secretaries[city.communities[0].pk], city.grid_a)
    assert len(queries.linked_staff(city.grid_a)) == 2
    with pytest.raises(ServiceError, match="已联系"):
        services.link_grid(SYSTEM, deputy, city.grid_a)
    link = services.unlink_grid(SYSTEM, deputy, city.grid_a, reason="调整分工", on=dt.date(2025, 6, 30))
    assert link.ended_on == dt.date(2025, 6, 30)
    assert [x.grid for x in queries.links_of(deputy)] == [city.grid_b]
    assert len(queries.links_of(deputy, open_only=False)) == 2
    with pytest.raises(ServiceError, match="未联系"):
        services.unlink_grid(SYSTEM, deputy, city.grid_a, reason="再次")
    # relinking after the end is a new row; history stays
    services.link_grid(SYSTEM, deputy, city.grid_a, on=dt.date(2025, 7, 1))
    assert _links(deputy).count() == 3


def test_links_open_in_a_month(city, crew):
    deputy = crew.deputies[city.communities[0].pk]
    services.link_grid(SYSTEM, deputy, city.grid_a, on=dt.date(2025, 1, 10))
    services.unlink_grid(SYSTEM, deputy, city.grid_a, reason="调整", on=dt.date(2025, 3, 1))
    services.link_grid(SYSTEM, deputy, city.grid_b, on=dt.date(2025, 4, 30))
    qs = _links(deputy)
    grids = lambda month: {x.grid_id for x in queries.links_in_month(qs, month)}  # noqa: E731
    assert grids(dt.date(2024, 12, 1)) == set()
    assert grids(dt.date(2025, 1, 1)) == {city.grid_a.pk}
    assert grids(dt.date(2025, 3, 1)) == {city.grid_a.pk}  # ended on its first day: open that day
    assert grids(dt.date(2025, 4, 1)) == {city.grid_b.pk}
    assert grids(dt.date(2026, 1, 1)) == {city.grid_b.pk}


def test_link_refusals_change_nothing(city, crew):
    deputy = crew.deputies[city.communities[0].pk]
    other_grid = next(g for g in city.grids if g.parent_id == city.communities[1].pk)
    with pytest.raises(ServiceError, match="不在"):
        services.link_grid(SYSTEM, deputy, other_grid)
    with pytest.raises(ServiceError, match="网格员"):
        services.link_grid(SYSTEM, crew.grid_workers[city.grid_a.pk], city.grid_a)
    with pytest.raises(ServiceError, match="请选择网格"):
        services.link_grid(SYSTEM, deputy, city.communities[0])
    with pytest.raises(ServiceError, match="晚于"):
        services.link_grid(SYSTEM, deputy, city.grid_a, on=dt.date(2999, 1, 1))
    with pytest.raises(ServiceError, match="解除原因"):
        services.unlink_grid(SYSTEM, deputy, city.grid_a, reason=" ")
    assert not GridLink.objects.unscoped("test").exists()


def test_out_of_scope_actor_is_refused(city, users, crew):
    from gridgov.core.scope import OutOfScope

    deputy = crew.deputies[city.communities[2].pk]  # another district
    grid = next(g for g in city.grids if g.parent_id == city.communities[2].pk)
    with pytest.raises(OutOfScope):
        services.link_grid(users["community_secretary"], deputy, grid)
    assert not GridLink.objects.unscoped("test").exists()


def test_leaving_or_becoming_grid_worker_ends_links(city, crew):
    community = city.communities[0]
    secretary, deputy = crew.secretaries[community.pk], crew.deputies[community.pk]
    services.link_grid(SYSTEM, secretary, city.grid_a, on=dt.date(2024, 1, 1))
    services.link_grid(SYSTEM, deputy, city.grid_b, on=dt.date(2024, 1, 1))
    services.replace_secretary(SYSTEM, secretary, reason="other", note="退休", on=dt.date(2025, 1, 1))
    assert not queries.links_of(secretary).exists()
    services.change_post(SYSTEM, deputy, post="grid_worker", on=dt.date(2025, 2, 1))
    assert not queries.links_of(deputy).exists()
    assert queries.links_of(deputy, open_only=False).get().ended_on == dt.date(2025, 2, 1)


def test_checks_list_unlinked_grids_and_links_outside_the_community(city, users, crew):
    user = users["city_admin"]
    check = queries.CHECKS["grids_without_link"]
    before = set(check.rows(user, city.city.path)) if hasattr(check, "rows") else None
    grids = {g.pk for g in queries.grids_without_link(user, city.city.path)}
    assert city.grid_a.pk in grids and city.grid_b.pk in grids
    deputy = crew.deputies[city.communities[0].pk]
    services.link_grid(SYSTEM, deputy, city.grid_a)
    grids = {g.pk for g in queries.grids_without_link(user, city.city.path)}
    assert city.grid_a.pk not in grids and city.grid_b.pk in grids
    assert not queries.links_outside_community(user, city.city.path).exists()
    # the member is moved to another community (a transfer): the link now lies outside it
    Staff.objects.unscoped("test").filter(pk=deputy.pk).update(
        community=city.communities[1], area_path=city.communities[1].path
    )
    assert [x.staff_id for x in queries.links_outside_community(user, city.city.path)] == [deputy.pk]
    assert before is None or before is not None  # the check is registered (pages read CHECKS)
    assert "links_outside_community" in queries.CHECKS


def test_check_pages_show_the_new_checks(city, client_for, crew):
    client = client_for("community_secretary")
    html = client.get(reverse("workforce:checks")).content.decode()
    assert "没有两委成员联系的网格" in html and "联系本社区以外网格的人员" in html
    for code in ("grids_without_link", "links_outside_community"):
        assert client.get(reverse("workforce:check", args=[code])).status_code == 200


# --- API -------------------------------------------------------------------------------------------------
class TestLinkActionsAPI(StaffObjects, ActionAPITests):
    basename = "wf-staff"
    actions = {
        "wf-staff-link-grid": Action(CHANGE, data=lambda t, c, u: {"grid": c.grid_a.pk, "reason": "挂包"}),
        "wf-staff-unlink-grid": Action(CHANGE, data=lambda t, c, u: {"grid": c.grid_a.pk, "reason": "调整"}),
    }


class TestGridLinkAPI(CrewObjects, ListAPITests, DetailAPITests):
    basename = "wf-gridlink"
    model = GridLink

    @pytest.fixture(autouse=True)
    def _links(self, crew, city):
        self.links = {}
        for community in [*city.communities, city.other_city[3]]:
            staff = crew.secretaries.get(community.pk) or crew.other
            grid = next(g for g in [*city.grids, city.other_city[4]] if g.parent_id == community.pk)
            self.links[community.pk] = services.link_grid(SYSTEM, staff, grid)

    def in_scope(self, city, user):
        return self.links[city.communities[0].pk]

    def out_of_scope(self, city, user):
        return self.links[community_outside(city, user).pk]


def test_api_link_and_bad_input(city, api_for, crew):
    client = api_for("community_secretary")
    deputy = crew.deputies[city.communities[0].pk]
    url = reverse("wf-staff-link-grid", args=[deputy.pk])
    assert client.post(url, {"grid": city.grid_a.pk}, format="json").status_code == 201
    assert client.post(url, {"grid": city.grid_b.pk, "on": "2025-03-01"}, format="json").status_code == 201
    again = client.post(url, {"grid": city.grid_a.pk}, format="json")
    assert again.status_code == 400 and "已联系" in again.json()["detail"]
    other_grid = next(g for g in city.grids if g.parent_id == city.communities[1].pk)
    assert client.post(url, {"grid": other_grid.pk}, format="json").status_code == 400  # not in scope
    outside = api_for("street").post(url, {"grid": other_grid.pk}, format="json")
    assert outside.status_code == 400 and "不在" in outside.json()["detail"]
    for body in ({}, {"grid": "abc"}, {"grid": city.communities[0].pk}, {"grid": 99999999999999999999}):
        assert client.post(url, body, format="json").status_code == 400
    far = city.grids[-1]  # another district: not a valid choice for the secretary
    assert client.post(url, {"grid": far.pk}, format="json").status_code == 400
    worker = crew.grid_workers[city.grid_a.pk]
    wrong = client.post(
        reverse("wf-staff-link-grid", args=[worker.pk]), {"grid": city.grid_b.pk}, format="json"
    )
    assert wrong.status_code == 400 and "网格员" in wrong.json()["detail"]
    assert _links(deputy).count() == 2 and not _links(worker).exists()
    listing = client.get(reverse("wf-gridlink-list"), {"staff": deputy.pk, "current": "true"}).json()
    assert {row["grid"] for row in listing["results"]} == {city.grid_a.pk, city.grid_b.pk}
    unlink = reverse("wf-staff-unlink-grid", args=[deputy.pk])
    assert client.post(unlink, {"grid": city.grid_a.pk}, format="json").status_code == 400  # no reason
    assert client.post(unlink, {"grid": city.grid_a.pk, "reason": "调整"}, format="json").status_code == 200
    assert client.post(unlink, {"grid": city.grid_a.pk, "reason": "调整"}, format="json").status_code == 400


# --- pages -----------------------------------------------------------------------------------------------
class TestLinkPage(StaffObjects, WritePageTests):
    writer_roles = WF_VIEW_ROLES
    allowed_roles = WF_VIEW_ROLES
    denied_roles = WF_DENIED

    def in_scope(self, city, user):
        return self.crew.deputies[city.communities[0].pk]

    def post(self, client, obj):
        return client.post(reverse("workforce:staff_link_grid", args=[obj.pk]), {"grid": "", "reason": "x"})

    @pytest.mark.parametrize("role", WF_DENIED)
    def test_denied_403(self, city, users, client_for, role):
        obj = self.in_scope(city, users[role])
        assert client_for(role).post(reverse("workforce:staff_link_grid", args=[obj.pk])).status_code == 403


def test_staff_page_links_two_grids_and_lists_them(city, client_for, crew):
    client = client_for("community_secretary")
    deputy = crew.deputies[city.communities[0].pk]
    page = client.get(reverse("workforce:staff_detail", args=[deputy.pk])).content.decode()
    assert 'data-testid="link-form"' in page and city.grid_a.name in page
    url = reverse("workforce:staff_link_grid", args=[deputy.pk])
    for grid in (city.grid_a, city.grid_b):
        response = client.post(url, {"grid": grid.pk, "reason": "分片包干"})
        assert response.status_code == 302
    page = client.get(reverse("workforce:staff_detail", args=[deputy.pk])).content.decode()
    table = page.split('data-testid="open-links"')[1].split("</table>")[0]
    assert city.grid_a.name in table and city.grid_b.name in table
    # bad input: the error on the form, what was typed kept, nothing saved
    other_grid = next(g for g in city.grids if g.parent_id == city.communities[1].pk)
    audit_rows = AuditEvent.objects.count()
    bad = client.post(url, {"grid": other_grid.pk, "reason": "我填的说明"})
    assert bad.status_code == 200 and "我填的说明" in bad.content.decode()
    assert "errorlist" in bad.content.decode()
    again = client.post(url, {"grid": city.grid_a.pk, "reason": "重复"})
    assert "已联系" in again.content.decode()
    assert AuditEvent.objects.count() == audit_rows and _links(deputy).count() == 2
    # unlink from the staff page's row form
    unlink = client.post(
        reverse("workforce:staff_unlink_grid", args=[deputy.pk]), {"grid": city.grid_a.pk, "reason": "调整"}
    )
    assert unlink.status_code == 302
    assert [x.grid for x in queries.links_of(deputy)] == [city.grid_b]
    missing_reason = client.post(
        reverse("workforce:staff_unlink_grid", args=[deputy.pk]), {"grid": city.grid_b.pk, "reason": ""}
    )
    assert missing_reason.status_code == 200 and queries.links_of(deputy).count() == 1


def test_grid_worker_page_has_no_link_form(city, client_for, crew):
    worker = crew.grid_workers[city.grid_a.pk]
    page = client_for("community_secretary").get(reverse("workforce:staff_detail", args=[worker.pk]))
    assert 'data-testid="link-form"' not in page.content.decode()


def test_community_grid_list_links_and_scope(city, users, client_for, crew):
    community = city.communities[0]
    client = client_for("community_secretary")
    url = reverse("workforce:grid_links")
    page = client.get(url, {"area": community.pk}).content.decode()
    assert 'data-testid="grid-link-form"' in page and city.grid_a.name in page
    deputy = crew.deputies[community.pk]
    response = client.post(f"{url}?area={community.pk}", {"staff": deputy.pk, "grid": city.grid_b.pk})
    assert response.status_code == 302
    page = client.get(url, {"area": community.pk}).content.decode()
    assert deputy.resident.name in page.split('data-testid="grid-links"')[1]
    # a grid worker is not a choice; a grid of another community is not a choice: errors, nothing saved
    worker = crew.grid_workers[city.grid_a.pk]
    other_grid = next(g for g in city.grids if g.parent_id == city.communities[1].pk)
    for data in ({"staff": worker.pk, "grid": city.grid_a.pk}, {"staff": deputy.pk, "grid": other_grid.pk}):
        bad = client.post(f"{url}?area={community.pk}", data)
        assert bad.status_code == 200 and "errorlist" in bad.content.decode()
    assert _links(deputy).count() == 1 and not _links(worker).exists()
    assert client.get(url, {"area": city.unit_outside(users["community_secretary"]).pk}).status_code == 404
    assert client_for("grid_worker").get(url).status_code == 403
    assert client_for("community_worker").post(url, {"staff": deputy.pk}).status_code == 403
