"""Property companies as an assignee kind of work orders (events.assignees), registered in ready().

Events knows no property model: what it means to dispatch to a company, what a company's login sees,
where it reports and what the dispatch form suggests is said here.
"""

from __future__ import annotations

from django.db.models import Q
from django.db.models.signals import pre_delete
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.accounts.roles import Role
from gridgov.core.actors import skips_checks
from gridgov.core.scope import subtree_q
from gridgov.core.services import ServiceError
from gridgov.events import assignees
from gridgov.events.models import AssigneeKind, Event
from gridgov.events.services import TransitionRefused

from .models import CompanyAccount, Estate, PropertyCompany

KIND = AssigneeKind.PROPERTY


def is_company_login(user) -> bool:
    return getattr(user, "role", "") == Role.PROPERTY


def company_id_of(user) -> int | None:
    """The company a property login works for (cached on the user object for the request)."""
    cached = getattr(user, "_property_company_id", "unset")
    if cached != "unset":
        return cached  # type: ignore[return-value]
    account = CompanyAccount.objects.filter(user_id=user.pk).values_list("company_id", flat=True).first()
    user._property_company_id = account
    return account


def company_of(user) -> PropertyCompany | None:
    """The company of a property-role login (None for everyone else)."""
    company_id = company_id_of(user) if is_company_login(user) else None
    if company_id is None:
        return None
    return (
        PropertyCompany.objects.unscoped("the company this login is bound to: its own row")
        .filter(pk=company_id)
        .first()
    )


def company_paths(company_id: int) -> list[str]:
    """The area paths a company's estates cover: their buildings, or the estate's own area when it lists
    none (the narrowest set: a path below another one is dropped)."""
    estates = Estate.objects.unscoped("every estate a company serves bounds what its login sees").filter(
        company_id=company_id
    )
    paths = set(estates.filter(buildings__isnull=False).values_list("buildings__path", flat=True))
    paths |= set(estates.filter(buildings__isnull=True).values_list("area_path", flat=True))
    result: list[str] = []
    for path in sorted(paths):
        if not result or not path.startswith(result[-1]):
            result.append(path)
    return result


def company_events_q(user) -> Q:
    """A company login sees the events in its company's estates (their buildings), every event
    dispatched to its company wherever it lies, and what it reported itself — not the rest of its
    community."""
    q = Q(reporter_id=user.pk)
    company_id = company_id_of(user)
    if company_id is not None:
        q |= Q(assignee_kind=KIND, assignee_id=company_id)
        for path in company_paths(company_id):
            q |= subtree_q("area_path", path)
    return q


def in_own_estates(user, path: str) -> bool:
    """A company reports in its own estates only (where it will see the event afterwards)."""
    company_id = company_id_of(user)
    return company_id is not None and any(path.startswith(p) for p in company_paths(company_id))


def lock_company(actor, company_id: int | None, _name: str) -> assignees.Target:
    """The dispatch target, checked inside the dispatch transaction: an active company the actor reaches
    (registered in its subtree, or serving an estate there)."""
    company = (
        PropertyCompany.objects.unscoped("the dispatch target by id; serves_in_scope checks it below")
        .filter(pk=company_id)
        .first()
        if company_id is not None
        else None
    )
    if company is None:
        raise ServiceError(_("请选择承办的物业企业"))
    if not company.is_active:
        raise ServiceError(_("该物业企业已不在管"))
    from .services import serves_in_scope

    if not skips_checks(actor) and not serves_in_scope(actor, company):
        raise TransitionRefused(_("该物业企业不在您的管辖范围内,不能派遣"))
    return assignees.Target(KIND, company.pk, company.name)


def companies_for(user) -> list[assignees.Target]:
    """The active companies serving the estates the user sees (what the dispatch form offers)."""
    rows = (
        PropertyCompany.objects.unscoped("companies serving estates the user sees may sit above the user")
        .filter(is_active=True, pk__in=Estate.objects.visible_to(user).values("company_id"))
        .values_list("pk", "name")
    )
    return [assignees.Target(KIND, pk, name) for pk, name in rows]


def company_at(path: str) -> assignees.Target | None:
    """The active company of the estate the place lies in (the dispatch form's suggestion)."""
    from .queries import estate_at

    estate = estate_at(path)
    if estate is None or estate.company is None or not estate.company.is_active:
        return None
    reason = _("事发小区“%(estate)s”的物业企业") % {"estate": estate.name}
    return assignees.Target(KIND, estate.company.pk, estate.company.name, reason=reason)


def company_by_id(company_id: int) -> assignees.Target | None:
    row = (
        PropertyCompany.objects.unscoped("the name of a work order's assignee, shown with the order")
        .filter(pk=company_id)
        .values_list("name", flat=True)
        .first()
    )
    return assignees.Target(KIND, company_id, row) if row is not None else None


def _protect_assigned(sender, instance: PropertyCompany, **kwargs) -> None:
    """Events hold a generic reference, not a foreign key: keep the PROTECT the foreign key gave."""
    from django.db.models import ProtectedError

    assigned = Event.objects.unscoped(
        "deleting a company is refused if any work order anywhere names it"
    ).filter(assignee_kind=KIND, assignee_id=instance.pk)
    if assigned.exists():
        raise ProtectedError(_("该物业企业有承办的事件工单,不能删除"), set(assigned[:10]))


def register() -> None:
    assignees.register(
        KIND,
        label=gettext_lazy("物业企业"),
        validate=lock_company,
        acts_for=is_company_login,
        unit_of=company_id_of,
        visible_q=company_events_q,
        may_report=in_own_estates,
        choices=companies_for,
        suggest=company_at,
        lookup=company_by_id,
        home=("property:my_company", gettext_lazy("本企业评分与排名")),
        scope_note=gettext_lazy("显示%(name)s服务小区内的工单和派遣给本企业的工单"),
    )
    pre_delete.connect(_protect_assigned, sender=PropertyCompany, dispatch_uid="property-assignee-protect")
