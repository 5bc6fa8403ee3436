"""Pages: the activation console (with its confirmation step), the live board, a responder's phone page,
a community's group formation page and the readiness list."""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Q
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.areas.models import Area, Level
from gridgov.core.pages import page_of, scope_form
from gridgov.core.scope import OutOfScope
from gridgov.core.services import ServiceError

from . import services
from .assignees import groups_of_user
from .forms import ActivationForm, TaskForm
from .models import Activation, Mode, Post, PostState, Readiness, Responder, WorkGroup, skill_label


def _skills(d: dict) -> list[tuple[str, int]]:
    return [(_("组长") if k == "leader" else skill_label(k), v) for k, v in d.items()]


@login_required
@permission_required("emergency.activate_emergency", raise_exception=True)
def console(request):
    """Step 1: choose communities, level, reason; step 2: the preview; step 3: confirm."""
    form = scope_form(ActivationForm(request.POST or None), request.user)
    plan = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        params = {
            "communities": list(data["communities"]),
            "level": data["level"],
            "reason": data["reason"],
            "is_drill": data["is_drill"],
            "max_distance_m": data["max_distance_m"],
        }
        try:
            if request.POST.get("step") == "confirm":
                act = services.activate(request.user, ack_minutes=data["ack_minutes"], **params)
                messages.success(request, _("已启动,已向%(n)d人发送到岗通知") % {"n": act.posted})
                return redirect("emergency:board", pk=act.pk)
            plan = services.preview(request.user, **params)
        except OutOfScope:
            raise Http404 from None
        except ServiceError as exc:
            form.add_error(None, str(exc))
    active = (
        Activation.objects.visible_to(request.user)
        .filter(state=Activation.State.ACTIVE)
        .select_related("area")
    )
    recent = Activation.objects.visible_to(request.user).filter(state=Activation.State.ENDED)[:10]
    return render(
        request,
        "emergency/console.html",
        {"form": form, "plan": plan, "active": active, "recent": recent},
    )


def _board_version(request, act: Activation) -> str:
    """What the live board shows changes only with the posts' states, acknowledgements and the tasks: one
    aggregate over each (no rows read), so an unchanged poll costs these two queries and a 304."""
    posts = Post.objects.unscoped("posts of a visible activation").filter(activation=act)
    p = posts.aggregate(
        n=Count("id"),
        acks=Count("ack"),
        no_show=Count("id", filter=Q(state=PostState.NO_SHOW)),
        live=Count("id", filter=Q(state__in=(PostState.ASSIGNED, PostState.ACKNOWLEDGED))),
        at=Max("updated_at"),
    )
    t = services.activation_tasks(request.user, act).aggregate(n=Count("id"), at=Max("updated_at"))
    raw = f"{act.pk}:{act.state}:{act.updated_at.isoformat()}:{sorted(p.items())}:{sorted(t.items())}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def _board_context(request, act: Activation) -> dict:
    rows = services.live_counts(act)
    totals = {k: sum(r[k] for r in rows) for k in ("posted", "acknowledged", "pending", "no_show")}
    chart = {
        "labels": [f"{r['community_name']}·{r['group_name']}" for r in rows],
        "series": [
            {"name": _("已响应"), "data": [r["acknowledged"] for r in rows]},
            {"name": _("待响应"), "data": [r["pending"] for r in rows]},
            {"name": _("未响应"), "data": [r["no_show"] for r in rows]},
        ],
    }
    return {
        "act": act,
        "rows": rows,
        "totals": totals,
        "chart": chart,
        "can_act": request.user.has_perm("emergency.activate_emergency"),
        "tasks": list(services.activation_tasks(request.user, act)[:100]),
    }


