from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Role


def _linked_resident(user) -> bool:
    from gridgov.points.models import ResidentLink

    return ResidentLink.objects.filter(user=user).exists()


def _responder(user) -> bool:
    from gridgov.emergency.models import Responder

    return Responder.objects.unscoped("does this login have posts").filter(user=user).exists()


def _items(user) -> list[tuple[str, object]]:
    """The navigation of one user: only pages the role may open (the crawl test holds this)."""
    role = getattr(user, "role", "")
    perm = user.has_perm
    items: list[tuple[str, object]] = []
    if role == Role.RESIDENT:
        items.append(("web:resident_home", _("首页")))
        if perm("events.add_event"):
            items.append(("events:report", _("我要上报")))
        if perm("events.view_event"):
            items.append(("events:mine", _("我的上报")))
        if _linked_resident(user):
            items.append(("points:me", _("我的积分")))
            items.append(("web:my_data", _("我的信息")))
        if perm("facilities.view_nearby"):
            items.append(("facilities:nearby", _("附近的阵地")))
        if _responder(user):
            items.append(("emergency:me", _("我的岗位")))
        return items
    if role == Role.MERCHANT:
        if perm("points.add_redemption"):
            items.append(("points:merchant", _("积分核销")))
        if perm("facilities.view_nearby"):
            items.append(("facilities:nearby", _("附近的阵地")))
        return items
    if role == Role.PROPERTY:
        items.append(("web:property_home", _("工作台")))
        if perm("events.handle_event"):
            items.append(("events:queue", _("事件工单")))
        if perm("property.view_monthlyscore"):
            items.append(("property:ranking", _("红色物业")))
        return items
    if role == Role.GRID_WORKER:
        items.append(("web:grid_home", _("工作台")))
    if perm("areas.view_area"):
        items.append(("web:area_home", _("区域网格")))
    if perm("people.view_resident"):
        items.append(("people:resident_list", _("居民")))
        items.append(("people:household_list", _("户")))
    if perm("people.import_resident"):
        items.append(("people:import", _("导入")))
    if perm("people.decide_correctionrequest"):
        items.append(("people:correction_list", _("更正申请")))
    if perm("facilities.view_facility"):
        items.append(("facilities:coverage", _("红色阵地")))
    elif perm("facilities.view_nearby"):
        items.append(("facilities:nearby", _("附近的阵地")))
    if perm("party.view_partyorg"):
        items.append(("party:dashboard", _("党组织")))
    if perm("workforce.view_staff"):
        items.append(("workforce:dashboard", _("队伍")))
    if perm("events.dispatch_event") or perm("events.handle_event"):
        items.append(("events:queue", _("事件工单")))
    elif perm("events.add_event"):
        items.append(("events:report", _("我要上报")))
    if perm("events.add_patrollog") and not perm("events.dispatch_event"):
        items.append(("events:patrol", _("巡查走访")))
    if perm("property.view_monthlyscore"):
        items.append(("property:ranking", _("红色物业")))
    if perm("points.view_participation"):
        items.append(("points:approvals", _("积分")))
    if perm("emergency.activate_emergency"):
        items.append(("emergency:console", _("平急结合")))
    elif perm("emergency.view_readiness"):
        items.append(("emergency:readiness", _("平急结合")))
    if _responder(user):
        items.append(("emergency:me", _("我的岗位")))
    if perm("datahub.view_run"):
        items.append(("datahub:findings", _("碰撞比对")))
    elif perm("datahub.verify_finding"):
        items.append(("datahub:my_checks", _("数据核实")))
    if perm("datahub.view_batch"):
        items.append(("datahub:sources", _("数据交换")))
    if perm("reports.view_indicatorsnapshot"):
        items.append(("reports:index", _("指标总表")))
    if perm("accounts.manage_user"):
        items.append(("accounts:user_list", _("账号")))
    if perm("core.view_auditevent"):
        items.append(("web:audit", _("审计")))
    return items


def navigation(request):
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        items = [(reverse(name), label) for name, label in _items(user)]
    return {"nav_items": items, "city_name": settings.GRIDGOV_CITY_NAME}
