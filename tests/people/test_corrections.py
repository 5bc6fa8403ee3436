"""Correction requests (更正申请): a resident asks, the community decides, the people services apply it.

The scope classes run the generic tests of tests/base.py on the API; the rest checks the rules: every item
validated before anything is saved, one pending request per item, decisions only once, nothing changed on
a refusal, and the resident's own route reaching nobody else.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from gridgov.core import idcard
from gridgov.core.actors import SystemActor
from gridgov.core.models import AuditEvent
from gridgov.core.services import ServiceError
from gridgov.people import services
from gridgov.people.models import CorrectionRequest, CorrectionStatus, Resident
from gridgov.points import services as points_services

from ..base import (
    VIEW_PEOPLE_ROLES,
    Action,
    ActionAPITests,
    DetailAPITests,
    ListAPITests,
    roles_with,
    state_of,
)

SYSTEM = SystemActor("tests.people")
DECIDERS = roles_with("people.decide_correctionrequest")


def pending_for(resident: Resident) -> CorrectionRequest:
    """One pending name correction for the resident (made once per test)."""
    existing = CorrectionRequest.objects.unscoped("test fixture").filter(resident=resident).first()
    if existing is not None:
        return existing
    return services.request_correction(
        SYSTEM, resident, changes={"name": resident.name + "新"}, reason="登记时写错"
    )[0]


class CorrectionObjects:
    model = CorrectionRequest
    allowed_roles = VIEW_PEOPLE_ROLES
    denied_roles = ("property", "resident")

    @pytest.fixture(autouse=True)
    def _requests(self, city, users):
        """The rows exist before a list is requested: one in every role's scope, one outside each."""
        pending_for(city.resident_a)
        for role in VIEW_PEOPLE_ROLES:
            pending_for(city.resident_outside(users[role]))

    def in_scope(self, city, user):
        return pending_for(city.resident_a)

    def out_of_scope(self, city, user):
        return pending_for(city.resident_outside(user))


class TestCorrectionAPI(CorrectionObjects, ListAPITests, DetailAPITests):
    basename = "correction"


class TestCorrectionDecisionAPI(CorrectionObjects, ActionAPITests):
    actions = {
        "correction-approve": Action(
            perms=("people.view_correctionrequest", "people.decide_correctionrequest")
        ),
        "correction-reject": Action(
            perms=("people.view_correctionrequest", "people.decide_correctionrequest"),
            data=lambda test, city, user: {"note": "材料不全"},
        ),
    }


def _reload(obj):
    return type(obj)._base_manager.get(pk=obj.pk)


# --- the service --------------------------------------------------------------------------------------
def test_approved_name_correction_is_applied_and_audited(city, users):
    resident = city.resident_a
    request = services.request_correction(
        users["grid_worker"], resident, changes={"name": "王改正"}, reason="户口本为准"
    )[0]
    assert _reload(resident).name == resident.name  # nothing changes before the decision
    services.approve_correction(users["community_secretary"], request, note="已核对户口本")
    assert _reload(resident).name == "王改正"
    assert _reload(resident).name_pinyin == "wanggaizheng"
    assert _reload(request).status == CorrectionStatus.APPROVED
    assert AuditEvent.objects.filter(action="people.update_resident", object_id=str(resident.pk)).exists()
    assert AuditEvent.objects.filter(action="people.approved_correction", object_id=str(request.pk)).exists()


def test_id_number_correction_is_kept_encrypted_and_applied(city, users):
    resident = city.resident_a
    new_number = "11010519491231002" + idcard.check_digit("11010519491231002")
    request = services.request_correction(
        users["community_worker"], resident, changes={"id_number": new_number}, reason="号码录错一位"
    )[0]
    assert new_number not in request.value_display
    assert request.value_display == idcard.mask(new_number)
    assert bytes(request.value_cipher).find(new_number.encode()) == -1
    assert request.requested_value() == new_number
    services.approve_correction(users["community_secretary"], request)
    assert _reload(resident).reveal_id_number() == new_number


def test_deregistration_keeps_the_record_inactive(city, users):
    resident = city.resident_a
    request = services.request_correction(
        users["grid_worker"], resident, changes={"deregister": ""}, reason="已于上月去世"
    )[0]
    services.approve_correction(users["street"], request)
    assert _reload(resident).is_active is False
    with pytest.raises(ServiceError):
        services.request_correction(users["grid_worker"], resident, changes={"name": "张三"}, reason="x")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "bad<name>"}, "姓名只能包含"),
        ({"phone": "12345"}, "手机号格式不正确"),
        ({"id_number": "110105194912310021"}, "身份证"),
        ({"relation": "emperor"}, "与户主关系无效"),
        ({"nickname": "x"}, "更正项目无效"),
        ({}, "请选择要更正的项目"),
    ],
)
def test_bad_requests_are_refused_and_change_nothing(city, users, changes, message):
    before, rows = CorrectionRequest.objects.unscoped("test").count(), AuditEvent.objects.count()
    with pytest.raises(ServiceError, match=message):
        services.request_correction(users["grid_worker"], city.resident_a, changes=changes, reason="理由")
    assert CorrectionRequest.objects.unscoped("test").count() == before
    assert AuditEvent.objects.count() == rows


def test_one_bad_item_saves_none_of_the_request(city, users):
    with pytest.raises(ServiceError):
        services.request_correction(
            users["grid_worker"], city.resident_a, changes={"name": "李四", "phone": "12"}, reason="理由"
        )
    assert not CorrectionRequest.objects.unscoped("test").filter(resident=city.resident_a).exists()