@login_required
@permission_required("emergency.view_activation", raise_exception=True)
def board(request, pk: int):
    """The live board. htmx polls it every 3 s; the partial carries an ETag, so the browser revalidates
    (If-None-Match) and an unchanged board is a 304 after one version query. POST issues a task."""
    act = get_object_or_404(Activation.objects.visible_to(request.user).select_related("area"), pk=pk)
    can_issue = act.state == Activation.State.ACTIVE and request.user.has_perm("events.dispatch_event")
    task_form = TaskForm(activation=act, user=request.user) if can_issue else None
    if request.method == "POST":
        if not can_issue:
            raise PermissionDenied
        task_form = TaskForm(request.POST, activation=act, user=request.user)
        if task_form.is_valid():
            data = task_form.cleaned_data
            try:
                event = services.issue_task(
                    request.user,
                    act,
                    group=data["group"],
                    title=data["title"],
                    description=data["description"],
                    category=data["category"],
                )
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                task_form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("已向%(g)s派发任务 %(n)s") % {"g": event.assignee_name, "n": event.number}
                )
                return redirect("emergency:board", pk=act.pk)
    if request.method == "GET" and request.headers.get("HX-Request"):
        etag = _board_version(request, act)
        response: HttpResponse
        if etag in request.headers.get("If-None-Match", ""):
            response = HttpResponseNotModified()
        else:
            response = render(request, "emergency/_board.html", _board_context(request, act))
        response["ETag"] = etag
        response["Cache-Control"] = "private, no-cache"
        response["Vary"] = "HX-Request, Cookie"
        return response
    ctx = _board_context(request, act)
    ctx["communities"] = act.communities.order_by("path")
    ctx["task_form"] = task_form
    response = render(request, "emergency/board.html", ctx)
    response["Cache-Control"] = "no-store"
    response["Vary"] = "HX-Request, Cookie"
    return response


@login_required
@require_POST
def board_action(request, pk: int, what: str):
    if not request.user.has_perm("emergency.activate_emergency"):
        raise PermissionDenied
    act = get_object_or_404(Activation.objects.visible_to(request.user), pk=pk)
    try:
        if what == "deactivate":
            services.deactivate(request.user, act, note=request.POST.get("note", "")[:300])
            messages.success(request, _("已恢复平时状态,处置记录已生成"))
        elif what == "reassign":
            result = services.reassign_no_shows(request.user, act)
            messages.success(
                request, _("%(n)d人未响应,已重新派岗%(p)d人") % {"n": result.no_shows, "p": result.reposted}
            )
        else:
            raise Http404
    except OutOfScope:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, str(exc))
    return redirect("emergency:board", pk=act.pk)


@login_required
def my_posts(request):
    """A responder's phone page: the post to go to now (acknowledge), standing posts, history."""
    posts = (
        Post.objects.unscoped("a responder's own posts")
        .filter(responder__user=request.user)
        .select_related("group__community", "group__leader", "activation")
        .order_by("-assigned_at", "-id")
    )
    current = [
        p
        for p in posts
        if p.activation_id
        and p.state in (PostState.ASSIGNED, PostState.ACKNOWLEDGED)
        and p.activation.state == Activation.State.ACTIVE
    ]
    standing = [p for p in posts if p.activation_id is None]
    history = [p for p in posts if p.activation_id and p not in current][:20]
    notices = list(
        Responder.objects.unscoped("a responder's own record")
        .filter(user=request.user)
        .values_list("name", flat=True)
    )
    group_ids = [p.group_id for p in current]
    if notices:
        group_ids += groups_of_user(request.user.pk)
    tasks = list(services.tasks_for_groups(sorted(set(group_ids)))[:20]) if group_ids else []
    return render(
        request,
        "emergency/me.html",
        {
            "current": current,
            "standing": standing,
            "history": history,
            "is_responder": bool(notices),
            "tasks": tasks,
        },
    )


@login_required
@require_POST
def acknowledge(request, pk: int):
    try:
        services.acknowledge(request.user, pk)
        messages.success(request, _("已确认响应,请尽快到岗"))
    except ServiceError as exc:
        messages.error(request, str(exc))
    return redirect("emergency:me")


@login_required
@permission_required("emergency.view_readiness", raise_exception=True)
def readiness(request):
    rows = (
        Readiness.objects.visible_to(request.user)
        .select_related("community")
        .order_by("staffed", "area_path")
    )
    groups = (
        WorkGroup.objects.visible_to(request.user)
        .filter(mode=Mode.EMERGENCY)
        .values("community_id")
        .annotate(total=Count("id"), short=Count("id", filter=~Q(shortfall={}) | Q(leader__isnull=True)))
    )
    formed = {g["community_id"]: g for g in groups}
    communities = (
        Area.objects.visible_to(request.user).filter(level=Level.COMMUNITY, is_active=True).order_by("path")
    )
    not_formed = [c for c in communities if c.pk not in formed or formed[c.pk]["short"]]
    page = page_of(request, rows, 50)
    map_data = readiness_map(rows[:1000])
    active = (
        Activation.objects.visible_to(request.user)
        .filter(state=Activation.State.ACTIVE)
        .select_related("area")
        .order_by("-started_at")
        if request.user.has_perm("emergency.view_activation")
        else Activation.objects.none()
    )
    return render(
        request,
        "emergency/readiness.html",
        {
            "active": list(active[:20]),
            "map_data": map_data if map_data["data"] else None,
            "page": page,
            "not_formed": not_formed[:200],
            "not_formed_count": len(not_formed),
            "community_count": communities.count(),
            "can_refresh": request.user.has_perm("emergency.view_readiness"),
            "user_area": request.user.area if getattr(request.user, "area_id", None) else None,
        },
    )


