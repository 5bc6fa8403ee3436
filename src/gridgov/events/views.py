"""Pages: the dispatcher's queue, an event with its trail and the actions the user may take, and the
phone-first pages for residents and grid workers (report an event, follow my events, log a patrol or
visit), and the grid councils."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridgov.accounts.roles import Role
from gridgov.areas.models import PATH_LENGTH, Area, Level
from gridgov.core.pages import ScopedListView, ServiceFormView, page_of
from gridgov.core.scope import OutOfScope, user_can_reach
from gridgov.core.services import ServiceError
from gridgov.core.views import xlsx_response

from . import assignees, machine, origins, places, services
from .filters import QueueFilter
from .forms import ACTION_FORMS, CouncilForm, PatrolForm, ReportForm
from .models import AssigneeKind, Event, GridCouncil, PatrolLog, State


def _events(request):
    return Event.objects.visible_to(request.user).select_related("category", "area")


class QueueView(ScopedListView):
    """The work orders of the user's area (a company login: its own), unfinished ones first by default."""

    queryset = Event.objects.select_related("category", "area").order_by(
        "-escalation_level", "accept_due", "-reported_at"
    )
    filterset_class = QueueFilter
    template_name = "events/queue.html"
    export_permission = "events.export_event"

    def has_permission(self) -> bool:
        user = self.request.user
        return user.has_perm("events.dispatch_event") or user.has_perm("events.handle_event")

    @property
    def export_filename(self) -> str:  # type: ignore[override]
        return f"events-{self.filters.chosen_state}.xlsx"

    def export(self, qs) -> bytes:
        user: Any = self.request.user  # logged in: the permission mixin ran first
        return services.export_events(user, qs)

    @property
    def filters(self) -> QueueFilter:
        assert self.filterset is not None  # made by get_queryset
        return self.filterset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = context["page"]
        page.object_list = list(page.object_list)
        labels = places.place_labels([e.area_path for e in page.object_list])
        for e in page.object_list:
            e.place_label = labels.get(e.area_path, e.area.name)
        form = self.filters.form
        context.update(
            state=self.filters.chosen_state,
            states=State.choices,
            overdue=bool(form.is_valid() and form.cleaned_data.get("overdue")),
            unit=unit_of(self.request.user),
        )
        return context


class QueueExportView(QueueView):
    """The queue as xlsx: every row the filters select in the user's scope (not only the page shown)."""

    permission_required = "events.export_event"

    def has_permission(self) -> bool:
        return self.request.user.has_perm(self.permission_required)

    def get(self, request, *args, **kwargs):
        return xlsx_response(self.export(self.get_queryset()), self.export_filename)


def unit_of(user) -> dict | None:
    """The unit a login works for (a property company's account), for the pages' heading and link."""
    found = assignees.unit(user)
    if found is None:
        return None
    kind, unit_id = found
    target = assignees.lookup(kind.kind, unit_id)
    if target is None:
        return None
    note = str(kind.scope_note) % {"name": target.name} if kind.scope_note else ""
    return {"kind": kind.kind, "id": unit_id, "name": target.name, "home": kind.home, "scope_note": note}


def dispatch_defaults(user, event: Event) -> dict:
    """What the dispatch form offers and pre-selects: the dispatch rule's target when a rule applies,
    otherwise the category's default assignee — for a unit kind the one its app suggests for the place
    (the estate's property company), for an area kind the event's own grid, community or street."""
    rule = services.suggest_dispatch(event)
    kind = rule.assignee_kind if rule else event.category.default_assignee
    spec = assignees.find(kind)
    suggested = assignees.suggest(kind, event.area_path)
    unit_id = None
    if spec is not None and not spec.is_area:
        unit_id = rule.assignee_id if rule and rule.assignee_id else (suggested.id if suggested else None)
    if spec is None or (not spec.is_area and unit_id is None):
        kind, spec = AssigneeKind.COMMUNITY, assignees.get(AssigneeKind.COMMUNITY)
    path = event.area_path
    own: dict[str, str] = {
        AssigneeKind.GRID: path[: PATH_LENGTH[Level.GRID]],
        AssigneeKind.COMMUNITY: path[: PATH_LENGTH[Level.COMMUNITY]],
        AssigneeKind.DEPARTMENT: path[: PATH_LENGTH[Level.STREET]],
    }
    community = path[: PATH_LENGTH[Level.COMMUNITY]]
    candidates = Area.objects.unscoped("dispatch targets: filtered by the user's reach below").filter(
        Q(path__in=[own[AssigneeKind.DEPARTMENT], community])
        | Q(path__startswith=community, level=Level.GRID)
    )
    areas = sorted((a for a in candidates if user_can_reach(user, a.path)), key=lambda a: a.path)
    labels = places.place_labels([a.path for a in areas])
    area_choices = [(a.pk, f"{a.get_level_display()} · {labels.get(a.path, a.name)}") for a in areas]
    area_id: int | None
    if rule and rule.assignee_area_id:
        area_id = rule.assignee_area_id
    else:
        area_id = next((a.pk for a in areas if a.path == own.get(kind)), None)
    units = []
    for unit_kind, targets in assignees.choices(user).items():
        offered = {t.id: t for t in targets}
        if suggested is not None and suggested.kind == unit_kind:
            offered.setdefault(suggested.id, suggested)
        if offered:
            units.append((assignees.label(unit_kind), sorted(offered.values(), key=lambda t: (t.name, t.id))))
    if rule:
        reason = _("按派遣规则:%(kind)s") % {"kind": rule.get_assignee_kind_display()}
    elif not spec.is_area and suggested is not None and suggested.reason:
        reason = suggested.reason
    else:
        reason = _("按分类默认派遣对象:%(kind)s") % {"kind": assignees.label(kind)}
    return {
        "kind": kind,
        "unit_id": unit_id if not spec.is_area else None,
        "area_id": area_id if spec.is_area else None,
        "units": units,
        "areas": area_choices,
        "kinds": [(k.kind, k.label) for k in assignees.kinds()],
        "reason": reason,
        "rule": rule,
    }


