from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.areas.models import Area, Level
from gridgov.core.scope import OutOfScope
from gridgov.core.services import ImportRejected, RowError, ServiceError
from gridgov.core.xlsx import XLSX_CONTENT_TYPE, write_sheet

from . import queries, services
from .api import nearby_origin
from .columns import EXPORT_EXTRA_COLUMNS, EXPORT_TITLE, FACILITY_COLUMNS, UNCOVERED_COLUMNS
from .filters import CandidateSiteFilter, FacilityFilter
from .forms import (
    CandidateEditForm,
    CandidateForm,
    CloseForm,
    FacilityEditForm,
    FacilityForm,
    NetworkForm,
    PhotoForm,
    SitingForm,
    UploadForm,
)
from .models import CandidateSite, Facility, FacilityKind, WalkNetwork

PAGE_SIZE = 30


def _page(request, qs, size: int = PAGE_SIZE):
    return Paginator(qs, size).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _area(request) -> Area:
    """`?area=<id>` inside the user's scope (404 otherwise), else the user's own area or the root."""
    visible = Area.objects.visible_to(request.user)
    raw = request.GET.get("area") or request.POST.get("area")
    if raw:
        if not str(raw).isdigit():
            raise Http404
        return get_object_or_404(visible, pk=int(raw))
    if request.user.area_id:
        return request.user.area
    root = visible.filter(parent__isnull=True).order_by("path").first()
    if root is None:
        raise Http404
    return root


def _area_by_code(request, code: str) -> Area | None:
    code = (code or "").strip()
    if not code:
        return None
    area = Area.objects.visible_to(request.user).filter(code=code).first()
    if area is None:
        raise ServiceError(_("区域编码“%(c)s”不存在或不在您的管辖范围内") % {"c": code})
    return area


def _fields(data: dict) -> dict:
    keys = (
        "name", "address", "floor_area", "host_type", "host_name", "services", "opening_hours",
        "unified_sign", "shared_use", "shared_with", "contact_phone", "note",
    )  # fmt: skip
    return {k: data[k] for k in keys if k in data}


# --- registry --------------------------------------------------------------------------------------------
@login_required
@permission_required("facilities.view_facility", raise_exception=True)
def facility_list(request):
    base = Facility.objects.visible_to(request.user)
    filterset = FacilityFilter(request.GET or None, queryset=base, request=request)
    qs = filterset.qs.select_related("area")
    return render(
        request,
        "facilities/facility_list.html",
        {
            "filter": filterset,
            "page": _page(request, qs.order_by("area_path", "kind", "id")),
            "querystring": _query_without_page(request),
            "kinds": FacilityKind.choices,
        },
    )


@login_required
@permission_required("facilities.view_facility", raise_exception=True)
def facility_detail(request, pk: int):
    facility = get_object_or_404(Facility.objects.visible_to(request.user).select_related("area"), pk=pk)
    form = None
    if request.method == "POST":
        if not request.user.has_perm("facilities.change_facility"):
            return HttpResponse(status=403)
        form = FacilityEditForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_facility(
                    request.user,
                    facility,
                    area=_area_by_code(request, data["area_code"]),
                    x=data["x"],
                    y=data["y"],
                    **_fields(data),
                )
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("已保存"))
                return redirect("facilities:detail", pk=pk)
    return render(request, "facilities/facility_detail.html", _detail_context(facility, form=form))


def _detail_context(facility: Facility, *, form=None, close_form=None) -> dict:
    if form is None:
        form = FacilityEditForm(
            initial={
                "name": facility.name,
                "x": facility.x,
                "y": facility.y,
                "floor_area": facility.floor_area if facility.floor_area is not None else "",
                "host_type": facility.host_type,
                "host_name": facility.host_name,
                "services": facility.services,
                "opening_hours": facility.opening_hours,
                "unified_sign": facility.unified_sign,
                "shared_use": facility.shared_use,
                "shared_with": facility.shared_with,
                "contact_phone": facility.contact_phone,
                "address": facility.address,
                "note": facility.note,
            }
        )
    return {
        "facility": facility,
        "form": form,
        "close_form": close_form or CloseForm(),
        "photo_form": PhotoForm(),
        "photos": facility.photos.all(),
        "history": services.history(facility),
    }


