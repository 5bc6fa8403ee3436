"""The generic API and page layer (core/api.py, core/api_fields.py, core/pages.py).

Each rule is tested through a real endpoint of the project where one uses it, and through small viewsets
and views declared here the way an app declares them (real models, real services, the real settings),
so the layer's promises hold for the next app as well as for the ones already on it.
"""

from __future__ import annotations

import datetime as dt
import re

import django_filters
import pytest
from django import forms
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.test import RequestFactory, override_settings
from django.urls import reverse
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate

from gridgov.areas import services as area_services
from gridgov.areas.models import Area, Level
from gridgov.core import idcard
from gridgov.core.api import ScopedModelViewSet
from gridgov.core.api_fields import ScopedModelSerializer, ScopedPrimaryKeyRelatedField, scope_filterset
from gridgov.core.audit import AuditEvent
from gridgov.core.pages import ScopedListView, ServiceFormView
from gridgov.core.scope import ScopeError
from gridgov.people import services as people_services
from gridgov.people.models import Household, Resident

from ..base import state_of

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")
HUGE = "99999999999999999999"


def chinese(response) -> bool:
    return bool(CHINESE.search(response.content.decode()))


# --- viewsets declared as an app declares them -----------------------------------------------------------
class ResidentLayerSerializer(ScopedModelSerializer):
    class Meta:
        model = Resident
        fields = ["id", "household", "name", "area_path"]
        read_only_fields = ["area_path"]


class ResidentLayerFilter(django_filters.FilterSet):
    class Meta:
        model = Resident
        fields = ["household"]  # generated ModelChoiceFilter over a scoped model


class MinutesSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=0, max_value=600)


class ResidentLayerViewSet(ScopedModelViewSet):
    queryset = Resident.objects.order_by("id")
    serializer_class = ResidentLayerSerializer
    filterset_class = ResidentLayerFilter
    update_service = staticmethod(people_services.update_resident)

    def create_service(self, actor, **data):
        return people_services.register_resident(actor, id_number=NEW_ID, **data)

    @action(detail=True, methods=["post"])
    def note(self, request, pk=None):
        body = self.body(MinutesSerializer)
        limit = self.query_value("limit", serializers.IntegerField(min_value=1, max_value=10), default=3)
        return Response({"minutes": body["minutes"], "limit": limit, "id": self.get_object().pk})


class AreaLayerViewSet(ScopedModelViewSet):
    queryset = Area.objects.order_by("path")
    action_permissions = {"destroy": ["areas.rezone_area"]}
    serializer_class = type(
        "AreaLayerSerializer",
        (ScopedModelSerializer,),
        {"Meta": type("Meta", (), {"model": Area, "fields": ["id", "name", "parent"]})},
    )

    def destroy_service(self, actor, instance):
        area_services.retire_area(actor, instance, reason="撤销")


NEW_ID = idcard.build("110105", dt.date(1990, 1, 1), 998)
factory = APIRequestFactory()


def call(viewset, actions, user, method="get", path="/", data=None, fmt="json", **kwargs):
    request = (
        getattr(factory, method)(path, data, format=fmt)
        if data is not None
        else getattr(factory, method)(path)
    )
    force_authenticate(request, user=user)
    return viewset.as_view(actions)(request, **kwargs)


# --- the viewset: class-level queryset narrowed per request ----------------------------------------------
def test_class_level_queryset_is_narrowed_to_the_user(city, users):
    response = call(ResidentLayerViewSet, {"get": "list"}, users["grid_worker"])
    assert response.status_code == 200
    paths = {row["area_path"] for row in response.data["results"]}
    assert paths and all(p.startswith(city.grid_a.path) for p in paths)


def test_class_level_queryset_alone_fails_closed():
    with pytest.raises(ScopeError):
        list(ResidentLayerViewSet.queryset)


def test_out_of_scope_detail_is_404(city, users):
    outside = city.resident_outside(users["grid_worker"])
    response = call(ResidentLayerViewSet, {"get": "retrieve"}, users["grid_worker"], pk=outside.pk)
    assert response.status_code == 404


# --- writes go through the service hooks, with the actor --------------------------------------------------
def test_create_goes_through_the_service_and_is_audited(city, users):
    before = AuditEvent.objects.filter(action="people.register_resident").count()
    response = call(
        ResidentLayerViewSet,
        {"post": "create"},
        users["grid_worker"],
        "post",
        data={"household": city.household_a.pk, "name": "新居民"},
    )
    assert response.status_code == 201, response.data
    event = AuditEvent.objects.filter(action="people.register_resident").latest("id")
    assert AuditEvent.objects.filter(action="people.register_resident").count() == before + 1
    assert event.actor_id == users["grid_worker"].pk
    assert response.data["name"] == "新居民"


