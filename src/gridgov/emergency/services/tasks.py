"""Tasks issued to an activation's emergency groups, as work orders through the events service."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.core import audit
from gridgov.core.actors import skips_checks
from gridgov.core.scope import OutOfScope
from gridgov.core.services import ServiceError
from gridgov.events import services as events
from gridgov.events.models import Category, Event

from ..assignees import KIND
from ..models import Activation, Mode, WorkGroup
from ._common import require

DEFAULT_CATEGORY = "other"  # events has no emergency category yet: tasks go under 其他


def task_origin(activation_id: int) -> str:
    return f"emergency:{activation_id}"


def task_categories():
    return Category.objects.order_by("code")


def _visible_activation(actor, activation: Activation | int) -> Activation:
    pk = activation.pk if isinstance(activation, Activation) else activation
    qs = (
        Activation.objects.unscoped("a system actor issues tasks to any activation")
        if skips_checks(actor)
        else Activation.objects.visible_to(actor)
    )
    found = qs.filter(pk=pk).first()
    if found is None:
        raise OutOfScope(str(pk))
    return found


@transaction.atomic
def issue_task(
    actor,
    activation: Activation | int,
    *,
    group: WorkGroup | int,
    title: str,
    description: str = "",
    category: Category | None = None,
) -> Event:
    """Report, accept and dispatch a work order to one emergency group of a community the activation
    covers (and the actor reaches). The group's leader and members then handle it as any work order."""
    require(actor, "events.dispatch_event")
    act = _visible_activation(actor, activation)
    if act.state != Activation.State.ACTIVE:
        raise ServiceError(_("应急状态已结束,不能再派发任务"))
    group_id = group.pk if isinstance(group, WorkGroup) else group
    target = (
        WorkGroup.objects.unscoped("the group is re-checked in scope by the dispatch below")
        .filter(pk=group_id, mode=Mode.EMERGENCY, community__in=act.communities.all())
        .select_related("community")
        .first()
    )
    if target is None:
        raise ServiceError(_("请选择本次应急涉及社区的战时工作组"))
    if category is None:
        category = (
            Category.objects.filter(code=DEFAULT_CATEGORY).first() or Category.objects.order_by("pk").first()
        )
        if category is None:
            raise ServiceError(_("请选择事件分类"))
    event = events.report_event(
        actor,
        category=category,
        title=title,
        description=description,
        area=target.community,
        origin=task_origin(act.pk),
    )
    event = events.accept(actor, event, note=_("应急任务"))
    event = events.dispatch(actor, event, assignee_kind=KIND, assignee_id=target.pk)
    audit.record(
        actor,
        "emergency.issue_task",
        act,
        after={"event": event.pk, "number": event.number, "group": target.pk, "title": event.title},
    )
    return event


def activation_tasks(user, activation: Activation):
    """The activation's tasks the user sees (events' own visibility)."""
    return (
        Event.objects.visible_to(user)
        .filter(origin=task_origin(activation.pk), assignee_kind=KIND)
        .order_by("-id")
    )


def tasks_for_groups(group_ids: list[int]):
    """The tasks dispatched to these groups (a responder's own groups, for the phone page)."""
    return (
        Event.objects.unscoped("the tasks dispatched to the groups this responder serves in")
        .filter(assignee_kind=KIND, assignee_id__in=group_ids)
        .order_by("-id")
    )