@login_required
@require_POST
@permission_required("facilities.change_facility", raise_exception=True)
def facility_toggle(request, pk: int):
    """Close (with a reason and a ticked confirmation; errors shown on the detail page's form) or reopen."""
    facility = get_object_or_404(Facility.objects.visible_to(request.user).select_related("area"), pk=pk)
    if not facility.is_active:
        try:
            services.reopen_facility(request.user, facility)
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("已恢复使用"))
        return redirect("facilities:detail", pk=pk)
    close_form = CloseForm(request.POST)
    if close_form.is_valid():
        try:
            services.close_facility(request.user, facility, close_form.cleaned_data["reason"])
        except ServiceError as exc:
            close_form.add_error("reason", str(exc))
        else:
            messages.success(request, _("已关闭,阵地信息和记录保留"))
            return redirect("facilities:detail", pk=pk)
    return render(
        request, "facilities/facility_detail.html", _detail_context(facility, close_form=close_form)
    )


@login_required
@require_POST
@permission_required("facilities.change_facility", raise_exception=True)
def facility_photo(request, pk: int):
    facility = get_object_or_404(Facility.objects.visible_to(request.user), pk=pk)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_photo(
                request.user, facility, form.cleaned_data["file"], form.cleaned_data["caption"]
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("照片已上传"))
    return redirect("facilities:detail", pk=pk)


@login_required
@permission_required("facilities.add_facility", raise_exception=True)
def facility_create(request):
    form = FacilityForm(initial={"kind": request.GET.get("kind", FacilityKind.RED_STATION)})
    if request.method == "POST":
        form = FacilityForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                facility = services.create_facility(
                    request.user,
                    kind=data["kind"],
                    area=_area_by_code(request, data["area_code"]),
                    x=data["x"],
                    y=data["y"],
                    **_fields(data),
                )
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("已登记阵地 %(n)s") % {"n": facility.name})
                return redirect("facilities:detail", pk=facility.pk)
    return render(request, "facilities/facility_form.html", {"form": form})


@login_required
@permission_required("facilities.export_facility", raise_exception=True)
def facility_export(request):
    base = Facility.objects.visible_to(request.user)
    filterset = FacilityFilter(request.GET or None, queryset=base, request=request)
    qs = filterset.qs
    content = write_sheet(str(EXPORT_TITLE), FACILITY_COLUMNS + EXPORT_EXTRA_COLUMNS, queries.export_rows(qs))
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="facilities.xlsx"'
    return response


@login_required
@permission_required("facilities.import_facility", raise_exception=True)
def facility_import(request):
    form = UploadForm()
    errors: list[RowError] = []
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                count = services.import_facilities(request.user, form.cleaned_data["file"])
            except ImportRejected as exc:
                errors = exc.errors
            else:
                messages.success(request, _("导入成功:新增阵地 %(n)d 处") % {"n": count})
                return redirect("facilities:list")
    return render(
        request, "facilities/import.html", {"form": form, "errors": errors, "columns": FACILITY_COLUMNS}
    )


@login_required
def import_template(request):
    content = write_sheet(_("阵地导入模板"), FACILITY_COLUMNS, [])
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="facility-import-template.xlsx"'
    return response


@login_required
@permission_required("facilities.view_candidatesite", raise_exception=True)
def candidate_list(request):
    base = CandidateSite.objects.visible_to(request.user)
    filterset = CandidateSiteFilter(request.GET or None, queryset=base, request=request)
    qs = filterset.qs.select_related("area")
    return render(
        request,
        "facilities/candidate_list.html",
        {
            "filter": filterset,
            "page": _page(request, qs.order_by("area_path", "id")),
            "querystring": _query_without_page(request),
        },
    )