def test_update_goes_through_the_service(city, users):
    resident = city.resident_a
    response = call(
        ResidentLayerViewSet,
        {"patch": "partial_update"},
        users["grid_worker"],
        "patch",
        data={"name": "改名了"},
        pk=resident.pk,
    )
    assert response.status_code == 200, response.data
    assert AuditEvent.objects.filter(action="people.update_resident").latest("id").actor_id == (
        users["grid_worker"].pk
    )
    resident.refresh_from_db()
    assert resident.name == "改名了"


def test_destroy_goes_through_the_service(city, users):
    unit = Area.objects.unscoped("test").create(
        level=Level.UNIT,
        parent=city.building_a,
        code=city.building_a.code + "09",
        path=city.building_a.path + "09",
        name="空单元",
    )
    response = call(AreaLayerViewSet, {"delete": "destroy"}, users["street"], "delete", pk=unit.pk)
    assert response.status_code == 204
    unit.refresh_from_db()
    assert not unit.is_active
    assert AuditEvent.objects.filter(action="areas.retire").latest("id").actor_id == users["street"].pk


def test_service_error_is_a_chinese_400_and_changes_nothing(city, users):
    """Retiring an area that still has residents is refused by the service."""
    before = state_of(city.unit_a)
    response = call(AreaLayerViewSet, {"delete": "destroy"}, users["street"], "delete", pk=city.unit_a.pk)
    assert response.status_code == 400
    assert CHINESE.search(str(response.data["detail"]))
    assert state_of(Area.objects.unscoped("test").get(pk=city.unit_a.pk)) == before


# --- the request-scoped related field ---------------------------------------------------------------------
@pytest.mark.parametrize("value", ["outside", "missing", HUGE, "-1e308", 1e20, "abc"])
def test_related_field_refuses_out_of_scope_missing_and_absurd_ids_alike(city, users, value):
    user = users["grid_worker"]
    pk = {"outside": city.household_outside(user).pk, "missing": 10**9}.get(value, value)
    before = Resident.objects.unscoped("test").count()
    response = call(
        ResidentLayerViewSet, {"post": "create"}, user, "post", data={"household": pk, "name": "越界"}
    )
    assert response.status_code == 400
    assert "household" in response.data
    assert Resident.objects.unscoped("test").count() == before


def test_related_field_without_a_request_accepts_nothing(city):
    field = ScopedPrimaryKeyRelatedField(queryset=Household.objects.all())
    field.bind("household", serializers.Serializer())
    with pytest.raises(serializers.ValidationError):
        field.run_validation(city.household_a.pk)


def test_uniqueness_is_checked_across_scopes_without_scope_error(city, users):
    """Generated unique validators read the default manager: the layer opens them (a global rule)."""

    class CodeSerializer(ScopedModelSerializer):
        class Meta:
            model = Area
            fields = ["code"]

    taken = city.other_city[-1].code  # another city's code: out of the user's scope, still taken
    serializer = CodeSerializer(data={"code": taken}, context={"request": None})
    assert not serializer.is_valid()
    assert "code" in serializer.errors


# --- filters in the requester's scope ---------------------------------------------------------------------
def test_generated_choice_filter_resolves_in_scope(city, users):
    user = users["grid_worker"]
    ok = call(ResidentLayerViewSet, {"get": "list"}, user, path=f"/?household={city.household_a.pk}")
    assert ok.status_code == 200
    assert {r["id"] for r in ok.data["results"]} == {
        r.pk for r in city.residents if r.household_id == city.household_a.pk
    }
    for value in (city.household_outside(user).pk, 10**9, HUGE, "-1e308", "abc"):
        response = call(ResidentLayerViewSet, {"get": "list"}, user, path=f"/?household={value}")
        assert response.status_code == 400, value
        assert "household" in response.data


def test_scope_filterset_bounds_number_filters(city, users):
    class ParentFilter(django_filters.FilterSet):
        parent = django_filters.NumberFilter(field_name="parent_id")

    for value in ("1e20", "-1e308", HUGE):
        filterset = scope_filterset(
            ParentFilter({"parent": value}, queryset=Area.objects.visible_to(users["city_admin"])),
            users["city_admin"],
        )
        assert not filterset.is_valid(), value
        assert "parent" in filterset.errors