# The service each action of the detail (and phone) page runs, with its form's arguments (forms.ACTION_FORMS).
TRANSITIONS: dict[str, Callable[..., Event]] = {
    "accept": services.accept,
    "reject": services.reject,
    "merge": services.merge,
    "dispatch": services.dispatch,
    "start": services.start,
    "return": services.return_event,
    "finish": services.finish,
    "verify": services.verify,
    "reopen": services.reopen,
    "close": services.close,
    "escalate": services.escalate,
    "rate": services.rate,
}


def _detail_context(request, event: Event, failed: dict | None = None) -> dict:
    actions = services.allowed_actions(request.user, event)
    duplicates = []
    if event.state in (State.REPORTED, State.ACCEPTED):
        duplicates = [
            d
            for d in services.duplicate_candidates(event.category, event.area, x=event.x, y=event.y)
            if d.pk != event.pk
        ]
    return {
        "event": event,
        "place_label": places.place_labels([event.area_path])[event.area_path],
        "actions": [(a, machine.ACTION_LABELS[a]) for a in actions],
        "trail": event.transitions.all(),
        "attachments": event.attachments.all(),
        "dispatch": dispatch_defaults(request.user, event) if "dispatch" in actions else None,
        "duplicates": duplicates,
        "origin": origins.link_for(request.user, event),
        "unit": unit_of(request.user),
        "failed": failed,
    }


def _follow_context(request, event: Event, failed: dict | None = None) -> dict:
    return {
        "event": event,
        "place_label": places.place_labels([event.area_path])[event.area_path],
        "trail": event.transitions.all(),
        "can_rate": "rate" in services.allowed_actions(request.user, event),
        "failed": failed,
    }


@login_required
@permission_required("events.view_event", raise_exception=True)
def detail(request, pk: int):
    event = get_object_or_404(_events(request), pk=pk)
    return render(request, "events/detail.html", _detail_context(request, event))


@login_required
@require_POST
def act(request, pk: int, action: str):
    """One action on a work order. Bad input or a refusal shows the page again with the reason above the
    actions (nothing changed); done, it redirects back to the event."""
    if action not in TRANSITIONS:
        raise Http404
    event = get_object_or_404(_events(request), pk=pk)
    resident = request.user.role == Role.RESIDENT
    form = ACTION_FORMS[action](request.POST, request.FILES, user=request.user)
    if form.is_valid():
        try:
            TRANSITIONS[action](request.user, event, **form.arguments())
            for upload in form.photos:
                services.add_attachment(request.user, event, upload)
        except OutOfScope:
            raise Http404 from None
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已%(action)s") % {"action": machine.ACTION_LABELS[action]})
            return redirect("events:follow" if resident else "events:detail", pk=event.pk)
    event = get_object_or_404(_events(request), pk=pk)
    failed = {"action": action, "label": machine.ACTION_LABELS[action], "form": form}
    if resident:
        return render(request, "events/follow.html", _follow_context(request, event, failed))
    return render(request, "events/detail.html", _detail_context(request, event, failed))


def _picker(request, purpose: str):
    """The place picker for a submitted form: (picker, place or None); OutOfScope for a place out of reach."""
    try:
        picker = places.build_picker(request.user, purpose, request.POST, strict=True)
    except places.PlaceError as exc:
        picker = places.build_picker(request.user, purpose, request.POST)
        picker.error = str(exc)
        return picker, None
    place = picker.place
    if place is None:
        picker.error = picker.error or _("请选择地点")
    elif place.level < places.MIN_LEVEL[purpose]:
        picker.error = _("请至少选择到%(level)s") % {"level": Level(places.MIN_LEVEL[purpose]).label}
        place = None
    return picker, place


