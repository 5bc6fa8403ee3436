from django.conf import settings
from django.utils.translation import gettext_lazy as _


def navigation(request):
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        if user.has_perm("areas.view_area"):
            items.append(("web:home", _("区域网格")))
        if user.has_perm("people.view_resident"):
            items.append(("people:resident_list", _("居民")))
            items.append(("people:household_list", _("户")))
        if user.has_perm("people.import_resident"):
            items.append(("people:import", _("导入")))
        if user.has_perm("facilities.view_facility"):
            items.append(("facilities:coverage", _("红色阵地")))
        elif user.has_perm("facilities.view_nearby"):
            items.append(("facilities:nearby", _("附近的阵地")))
        if user.has_perm("party.view_partyorg"):
            items.append(("party:dashboard", _("党组织")))
        if user.has_perm("workforce.view_staff"):
            items.append(("workforce:dashboard", _("队伍")))
        if user.has_perm("events.dispatch_event") or user.has_perm("events.handle_event"):
            items.append(("events:queue", _("事件工单")))
        elif user.has_perm("events.add_event"):
            items.append(("events:mine", _("我要上报")))
        if user.has_perm("events.add_patrollog") and not user.has_perm("events.dispatch_event"):
            items.append(("events:patrol", _("巡查走访")))
        if user.has_perm("property.view_monthlyscore"):
            items.append(("property:ranking", _("红色物业")))
        if user.has_perm("points.view_participation"):
            items.append(("points:approvals", _("积分")))
        elif user.has_perm("points.add_redemption") and getattr(user, "role", "") == "merchant":
            items.append(("points:merchant", _("积分核销")))
        elif getattr(user, "role", "") == "resident":
            items.append(("points:me", _("我的积分")))
        if user.has_perm("core.view_auditevent"):
            items.append(("web:audit", _("审计")))
    return {"nav_items": items, "city_name": settings.GRIDGOV_CITY_NAME}