@pytest.mark.parametrize(
    ("url_name", "query"),
    [
        ("area-list", {"parent": "-1e308"}),
        ("area-list", {"parent": "1e20"}),
        ("resident-list", {"household": HUGE}),
        ("resident-list", {"max_age": "10000"}),
        ("resident-list", {"page": "1e30"}),
        ("resident-list", {"page": "abc"}),
    ],
)
def test_out_of_range_query_values_are_a_chinese_400(url_name, query, api_for):
    response = api_for("city_admin").get(reverse(url_name), query)
    assert response.status_code == 400, response.content
    assert chinese(response)


def test_page_past_the_end_is_still_404(api_for):
    assert api_for("city_admin").get(reverse("resident-list"), {"page": "999"}).status_code == 404


# --- request shapes ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("url_name", ["circle-coverage", "area-list", "resident-list"])
def test_trace_is_405(url_name, api_for):
    response = api_for("city_admin").generic("TRACE", reverse(url_name))
    assert response.status_code == 405
    assert chinese(response)


def test_trace_anonymous_is_still_401(api_for):
    assert api_for(None).generic("TRACE", reverse("circle-coverage")).status_code == 401


@pytest.mark.parametrize("body", ["0", "[]", '"text"', "[{}]"])
def test_json_body_that_is_not_an_object_is_a_chinese_400(body, city, api_for):
    before = state_of(city.unit_a)
    response = api_for("city_admin").generic(
        "POST", reverse("area-rename", args=[city.unit_a.pk]), body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "请求体应为 JSON 对象" in response.json()["detail"]
    assert state_of(Area.objects.unscoped("test").get(pk=city.unit_a.pk)) == before


def test_action_body_and_query_parameters_are_typed(city, users):
    user, pk = users["grid_worker"], city.resident_a.pk
    ok = call(
        ResidentLayerViewSet, {"post": "note"}, user, "post", path="/?limit=5", data={"minutes": 30}, pk=pk
    )
    assert ok.status_code == 200
    assert ok.data == {"minutes": 30, "limit": 5, "id": pk}
    bad_body = call(ResidentLayerViewSet, {"post": "note"}, user, "post", data={"minutes": "AAA"}, pk=pk)
    assert bad_body.status_code == 400
    assert "minutes" in bad_body.data
    bad_query = call(
        ResidentLayerViewSet, {"post": "note"}, user, "post", path="/?limit=AAA", data={"minutes": 1}, pk=pk
    )
    assert bad_query.status_code == 400
    assert "limit" in bad_query.data


# --- the one import-rejection response --------------------------------------------------------------------
@pytest.mark.parametrize(
    "url_name", ["resident-import-xlsx", "facility-import-xlsx", "walknetwork-import-geojson"]
)
def test_missing_upload_is_the_import_rejection_response(url_name, api_for):
    response = api_for("city_admin").post(reverse(url_name), {}, format="multipart")
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == []
    assert CHINESE.search(body["detail"])


# --- schema ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_area_parent_is_nullable_in_responses_only(schema):
    components = schema["components"]["schemas"]
    assert components["Area"]["properties"]["parent"].get("nullable") is True
    assert not components["AreaRequest"]["properties"]["parent"].get("nullable")
    assert "parent" in components["AreaRequest"]["required"]


@pytest.mark.parametrize("path", ["/api/areas/{id}/children/", "/api/areas/{id}/history/"])
def test_schema_arrays_are_not_documented_as_pages(schema, path):
    body = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert body["type"] == "array"


# --- pages -------------------------------------------------------------------------------------------------
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {
            "loaders": [
                (
                    "django.template.loaders.locmem.Loader",
                    {
                        "list.html": "{% for r in page %}<li>{{ r.pk }}</li>{% endfor %}"
                        "{% if filter.errors %}<p>ERR</p>{% endif %}[{{ querystring }}]",
                        "rows.html": "ROWS{% for r in page %}<li>{{ r.pk }}</li>{% endfor %}",
                        "form.html": "{{ form.errors }}",
                    },
                )
            ]
        },
    }
]


class ResidentListPage(ScopedListView):
    permission_required = "people.view_resident"
    queryset = Resident.objects.order_by("id")
    filterset_class = ResidentLayerFilter
    template_name = "list.html"
    partial_template_name = "rows.html"
    paginate_by = 2
    export_permission = "people.export_resident"

    def export(self, qs) -> bytes:
        return ",".join(str(r.pk) for r in qs).encode()


class HouseholdForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=Area.objects.filter(level=Level.UNIT))
    number = forms.CharField(max_length=20)


class HouseholdCreatePage(ServiceFormView):
    permission_required = "people.add_household"
    form_class = HouseholdForm
    template_name = "form.html"
    success_url = "/done/"
    success_message = "已保存"

    def run_service(self, actor, data):
        return people_services.create_household(actor, unit=data["unit"], number=data["number"])


def page_request(user, method="get", data=None, **headers):
    request = getattr(RequestFactory(), method)("/", data or {}, **headers)
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def pks_in(response) -> list[int]:
    response.render()
    return [int(x) for x in re.findall(r"<li>(\d+)</li>", response.content.decode())]


@override_settings(TEMPLATES=TEMPLATES)
def test_list_page_shows_the_users_rows_filtered_and_paged(city, users):
    user = users["community_worker"]
    visible = sorted(r.pk for r in city.residents if r.area_path.startswith(user.area.path))
    assert pks_in(ResidentListPage.as_view()(page_request(user))) == visible[:2]
    assert pks_in(ResidentListPage.as_view()(page_request(user, data={"page": "2"}))) == visible[2:4]
    assert pks_in(ResidentListPage.as_view()(page_request(user, data={"page": "abc"}))) == visible[:2]
    one = ResidentListPage.as_view()(page_request(user, data={"household": city.household_a.pk}))
    assert pks_in(one) == sorted(r.pk for r in city.residents if r.household_id == city.household_a.pk)
    assert f"household={city.household_a.pk}" in one.content.decode()


@override_settings(TEMPLATES=TEMPLATES)
@pytest.mark.parametrize("value", ["outside", HUGE, "abc"])
def test_list_page_with_an_invalid_filter_shows_the_error_and_no_rows(city, users, value):
    user = users["grid_worker"]
    raw = city.household_outside(user).pk if value == "outside" else value
    response = ResidentListPage.as_view()(page_request(user, data={"household": raw}))
    assert pks_in(response) == []
    assert "ERR" in response.content.decode()


@override_settings(TEMPLATES=TEMPLATES)
def test_list_page_partial_and_export(city, users):
    user = users["grid_worker"]
    partial = ResidentListPage.as_view()(page_request(user, HTTP_HX_REQUEST="true"))
    partial.render()
    assert partial.content.decode().startswith("ROWS")
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):  # the grid worker may list but not export
        ResidentListPage.as_view()(page_request(user, data={"format": "xlsx"}))
    user = users["community_secretary"]
    assert user.has_perm("people.export_resident")
    export = ResidentListPage.as_view()(page_request(user, data={"format": "xlsx"}))
    assert export.status_code == 200
    assert export["Content-Disposition"].startswith("attachment")
    assert sorted(int(x) for x in export.content.decode().split(",")) == sorted(
        r.pk for r in city.residents if r.area_path.startswith(user.area.path)
    )


@override_settings(TEMPLATES=TEMPLATES)
def test_list_page_refuses_without_permission_and_sends_anonymous_to_login(users):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        ResidentListPage.as_view()(page_request(users["property"]))
    anonymous = ResidentListPage.as_view()(page_request(AnonymousUser()))
    assert anonymous.status_code == 302
    assert "login" in anonymous["Location"]


@override_settings(TEMPLATES=TEMPLATES)
def test_service_form_calls_the_service_and_shows_its_refusal(city, users):
    user = users["grid_worker"]
    made = HouseholdCreatePage.as_view()(
        page_request(user, "post", {"unit": city.unit_a.pk, "number": "808"})
    )
    assert made.status_code == 302
    household = Household.objects.visible_to(user).get(unit=city.unit_a, number="808")
    assert AuditEvent.objects.filter(action="people.create_household").latest("id").actor_id == user.pk

    before = Household.objects.unscoped("test").count()
    again = HouseholdCreatePage.as_view()(
        page_request(user, "post", {"unit": city.unit_a.pk, "number": "808"})
    )
    again.render()
    assert again.status_code == 200
    assert CHINESE.search(again.content.decode())  # the service's reason, on the form
    outside = HouseholdCreatePage.as_view()(
        page_request(user, "post", {"unit": city.unit_outside(user).pk, "number": "909"})
    )
    outside.render()
    assert outside.status_code == 200
    assert "unit" in outside.context_data["form"].errors  # not a choice for this user
    assert Household.objects.unscoped("test").count() == before
    assert household.pk
