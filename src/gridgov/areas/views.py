from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.core.scope import subtree_q
from gridgov.core.services import ServiceError
from gridgov.core.views import xlsx_response

from . import panels, queries, services
from .forms import ChildForm, MoveForm, RetireForm
from .models import MOVABLE_LEVELS, PATH_LENGTH, Area, AreaChange, Level


def _visible_area(request, pk: int) -> Area:
    return get_object_or_404(Area.objects.visible_to(request.user).select_related("parent"), pk=pk)


def _move_candidates(request, area: Area):
    """Other nodes at the parent's level, inside the user's scope and the same street."""
    street_path = area.path[: PATH_LENGTH[Level.STREET]]
    return (
        Area.objects.visible_to(request.user)
        .filter(level=area.level - 1, is_active=True)
        .filter(subtree_q("path", street_path))
        .exclude(pk=area.parent_id)
        .order_by("path")
    )


@login_required
@permission_required("areas.view_area", raise_exception=True)
def area_detail(request, pk: int):
    area = _visible_area(request, pk)
    table = queries.breakdown_for(area)  # every registered indicator shown at this level
    chart_code = "residents" if "residents" in table["column_codes"] else None
    context = {
        "area": area,
        "crumbs": queries.visible_ancestors(request.user, area),
        "table": table,
        "rows": [queries.ChildRow(r["area"], r["by_code"]) for r in table["rows"]],
        "figures": table["values"],
        "chart": {
            "names": [r["name"] for r in table["rows"][:60]],
            "values": [r["by_code"][chart_code] for r in table["rows"][:60]],
        }
        if chart_code
        else None,
        "can_rezone": request.user.has_perm("areas.rezone_area")
        and area.level in MOVABLE_LEVELS
        and area.is_active,
        "can_add_child": request.user.has_perm("areas.add_area")
        and Level.STREET <= area.level < Level.UNIT
        and area.is_active,
        "move_form": MoveForm(candidates=_move_candidates(request, area))
        if area.level in MOVABLE_LEVELS
        else None,
        "retire_form": RetireForm(),
        "child_form": ChildForm(),
        "child_level": Level(area.level + 1).label if area.level < Level.UNIT else "",
        "panels": panels.for_area(request, area),  # contributed by other apps (people: a unit's households)
    }
    return render(request, "areas/detail.html", context)


@login_required
@permission_required("areas.view_area", raise_exception=True)
def area_export(request, pk: int):
    """The drill-down's figures and children's table as an xlsx (the node first, then each child)."""
    area = _visible_area(request, pk)
    title = f"{area.name} {_('指标')}"
    return xlsx_response(
        queries.breakdown_sheet(title, queries.breakdown_for(area)), f"area-{area.code}.xlsx"
    )


@login_required
@permission_required("areas.view_area", raise_exception=True)
def area_history(request, pk: int):
    area = _visible_area(request, pk)
    changes = (
        AreaChange.objects.unscoped("history of a visible area")
        .filter(subtree_q("area__path", area.path))  # current paths: a moved area keeps its earlier changes
        .select_related("area", "actor", "old_parent", "new_parent")
    )
    page = Paginator(changes, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "areas/history.html",
        {"area": area, "page": page, "crumbs": queries.visible_ancestors(request.user, area)},
    )


@login_required
@permission_required("areas.view_area", raise_exception=True)
def area_search(request):
    text = request.GET.get("q", "")
    qs = queries.search(Area.objects.visible_to(request.user).filter(is_active=True), text).order_by(
        "level", "path"
    )
    return render(request, "areas/search.html", {"q": text, "results": list(qs[:50]) if text else []})


@login_required
@require_POST
@permission_required("areas.rezone_area", raise_exception=True)
def area_move(request, pk: int):
    area = _visible_area(request, pk)
    form = MoveForm(request.POST, candidates=_move_candidates(request, area))
    if not form.is_valid():
        messages.error(request, _("请选择新上级并填写原因"))
        return redirect("areas:detail", pk=pk)
    try:
        services.move_area(
            request.user, area, form.cleaned_data["new_parent"], reason=form.cleaned_data["reason"]
        )
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已迁移,原区划代码已记入变更历史"))
    return redirect("areas:detail", pk=pk)


@login_required
@require_POST
@permission_required("areas.rezone_area", raise_exception=True)
def area_retire(request, pk: int):
    area = _visible_area(request, pk)
    form = RetireForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写撤销原因"))
        return redirect("areas:detail", pk=pk)
    try:
        services.retire_area(request.user, area, reason=form.cleaned_data["reason"])
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("areas:detail", pk=pk)
    messages.success(request, _("已撤销"))
    return redirect("areas:detail", pk=area.parent_id or pk)


@login_required
@require_POST
@permission_required("areas.add_area", raise_exception=True)
def area_add_child(request, pk: int):
    area = _visible_area(request, pk)
    form = ChildForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写名称"))
        return redirect("areas:detail", pk=pk)
    try:
        child = services.create_area(request.user, parent=area, name=form.cleaned_data["name"])
    except ServiceError as exc:
        messages.error(request, str(exc))
        return redirect("areas:detail", pk=pk)
    messages.success(request, _("已新建 %(name)s(%(code)s)") % {"name": child.name, "code": child.code})
    return redirect("areas:detail", pk=child.pk)
