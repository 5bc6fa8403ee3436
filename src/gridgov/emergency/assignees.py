"""Emergency work groups as an assignee kind of work orders (events.assignees), registered in ready().

During an activation a street or community user issues a task to one of the activated communities'
emergency groups; it becomes an ordinary work order dispatched to kind `emergency_group` with the group's
id, and runs through events' usual lifecycle (start, finish, verify, close, SLA and escalation).

Who works for a group: the login linked to its leader (a frontline responder) or to a responder holding a
live post of the group in an active activation. Such a staff login (community worker, grid worker, …)
keeps its area view and reporting reach — `visible_q` adds the group's tasks to its subtree — but, because
events lets a login work for one unit at a time, it handles the group's tasks rather than orders
dispatched to its community or grid while the activation lasts. Residents (sunk cadres) read their
group's tasks on their phone page (`/emergency/me/`); events keeps a resident to what it reported.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.roles import Role
from gridgov.core.actors import skips_checks
from gridgov.core.scope import OutOfScope, subtree_q, user_can_reach
from gridgov.core.services import ServiceError
from gridgov.events import assignees
from gridgov.events.models import AssigneeKind
from gridgov.events.services import TransitionRefused

from .models import Activation, Mode, Post, PostState, WorkGroup

KIND = AssigneeKind.EMERGENCY_GROUP
# Roles whose logins may work for a group on events' pages (residents, merchants and companies never do).
STAFF_ROLES = {
    Role.CITY_ADMIN,
    Role.DISTRICT,
    Role.STREET,
    Role.COMMUNITY_SECRETARY,
    Role.COMMUNITY_WORKER,
    Role.GRID_WORKER,
}
LIVE = (PostState.ASSIGNED, PostState.ACKNOWLEDGED)


def active_community_ids() -> set[int]:
    """Communities under an active activation."""
    return set(
        Activation.communities.through.objects.filter(activation__state=Activation.State.ACTIVE).values_list(
            "area_id", flat=True
        )
    )


def groups_of_user(user_id: int) -> list[int]:
    """The activated emergency groups a login works for: those its responder leads or holds a live post
    in (one query; asked for every staff login that reads work orders, so kept to one)."""
    active = Activation.communities.through.objects.filter(activation__state=Activation.State.ACTIVE)
    posted = Post.objects.unscoped("the live posts of this login's own responder record").filter(
        group_id=OuterRef("pk"),
        responder__user_id=user_id,
        state__in=LIVE,
        activation__state=Activation.State.ACTIVE,
    )
    return list(
        WorkGroup.objects.unscoped("the groups this login's own responder record leads or serves in")
        .filter(mode=Mode.EMERGENCY, community__in=active.values("area_id"))
        .filter(Q(leader__user_id=user_id) | Exists(posted))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def group_id_of(user) -> int | None:
    """The group this login works for now (cached on the user object for the request)."""
    cached = getattr(user, "_emergency_group_id", "unset")
    if cached != "unset":
        return cached  # type: ignore[return-value]
    found = groups_of_user(user.pk) if getattr(user, "pk", None) else []
    user._emergency_group_id = found[0] if found else None
    return user._emergency_group_id


def works_for_group(user) -> bool:
    if getattr(user, "role", "") not in STAFF_ROLES or not getattr(user, "area_path", ""):
        return False
    return group_id_of(user) is not None


def group_events_q(user) -> Q:
    """Its own subtree as before, plus the tasks dispatched to its group, plus what it reported."""
    q = subtree_q("area_path", user.area_path) | Q(reporter_id=user.pk)
    group_id = group_id_of(user)
    if group_id is not None:
        q |= Q(assignee_kind=KIND, assignee_id=group_id)
    return q


def may_report(user, path: str) -> bool:
    return user_can_reach(user, path)


def _label(group: WorkGroup) -> str:
    return f"{group.community.name}·{group.name}"


def lock_group(actor, group_id: int | None, _name: str) -> assignees.Target:
    """Inside the dispatch transaction: an emergency group of a community under an active activation, in
    the actor's reach."""
    if group_id is None:
        raise ServiceError(_("请选择承办的应急工作组"))
    try:
        group = WorkGroup.objects.lock_in_scope(actor, group_id)
    except WorkGroup.DoesNotExist:
        raise ServiceError(_("请选择承办的应急工作组")) from None
    except OutOfScope:
        raise TransitionRefused(_("该应急工作组不在您的管辖范围内,不能派遣")) from None
    if group.mode != Mode.EMERGENCY:
        raise ServiceError(_("只能向战时工作组派发任务"))
    if group.community_id not in active_community_ids():
        raise ServiceError(_("该工作组所在社区不在应急状态中"))
    return assignees.Target(KIND, group.pk, _label(group))


def groups_for(user) -> list[assignees.Target]:
    """The activated emergency groups the user sees (what the dispatch form offers)."""
    if skips_checks(user):
        return []
    active = active_community_ids()
    if not active:
        return []
    rows = (
        WorkGroup.objects.visible_to(user)
        .filter(mode=Mode.EMERGENCY, community_id__in=active)
        .select_related("community")
        .order_by("area_path", "sort")
    )
    return [assignees.Target(KIND, g.pk, _label(g)) for g in rows]


def group_by_id(group_id: int) -> assignees.Target | None:
    group = (
        WorkGroup.objects.unscoped("the name of a work order's assignee group, shown with the order")
        .select_related("community")
        .filter(pk=group_id)
        .first()
    )
    return assignees.Target(KIND, group.pk, _label(group)) if group is not None else None


def register() -> None:
    assignees.register(
        KIND,
        label=gettext_lazy("应急工作组"),
        validate=lock_group,
        acts_for=works_for_group,
        unit_of=group_id_of,
        visible_q=group_events_q,
        may_report=may_report,
        choices=groups_for,
        lookup=group_by_id,
        home=("emergency:me", gettext_lazy("我的岗位")),
        scope_note=gettext_lazy("显示本辖区的工单和派给%(name)s的应急任务"),
    )