def readiness_map(rows) -> dict:
    """The readiness map: each community's own polygon (Area.geometry, as the coverage map draws areas),
    keyed by its id, with staffed / required in per cent; a community without a polygon is a point."""
    features, data, points = [], [], []
    for r in rows:
        c = r.community
        pct = round(100 * r.ratio)
        short = sum(s["short"] for s in r.shortfall)
        geometry = c.geometry if isinstance(c.geometry, dict) else None
        if geometry and geometry.get("type") in {"Polygon", "MultiPolygon"}:
            features.append({"type": "Feature", "properties": {"name": str(c.pk)}, "geometry": geometry})
            data.append({"name": str(c.pk), "value": pct, "label": c.name, "short": short})
        else:
            points.append({"name": c.name, "value": [c.x or 0, c.y or 0, pct], "short": short})
    return {
        "geojson": {"type": "FeatureCollection", "features": features},
        "data": data or points,
        "points": points if data else [],
        "polygons": bool(data),
    }


@login_required
@require_POST
@permission_required("emergency.view_readiness", raise_exception=True)
def readiness_refresh(request):
    raw = request.POST.get("area", "")
    area = get_object_or_404(
        Area.objects.visible_to(request.user), pk=int(raw) if raw.isdigit() and len(raw) < 12 else 0
    )
    try:
        n = services.compute_readiness(request.user, area)
        messages.success(request, _("已重新计算%(n)d个社区的战备状态") % {"n": n})
    except ServiceError as exc:
        messages.error(request, str(exc))
    return redirect("emergency:readiness")


@login_required
@permission_required("emergency.view_workgroup", raise_exception=True)
def groups(request, pk: int):
    community = get_object_or_404(Area.objects.visible_to(request.user).filter(level=Level.COMMUNITY), pk=pk)
    if request.method == "POST":
        if not request.user.has_perm("emergency.form_workgroup"):
            raise PermissionDenied
        try:
            result = services.form_groups(request.user, [community])
            messages.success(
                request, _("编组完成:%(g)d个小组,%(p)d个岗位") % {"g": result.groups, "p": result.posts}
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
        return redirect("emergency:groups", pk=pk)
    rows = list(
        WorkGroup.objects.visible_to(request.user)
        .filter(community=community)
        .select_related("leader")
        .order_by("mode", "sort")
    )
    members: dict[int, list[Post]] = {}
    for p in (
        Post.objects.visible_to(request.user)
        .filter(group__in=rows, activation__isnull=True)
        .select_related("responder")
        .order_by("skill", "id")
    ):
        members.setdefault(p.group_id, []).append(p)
    data = [
        {
            "group": g,
            "required": _skills(g.required),
            "short": _skills(g.shortfall),
            "members": members.get(g.pk, []),
        }
        for g in rows
    ]
    return render(
        request,
        "emergency/groups.html",
        {
            "community": community,
            "normal": [d for d in data if d["group"].mode == Mode.NORMAL],
            "emergency": [d for d in data if d["group"].mode == Mode.EMERGENCY],
            "can_form": request.user.has_perm("emergency.form_workgroup"),
            "can_import_party": request.user.has_perm("emergency.add_responder"),
        },
    )


@login_required
@require_POST
@permission_required("emergency.add_responder", raise_exception=True)
def import_party(request, pk: int):
    """双报到 in-service members of the community into its volunteer pool (the groups page's button)."""
    community = get_object_or_404(Area.objects.visible_to(request.user).filter(level=Level.COMMUNITY), pk=pk)
    try:
        result = services.import_party_members(request.user, community)
    except OutOfScope:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("双报到在职党员%(m)d人:新增志愿者%(c)d人,已在库%(a)d人")
            % {"m": result.members, "c": result.created, "a": result.already},
        )
    return redirect("emergency:groups", pk=pk)