@login_required
@permission_required("facilities.add_candidatesite", raise_exception=True)
def candidate_create(request):
    form = CandidateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            site = services.create_candidate(
                request.user,
                name=data["name"],
                room_type=data["room_type"],
                area=_area_by_code(request, data["area_code"]),
                x=data["x"],
                y=data["y"],
                floor_area=data["floor_area"],
                host_name=data["host_name"],
                address=data["address"],
            )
        except OutOfScope:
            raise Http404 from None
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已登记备选用房 %(n)s") % {"n": site.name})
            return redirect("facilities:candidates")
    return render(request, "facilities/candidate_form.html", {"form": form, "site": None})


@login_required
@permission_required("facilities.view_candidatesite", raise_exception=True)
def candidate_edit(request, pk: int):
    site = get_object_or_404(CandidateSite.objects.visible_to(request.user).select_related("area"), pk=pk)
    initial = {
        "name": site.name,
        "room_type": site.room_type,
        "x": site.x,
        "y": site.y,
        "floor_area": site.floor_area if site.floor_area is not None else "",
        "host_name": site.host_name,
        "address": site.address,
        "is_available": site.is_available,
    }
    form = CandidateEditForm(initial=initial)
    if request.method == "POST":
        if not request.user.has_perm("facilities.change_candidatesite"):
            return HttpResponse(status=403)
        form = CandidateEditForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.update_candidate(
                    request.user,
                    site,
                    name=data["name"],
                    room_type=data["room_type"],
                    area=_area_by_code(request, data["area_code"]),
                    x=data["x"],
                    y=data["y"],
                    floor_area=data["floor_area"],
                    host_name=data["host_name"],
                    address=data["address"],
                    is_available=data["is_available"],
                )
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("已保存"))
                return redirect("facilities:candidates")
    return render(request, "facilities/candidate_form.html", {"form": form, "site": site})


# --- standards, circle, siting ---------------------------------------------------------------------------
@login_required
@permission_required("facilities.view_facility", raise_exception=True)
def standards(request):
    area = _area(request)
    result = queries.standards(request.user, area)
    failing = [c for c in result.communities if c.status != "ok"]
    failing.sort(key=lambda c: (c.status != "missing", -c.shortfall))
    compounds = _page(request, queries.compounds_without_station(request.user, area), 50)
    return render(
        request,
        "facilities/standards.html",
        {
            "area": area,
            "result": result,
            "failing": failing,
            "compounds": compounds,
            "querystring": _query_without_page(request),
            "kind_rows": [
                (label, result.counts.get(kind, 0), queries.REPORT_FIGURES.get(kind, ""))
                for kind, label in FacilityKind.choices
            ],
        },
    )


@login_required
@permission_required("facilities.view_buildingaccess", raise_exception=True)
def coverage(request):
    area = _area(request)
    summary = queries.coverage_summary(request.user, area)
    kind = request.GET.get("kind") or None
    if kind and kind not in FacilityKind.values:
        kind = None
    uncovered = _page(request, queries.uncovered(request.user, area, kind), 50)
    children = Area.objects.visible_to(request.user).filter(
        parent=area, is_active=True, level__lte=Level.GRID
    )
    return render(
        request,
        "facilities/coverage.html",
        {
            "area": area,
            "summary": summary,
            "uncovered": uncovered,
            "children": children.order_by("path"),
            "kind": kind or "",
            "kinds": FacilityKind.choices,
            "querystring": _query_without_page(request),
            "run": queries.coverage_run(area.path),
            "network": services.active_network(area.path),
        },
    )


@login_required
@permission_required("facilities.view_buildingaccess", raise_exception=True)
def coverage_map(request):
    return JsonResponse(queries.map_data(request.user, _area(request)))