def test_same_value_and_double_submission_are_refused(city, users):
    resident = city.resident_a
    with pytest.raises(ServiceError, match="相同"):
        services.request_correction(
            users["grid_worker"], resident, changes={"name": resident.name}, reason="x"
        )
    services.request_correction(users["grid_worker"], resident, changes={"name": "赵六"}, reason="x")
    with pytest.raises(ServiceError, match="待审核"):
        services.request_correction(users["grid_worker"], resident, changes={"name": "赵七"}, reason="x")
    assert CorrectionRequest.objects.unscoped("test").filter(resident=resident).count() == 1


def test_a_decision_is_made_once(city, users):
    request = pending_for(city.resident_a)
    services.reject_correction(users["community_secretary"], request, note="无证明材料")
    with pytest.raises(ServiceError, match="已审核"):
        services.approve_correction(users["community_secretary"], request)
    assert _reload(city.resident_a).name == city.resident_a.name


def test_rejection_needs_a_note(city, users):
    request = pending_for(city.resident_a)
    before = state_of(request)
    with pytest.raises(ServiceError, match="审核意见"):
        services.reject_correction(users["community_secretary"], request, note="  ")
    assert state_of(request) == before


def test_grid_worker_may_ask_but_not_decide(city, users, api_for):
    request = pending_for(city.resident_a)
    response = api_for("grid_worker").post(
        reverse("correction-approve", args=[request.pk]), {}, format="json"
    )
    assert response.status_code == 403
    assert _reload(request).status == CorrectionStatus.PENDING
    assert "grid_worker" not in DECIDERS


# --- the resident's own route ---------------------------------------------------------------------------
def test_resident_asks_only_about_themself(city, users, api_for):
    points_services.link_resident(SYSTEM, users["resident"], city.resident_a)
    client = api_for("resident")
    url = reverse("points-me-corrections")
    response = client.post(
        url, {"field": "phone", "value": "13912345678", "reason": "换了号码"}, format="json"
    )
    assert response.status_code == 201, response.content
    made = CorrectionRequest.objects.unscoped("test").get(pk=response.json()["id"])
    assert made.resident_id == city.resident_a.pk
    assert made.origin == "resident"
    assert made.requested_by_id == users["resident"].pk
    assert response.json()["value_display"] == "139****5678"
    # the list shows the resident's own requests only
    assert [row["id"] for row in client.get(url).json()] == [made.pk]
    # a body naming someone else has no field to do it with; a wrong shape is a 400 that saves nothing
    for body in ({"field": "phone"}, ["phone"], {"field": "x", "value": "1", "reason": "r"}):
        assert client.post(url, body, format="json").status_code == 400
    assert CorrectionRequest.objects.unscoped("test").count() == 1


def test_unlinked_resident_account_is_refused(city, users, api_for):
    response = api_for("resident").post(
        reverse("points-me-corrections"), {"field": "name", "value": "张三", "reason": "x"}, format="json"
    )
    assert response.status_code == 403
    assert not CorrectionRequest.objects.unscoped("test").exists()


def test_staff_route_cannot_be_used_by_a_resident(city, users, api_for):
    response = api_for("resident").post(
        reverse("correction-list"),
        {"resident": city.resident_a.pk, "field": "name", "value": "张三", "reason": "x"},
        format="json",
    )
    assert response.status_code == 403
    assert not CorrectionRequest.objects.unscoped("test").exists()


# --- pages ----------------------------------------------------------------------------------------------
def test_resident_page_shows_what_is_held_and_files_a_request(city, users, client_for):
    points_services.link_resident(SYSTEM, users["resident"], city.resident_a)
    client = client_for("resident")
    page = client.get(reverse("web:my_data")).content.decode()
    assert city.resident_a.name in page
    assert city.resident_a.id_masked in page
    assert city.id_numbers[city.resident_a.pk] not in page
    response = client.post(
        reverse("web:my_data"),
        {"field": "relation", "relation": "spouse", "value": "", "reason": "婚后户主为丈夫"},
    )
    assert response.status_code == 302
    page = client.get(reverse("web:my_data")).content.decode()
    assert "待审核" in page and "配偶" in page


def test_resident_page_form_errors_save_nothing(city, users, client_for):
    points_services.link_resident(SYSTEM, users["resident"], city.resident_a)
    response = client_for("resident").post(
        reverse("web:my_data"), {"field": "id_number", "value": "123", "reason": "x"}
    )
    assert response.status_code == 200
    assert "身份证" in response.content.decode()
    assert not CorrectionRequest.objects.unscoped("test").exists()


def test_secretary_decides_on_the_page(city, users, client_for):
    request = pending_for(city.resident_a)
    client = client_for("community_secretary")
    listing = client.get(reverse("people:correction_list")).content.decode()
    assert request.value_display in listing
    response = client.post(reverse("people:correction_detail", args=[request.pk]), {"decision": "reject"})
    assert response.status_code == 200
    assert "驳回时请填写审核意见" in response.content.decode()
    assert _reload(request).status == CorrectionStatus.PENDING
    response = client.post(reverse("people:correction_detail", args=[request.pk]), {"decision": "approve"})
    assert response.status_code == 302
    assert _reload(city.resident_a).name == request.value_display


def test_out_of_scope_request_page_is_404(city, users, client_for):
    other = pending_for(city.resident_outside(users["community_secretary"]))
    client = client_for("community_secretary")
    assert client.get(reverse("people:correction_detail", args=[other.pk])).status_code == 404
    assert (
        client.post(reverse("people:correction_detail", args=[other.pk]), {"decision": "approve"}).status_code
        == 404
    )
    assert _reload(other).status == CorrectionStatus.PENDING
