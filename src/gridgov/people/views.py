from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.areas.models import Area, Level
from gridgov.core.services import RateLimited, ServiceError
from gridgov.core.views import import_page, xlsx_response
from gridgov.core.xlsx import write_sheet

from . import services
from .columns import RESIDENT_COLUMNS
from .filters import HouseholdFilter, ResidentFilter
from .forms import CorrectionForm, DecisionForm, HouseholdForm, ImportForm, ResidentEditForm, ResidentForm
from .models import CorrectionRequest, CorrectionStatus, Household, Resident, Tag
from .queries import area_options, member_counts
from .tasks import resident_filter

PAGE_SIZE = 30


def _page(request, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _selected_area(filterset) -> int | None:
    """The area the list is narrowed to, if the filter's value is a valid id."""
    if filterset.is_bound and filterset.is_valid():
        return filterset.form.cleaned_data.get("area")
    return None


@login_required
@permission_required("people.view_resident", raise_exception=True)
def resident_list(request):
    """Search and filters come from the form; an invalid value shows its error and no rows, never all rows.
    A whole ID or phone number comes by POST (the search box switches to it, people/search.js) and its
    answer is neither cached nor pushed into the address bar."""
    base = Resident.objects.visible_to(request.user).filter(is_active=True)
    data = request.POST if request.method == "POST" else request.GET
    filterset = ResidentFilter(data or None, queryset=base, request=request)
    qs = filterset.qs.select_related("household__unit__parent__parent")  # unit, building, grid
    partial = bool(request.headers.get("HX-Request"))
    context = {
        "filter": filterset,
        "page": _page(request, qs.prefetch_related("tags").order_by("area_path", "id")),
        "querystring": _query_without_page(request),
        "tags": Tag.objects.all(),
        "selected_tags": data.getlist("tag"),
        "area_options": area_options(request.user, _selected_area(filterset)),
        "selected_area": data.get("area", ""),
        "partial": partial,
    }
    template = "people/_resident_rows.html" if partial else "people/resident_list.html"
    response = render(request, template, context)
    if request.method == "POST":
        response["HX-Push-Url"] = "false"
        response["Cache-Control"] = "no-store"
    return response


@login_required
@permission_required("people.view_resident", raise_exception=True)
def resident_detail(request, pk: int):
    resident = get_object_or_404(
        Resident.objects.visible_to(request.user).select_related("household__unit"), pk=pk
    )
    edit_form = ResidentEditForm(
        initial={"name": resident.name, "relation": resident.relation, "tags": list(resident.tags.all())}
    )
    if request.method == "POST":
        if not request.user.has_perm("people.change_resident"):
            return HttpResponse(status=403)
        edit_form = ResidentEditForm(request.POST)
        if edit_form.is_valid():
            data = edit_form.cleaned_data
            try:
                services.update_resident(
                    request.user,
                    resident,
                    name=data["name"],
                    relation=data["relation"],
                    tags=data["tags"],
                    phone=data["phone"] or None,
                )
            except ServiceError as exc:
                edit_form.add_error(None, str(exc))
            else:
                messages.success(request, _("已保存"))
                return redirect("people:resident_detail", pk=pk)
    members = resident.household.members.filter(is_active=True).order_by("id")
    return render(
        request,
        "people/resident_detail.html",
        {"resident": resident, "members": members, "edit_form": edit_form, "tags": resident.tags.all()},
    )


@login_required
@require_POST
@permission_required("people.unmask_resident", raise_exception=True)
def resident_unmask(request, pk: int):
    resident = get_object_or_404(Resident.objects.visible_to(request.user), pk=pk)
    try:
        values = services.unmask_resident(request.user, resident)
    except RateLimited as exc:
        response = render(request, "people/_unmask_refused.html", {"reason": str(exc)}, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    return render(request, "people/_unmasked.html", {"values": values})


@login_required
@permission_required("people.view_household", raise_exception=True)
def household_list(request):
    base = Household.objects.visible_to(request.user).filter(is_active=True)
    filterset = HouseholdFilter(request.GET or None, queryset=base, request=request)
    page = _page(request, filterset.qs.select_related("unit__parent").order_by("area_path", "number"))
    counts = member_counts(h.pk for h in page)
    for household in page:
        household.member_count = counts.get(household.pk, 0)
    return render(
        request,
        "people/household_list.html",
        {
            "filter": filterset,
            "page": page,
            "querystring": _query_without_page(request),
            "area_options": area_options(request.user, _selected_area(filterset)),
            "selected_area": request.GET.get("area", ""),
        },
    )


@login_required
@permission_required("people.view_household", raise_exception=True)
def household_detail(request, pk: int):
    household = get_object_or_404(
        Household.objects.visible_to(request.user).select_related("unit__parent"), pk=pk
    )
    form = ResidentForm()
    if request.method == "POST":
        if not request.user.has_perm("people.add_resident"):
            return HttpResponse(status=403)
        form = ResidentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                resident = services.register_resident(
                    request.user,
                    household=household,
                    name=data["name"],
                    id_number=data["id_number"],
                    phone=data["phone"],
                    relation=data["relation"],
                    tags=data["tags"],
                )
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("已登记居民 %(name)s") % {"name": resident.name})
                return redirect("people:household_detail", pk=pk)
    members = household.members.filter(is_active=True).prefetch_related("tags").order_by("id")
    return render(
        request, "people/household_detail.html", {"household": household, "members": members, "form": form}
    )


@login_required
@require_POST
@permission_required("people.add_household", raise_exception=True)
def household_create(request, unit_pk: int):
    unit = get_object_or_404(Area.objects.visible_to(request.user), pk=unit_pk, level=Level.UNIT)
    form = HouseholdForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写户号"))
        return redirect("areas:detail", pk=unit.pk)
    try:
        household = services.create_household(request.user, unit=unit, number=form.cleaned_data["number"])
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("areas:detail", pk=unit.pk)
    return redirect("people:household_detail", pk=household.pk)


@login_required
@permission_required("people.import_resident", raise_exception=True)
def import_residents(request):
    def run(user, data):
        result = services.import_residents(user, data["file"])
        message = _("导入成功:新增居民 %(r)d 人,新建户 %(h)d 户") % {
            "r": result.residents,
            "h": result.households,
        }
        return message, reverse("people:import")

    return import_page(
        request,
        form_class=ImportForm,
        run=run,
        template="people/import.html",
        context={"columns": RESIDENT_COLUMNS},
    )


@login_required
def import_template(request):
    content = write_sheet(_("居民导入模板"), RESIDENT_COLUMNS, [])
    return xlsx_response(content, "resident-import-template.xlsx")


def _filter_errors_response(filterset) -> HttpResponse:
    """An export of an invalid filter is refused: exporting everything instead would widen the list."""
    lines = [
        f"{filterset.form.fields[name].label}: {' '.join(errors)}"
        for name, errors in filterset.errors.items()
    ]
    return HttpResponse(
        _("筛选条件有误,未导出:") + ";".join(lines), status=400, content_type="text/plain; charset=utf-8"
    )


@login_required
@permission_required("people.export_resident", raise_exception=True)
def export_residents(request):
    """The list as filtered on the page (same parameters), in scope; large lists become a background job."""
    params = {k: request.GET.getlist(k) for k in request.GET if k not in {"page", "unmasked"}}
    unmasked = request.GET.get("unmasked") == "1"
    filterset = resident_filter(request.user, params)
    if not filterset.is_valid():
        return _filter_errors_response(filterset)
    if filterset.qs.count() > settings.GRIDGOV_SYNC_EXPORT_LIMIT:
        job = services.start_export_job(request.user, params, unmasked=unmasked)
        return redirect("web:job", pk=job.pk)
    content, _rows = services.export_residents_now(request.user, params, unmasked=unmasked)
    return xlsx_response(content, "residents.xlsx")


@login_required
@permission_required("people.export_resident", raise_exception=True)
def export_households(request):
    """The household list as filtered on the page, in scope, with each household's full area path."""
    params = {k: request.GET.getlist(k) for k in request.GET if k != "page"}
    base = Household.objects.visible_to(request.user).filter(is_active=True)
    filterset = HouseholdFilter(request.GET or None, queryset=base, request=request)
    if filterset.is_bound and not filterset.is_valid():
        return _filter_errors_response(filterset)
    if filterset.qs.count() > settings.GRIDGOV_SYNC_EXPORT_LIMIT:
        job = services.start_household_export_job(request.user, params)
        return redirect("web:job", pk=job.pk)
    return xlsx_response(services.export_households_now(request.user, params), "households.xlsx")


# --- corrections (更正申请) ------------------------------------------------------------------------------
@login_required
@permission_required("people.view_correctionrequest", raise_exception=True)
def correction_list(request):
    """The community's correction requests, pending first: who asked for what, and what was decided."""
    status = request.GET.get("status", CorrectionStatus.PENDING)
    if status not in {*CorrectionStatus.values, "all"}:
        status = CorrectionStatus.PENDING
    qs = CorrectionRequest.objects.visible_to(request.user).select_related("resident")
    counts = dict(qs.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    if status != "all":
        qs = qs.filter(status=status)
    return render(
        request,
        "people/correction_list.html",
        {
            "page": _page(request, qs.order_by("-id")),
            "status": status,
            "statuses": [(v, label, counts.get(v, 0)) for v, label in CorrectionStatus.choices],
            "total": sum(counts.values()),
            "querystring": _query_without_page(request),
        },
    )


@login_required
@permission_required("people.view_correctionrequest", raise_exception=True)
def correction_detail(request, pk: int):
    correction = get_object_or_404(
        CorrectionRequest.objects.visible_to(request.user).select_related(
            "resident__household__unit", "requested_by", "decided_by"
        ),
        pk=pk,
    )
    form = DecisionForm()
    if request.method == "POST":
        if not request.user.has_perm("people.decide_correctionrequest"):
            return HttpResponse(status=403)
        form = DecisionForm(request.POST)
        if form.is_valid():
            note = form.cleaned_data.get("note", "")
            try:
                if form.cleaned_data["decision"] == "approve":
                    services.approve_correction(request.user, correction, note=note)
                    messages.success(request, _("已同意,登记信息已更正"))
                else:
                    services.reject_correction(request.user, correction, note=note)
                    messages.success(request, _("已驳回"))
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("people:correction_detail", pk=pk)
    return render(request, "people/correction_detail.html", {"correction": correction, "form": form})


@login_required
@permission_required("people.change_resident", raise_exception=True)
def resident_correction(request, pk: int):
    """Staff file a correction for a resident (an ID number typed wrong at registration, a death): the
    community decides it like a resident's own request."""
    resident = get_object_or_404(Resident.objects.visible_to(request.user), pk=pk)
    form = CorrectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.request_correction(
                request.user, resident, changes=form.changes(), reason=form.cleaned_data["reason"]
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已提交更正申请,等待审核"))
            return redirect("people:correction_detail", pk=made[0].pk)
    return render(request, "people/resident_correction.html", {"resident": resident, "form": form})