@login_required
@permission_required("facilities.view_buildingaccess", raise_exception=True)
def uncovered_export(request):
    area = _area(request)
    kind = request.GET.get("kind") or None
    rows = (
        {
            "code": a.building.code,
            "name": a.building.name,
            "grid": a.building.parent.name if a.building.parent_id else "",
            "households": a.households,
            "residents": a.residents,
            "minutes_any": a.minutes_any if a.minutes_any is not None else "",
        }
        for a in queries.uncovered(request.user, area, kind).iterator(chunk_size=2000)
    )
    content = write_sheet(_("生活圈未覆盖楼院"), UNCOVERED_COLUMNS, rows)
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="uncovered-buildings.xlsx"'
    return response


@login_required
@require_POST
@permission_required("facilities.recompute_coverage", raise_exception=True)
def recompute(request):
    area = _area(request)
    job = services.start_recompute_job(request.user, area)
    return redirect("web:job", pk=job.pk)


@login_required
@permission_required("facilities.view_candidatesite", raise_exception=True)
def siting(request):
    area = _area(request)
    form = SitingForm(request.GET if "k" in request.GET else None)
    result = None
    error = ""
    if form.is_bound and form.is_valid():
        try:
            result = queries.suggest_sites(
                request.user, area, form.cleaned_data["k"], form.cleaned_data["kind"] or None
            )
        except ServiceError as exc:
            error = str(exc)
    return render(
        request, "facilities/siting.html", {"area": area, "form": form, "result": result, "error": error}
    )


@login_required
@permission_required("facilities.view_nearby", raise_exception=True)
def nearby(request):
    origin = nearby_origin(request.user, request.GET.get("building"))
    found, method = queries.nearby(origin) if origin is not None else ([], "none")
    choices = []
    if origin is not None and origin.parent_id:
        # Other buildings of the same grid, to switch between (only those the user may see).
        choices = list(
            Area.objects.visible_to(request.user)
            .filter(parent_id=origin.parent_id, level=Level.BUILDING, is_active=True)
            .order_by("path")[:100]
        )
    return render(
        request,
        "facilities/nearby.html",
        {
            "origin": origin,
            "found": found,
            "method": method,
            "choices": choices,
            "minutes": settings.GRIDGOV_CIRCLE_MINUTES,
        },
    )


@login_required
@permission_required("facilities.view_walknetwork", raise_exception=True)
def network(request):
    area = _area(request)
    form = NetworkForm()
    errors: list[RowError] = []
    if request.method == "POST":
        if not request.user.has_perm("facilities.import_walknetwork"):
            return HttpResponse(status=403)
        form = NetworkForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                imported = services.import_network(
                    request.user,
                    area=area,
                    data=upload.read(),
                    name=form.cleaned_data["name"] or upload.name,
                    drop_fragments=form.cleaned_data["drop_fragments"],
                )
            except ImportRejected as exc:
                errors = exc.errors
            except ServiceError as exc:
                errors = [RowError(0, str(exc))]
            else:
                messages.success(
                    request,
                    _("路网已导入:%(s)d 条线段,%(km).1f 公里")
                    % {"s": imported.segments, "km": imported.length_km},
                )
                for warning in imported.warnings:
                    messages.warning(request, warning)
                return redirect("facilities:network")
    networks = WalkNetwork.objects.visible_to(request.user).order_by("-created_at", "-id")[:20]
    return render(
        request,
        "facilities/network.html",
        {
            "form": form,
            "errors": errors,
            "networks": networks,
            "area": area,
            "active": services.active_network(area.path),
            "speed": settings.GRIDGOV_WALK_SPEED_M_PER_MIN,
            "detour": settings.GRIDGOV_DETOUR_FACTOR,
            "example": json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {"kind": "footway"},
                            "geometry": {
                                "type": "LineString",
                                "coordinates": [[1200.0, 800.0], [1350.5, 800.0]],
                            },
                        }
                    ],
                },
                ensure_ascii=False,
            ),
        },
    )
