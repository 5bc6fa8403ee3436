"""Pages: the dispatcher's queue, an event with its trail and the actions the user may take, and the
phone-first pages for residents and grid workers (report an event, follow my events, log a patrol or
visit), and the grid councils."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.areas.models import Area, Level
from gridgov.core.scope import OutOfScope
from gridgov.core.services import ServiceError

from . import machine, services
from .models import OPEN_STATES, AssigneeKind, Category, Event, GridCouncil, PatrolKind, PatrolLog, State


def _events(request):
    return Event.objects.visible_to(request.user).select_related("category", "area")


@login_required
def queue(request):
    if not (request.user.has_perm("events.dispatch_event") or request.user.has_perm("events.handle_event")):
        raise PermissionDenied
    qs = _events(request)
    state = request.GET.get("state", "open")
    if state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif state in State.values:
        qs = qs.filter(state=state)
    if request.GET.get("overdue") == "1":
        qs = qs.filter(overdue=True)
    if request.GET.get("mine") == "1" and not request.user.has_perm("events.dispatch_event"):
        qs = qs.exclude(assignee_kind="")
    page = Paginator(qs.order_by("-escalation_level", "accept_due", "-reported_at"), 30).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "events/queue.html",
        {"page": page, "state": state, "states": State.choices, "overdue": request.GET.get("overdue") == "1"},
    )


@login_required
@permission_required("events.view_event", raise_exception=True)
def detail(request, pk: int):
    event = get_object_or_404(_events(request).select_related("assignee_company"), pk=pk)
    actions = services.allowed_actions(request.user, event)
    companies = []
    areas = []
    if "dispatch" in actions:
        from gridgov.property.models import Estate

        companies = sorted(
            {
                e.company
                for e in Estate.objects.visible_to(request.user).select_related("company")
                if e.company_id
            },
            key=lambda c: c.name,
        )
        areas = Area.objects.visible_to(request.user).filter(level__in=[3, 4, 5]).order_by("path")[:300]
        suggestion = services.suggest_dispatch(event)
    else:
        suggestion = None
    return render(
        request,
        "events/detail.html",
        {
            "event": event,
            "actions": [(a, machine.ACTION_LABELS[a]) for a in actions],
            "trail": event.transitions.all(),
            "attachments": event.attachments.all(),
            "companies": companies,
            "areas": areas,
            "kinds": AssigneeKind.choices,
            "suggestion": suggestion,
            "duplicates": services.duplicate_candidates(event.category, event.area, x=event.x, y=event.y)
            if event.state in (State.REPORTED, State.ACCEPTED)
            else [],
        },
    )


@login_required
@require_POST
def act(request, pk: int, action: str):
    event = get_object_or_404(_events(request), pk=pk)
    user = request.user
    data = request.POST
    note = data.get("note", "")
    try:
        if action == "accept":
            services.accept(user, event, note=note)
        elif action == "reject":
            services.reject(user, event, note=note)
        elif action == "merge":
            into = get_object_or_404(_events(request), number=data.get("into", "").strip())
            services.merge(user, event, into=into)
        elif action == "dispatch":
            from gridgov.property.models import PropertyCompany

            kind = data.get("assignee_kind", "")
            company = (
                PropertyCompany.objects.unscoped("checked by the service")
                .filter(pk=data.get("company") or 0)
                .first()
            )
            area = Area.objects.unscoped("checked by the service").filter(pk=data.get("area") or 0).first()
            services.dispatch(
                user, event, assignee_kind=kind, assignee_area=area, assignee_company=company, note=note
            )
        elif action == "start":
            services.start(user, event, note=note)
        elif action == "return":
            services.return_event(user, event, note=note)
        elif action == "finish":
            services.finish(user, event, result=data.get("result", ""))
            for upload in request.FILES.getlist("photos"):
                services.add_attachment(user, event, upload)
        elif action == "verify":
            services.verify(user, event, note=note)
        elif action == "reopen":
            services.reopen(user, event, note=note)
        elif action == "close":
            services.close(user, event, note=note)
        elif action == "escalate":
            services.escalate(user, event, note=note)
        elif action == "rate":
            services.rate(user, event, rating=data.get("rating") or 0, comment=data.get("comment", ""))
        else:
            raise Http404
        messages.success(request, _("已%(action)s") % {"action": machine.ACTION_LABELS[action]})
    except OutOfScope:
        raise Http404 from None
    except ServiceError as exc:
        messages.error(request, str(exc))
    if request.user.role == "resident":
        return redirect("events:follow", pk=event.pk)
    return redirect("events:detail", pk=event.pk)


@login_required
@permission_required("events.add_event", raise_exception=True)
def report(request):
    """Phone page: report an event (category, place, description, photos)."""
    user = request.user
    root = user.area_path[:12] if user.role == "resident" else user.area_path
    areas = (
        Area.objects.unscoped("a resident reports anywhere in their community")
        .filter(path__startswith=root, level__gte=4)
        .order_by("path")[:200]
        if root
        else Area.objects.none()
    )
    categories = Category.objects.filter(parent__isnull=False).select_related("parent").order_by("code")
    if request.method == "POST":
        category = Category.objects.filter(pk=request.POST.get("category") or 0).first()
        area = (
            Area.objects.unscoped("checked by the service").filter(pk=request.POST.get("area") or 0).first()
        )
        if category is None or area is None:
            messages.error(request, _("请选择分类和地点"))
        else:
            try:
                event = services.report_event(
                    user,
                    category=category,
                    title=request.POST.get("title", ""),
                    description=request.POST.get("description", ""),
                    area=area,
                    address=request.POST.get("address", ""),
                    attachments=request.FILES.getlist("photos"),
                )
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("已上报,工单号 %(n)s") % {"n": event.number})
                return redirect("events:follow", pk=event.pk)
    return render(
        request,
        "events/report.html",
        {"areas": areas, "categories": categories, "default_area": user.area_id},
    )


@login_required
@permission_required("events.view_event", raise_exception=True)
def mine(request):
    qs = _events(request).filter(reporter=request.user)
    return render(request, "events/mine.html", {"events": qs[:100]})


@login_required
@permission_required("events.view_event", raise_exception=True)
def follow(request, pk: int):
    """Phone page: one of my events, its trail and (once closed) the rating form."""
    event = get_object_or_404(_events(request), pk=pk)
    return render(
        request,
        "events/follow.html",
        {
            "event": event,
            "trail": event.transitions.all(),
            "can_rate": "rate" in services.allowed_actions(request.user, event),
        },
    )


# --- grid workers: patrols and visits (phone page), grid councils ------------------------------------
def _area_choice(request, levels: list[int]):
    return Area.objects.visible_to(request.user).filter(level__in=levels).order_by("path")[:300]


@login_required
@permission_required("events.add_patrollog", raise_exception=True)
def patrol(request):
    """Phone page: log a patrol, visit or joint patrol; a finding can become a work order at once."""
    user = request.user
    data = request.POST if request.method == "POST" else None
    if data is not None:
        area = Area.objects.unscoped("checked by the service").filter(pk=data.get("area") or 0).first()
        category = (
            Category.objects.filter(pk=data.get("category") or 0).first()
            if data.get("report") == "1"
            else None
        )
        if area is None or (data.get("report") == "1" and category is None):
            messages.error(request, _("请选择地点(和工单分类)"))
        else:
            try:
                log = services.log_patrol(
                    user,
                    area=area,
                    kind=data.get("kind", ""),
                    place=data.get("place", ""),
                    findings=data.get("findings", ""),
                    visited=data.get("visited", ""),
                    report_category=category,
                )
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                messages.error(request, str(exc))
            else:
                if log.event_id:
                    messages.success(request, _("已记录,并生成工单 %(n)s") % {"n": log.event.number})
                else:
                    messages.success(request, _("已记录"))
                return redirect("events:patrol")
    return render(
        request,
        "events/patrol.html",
        {
            "areas": _area_choice(request, [Level.GRID, Level.BUILDING]),
            "default_area": user.area_id,
            "kinds": PatrolKind.choices,
            "categories": Category.objects.filter(parent__isnull=False)
            .select_related("parent")
            .order_by("code"),
            "logs": PatrolLog.objects.visible_to(user)
            .filter(worker=user)
            .select_related("area", "event")[:20],
            "data": data or {},
        },
    )


@login_required
@permission_required("events.view_gridcouncil", raise_exception=True)
def councils(request):
    """Grid councils in the user's area; with events.add_gridcouncil also the form to record one."""
    user = request.user
    data = request.POST if request.method == "POST" else None
    if data is not None:
        if not user.has_perm("events.add_gridcouncil"):
            raise PermissionDenied
        area = Area.objects.unscoped("checked by the service").filter(pk=data.get("area") or 0).first()
        held_on = parse_date(data.get("held_on") or "")
        try:
            attendees = int(data.get("attendees") or 0)
        except ValueError:
            attendees = -1
        if area is None or held_on is None:
            messages.error(request, _("请选择网格并填写召开日期"))
        else:
            try:
                services.record_council(
                    user,
                    area=area,
                    held_on=held_on,
                    topic=data.get("topic", ""),
                    decisions=data.get("decisions", ""),
                    attendees=attendees,
                )
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("网格议事会已记录"))
                return redirect("events:councils")
    qs = GridCouncil.objects.visible_to(user).select_related("area")
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "events/councils.html",
        {
            "page": page,
            "grids": _area_choice(request, [Level.GRID]) if user.has_perm("events.add_gridcouncil") else [],
            "data": data or {},
            "today": timezone.localdate(),
        },
    )