@login_required
def place_options(request):
    """htmx: the place picker's selects re-rendered for the choices so far (and the search text)."""
    purpose = request.GET.get("place_for", places.REPORT)
    perm = "events.add_patrollog" if purpose == places.PATROL else "events.add_event"
    if not request.user.has_perm(perm):
        raise PermissionDenied
    trigger = request.headers.get("HX-Trigger-Name", "")
    picker = places.build_picker(request.user, purpose, request.GET, trigger=trigger)
    return render(request, "events/_place_selects.html", {"picker": picker})


@login_required
@permission_required("events.add_event", raise_exception=True)
def report(request):
    """Phone page: report an event (category, place, description, photos)."""
    user = request.user
    if request.method == "POST":
        form = ReportForm(request.POST)
        try:
            picker, place = _picker(request, places.REPORT)
        except OutOfScope:
            raise Http404 from None
        if form.is_valid() and place is not None:
            try:
                event = services.report_event(
                    user,
                    category=form.cleaned_data["category"],
                    title=form.cleaned_data["title"],
                    description=form.cleaned_data["description"],
                    area=place,
                    address=form.cleaned_data["address"],
                    attachments=request.FILES.getlist("photos"),
                )
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("已上报,工单号 %(n)s") % {"n": event.number})
                return redirect("events:follow", pk=event.pk)
    else:
        form = ReportForm()
        picker = places.build_picker(user, places.REPORT)
    return render(request, "events/report.html", {"form": form, "picker": picker})


def _with_places(events):
    events = list(events)
    labels = places.place_labels([e.area_path for e in events])
    for e in events:
        e.place_label = labels.get(e.area_path, "")
    return events


@login_required
@permission_required("events.view_event", raise_exception=True)
def mine(request):
    qs = _events(request).filter(reporter=request.user)
    return render(request, "events/mine.html", {"events": _with_places(qs[:100])})


@login_required
@permission_required("events.view_event", raise_exception=True)
def follow(request, pk: int):
    """Phone page: one of my events, its trail and (once closed) the rating form."""
    event = get_object_or_404(_events(request), pk=pk)
    return render(request, "events/follow.html", _follow_context(request, event))


# --- grid workers: patrols and visits (phone page), grid councils ------------------------------------
@login_required
@permission_required("events.add_patrollog", raise_exception=True)
def patrol(request):
    """Phone page: log a patrol, visit or joint patrol; a finding can become a work order at once."""
    user = request.user
    if request.method == "POST":
        form = PatrolForm(request.POST)
        try:
            picker, place = _picker(request, places.PATROL)
        except OutOfScope:
            raise Http404 from None
        if form.is_valid() and place is not None:
            data = form.cleaned_data
            try:
                log = services.log_patrol(
                    user,
                    area=place,
                    kind=data["kind"],
                    place=data["place"],
                    findings=data["findings"],
                    visited=data["visited"],
                    report_category=data["category"] if data["report"] else None,
                )
            except OutOfScope:
                raise Http404 from None
            except ServiceError as exc:
                form.add_error(None, str(exc))
            else:
                if log.event is not None:
                    messages.success(request, _("已记录,并生成工单 %(n)s") % {"n": log.event.number})
                else:
                    messages.success(request, _("已记录"))
                return redirect("events:patrol")
    else:
        form = PatrolForm()
        picker = places.build_picker(user, places.PATROL)
    logs = _with_places(
        PatrolLog.objects.visible_to(user).filter(worker=user).select_related("area", "event")[:20]
    )
    return render(request, "events/patrol.html", {"form": form, "picker": picker, "logs": logs})


class CouncilsView(ServiceFormView):
    """Grid councils in the user's area; with events.add_gridcouncil also the form to record one."""

    permission_required = "events.view_gridcouncil"
    form_class = CouncilForm
    template_name = "events/councils.html"

    @property
    def success_message(self) -> str:  # type: ignore[override]
        return _("网格议事会已记录")

    def has_permission(self) -> bool:
        needed = "events.add_gridcouncil" if self.request.method == "POST" else self.permission_required
        return self.request.user.has_perm(needed)

    def run_service(self, actor, data: dict):
        return services.record_council(actor, **data)

    def get_success_url(self) -> str:
        return reverse("events:councils")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        councils = GridCouncil.objects.visible_to(self.request.user).select_related("area")
        context["page"] = page_of(self.request, councils)
        if not self.request.user.has_perm("events.add_gridcouncil"):
            context["form"] = None
        return context
