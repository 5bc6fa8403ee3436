"""平急结合's figures, defined once: the two responder databases, the formed work groups (4 normal and 7
emergency per community) and readiness — the places of every emergency post that available responders
could fill right now, as a share of the places required, and the communities that fall short (a check).
"""

from django.db.models import F
from django.utils.translation import gettext_lazy as _

from gridgov.areas.models import Level
from gridgov.core.indicators import Indicator, register

from .models import Mode, Readiness, Responder, ResponderKind, WorkGroup


def _responders(kind: str):
    return lambda: Responder.objects.for_indicator().filter(is_active=True, kind=kind)


def _groups(mode: str):
    return lambda: WorkGroup.objects.for_indicator().filter(mode=mode, formed_at__isnull=False)


def _reg(code, label, unit, rows=None, path="area_path", level=Level.COMMUNITY, **options):
    return register(Indicator(code, label, unit, rows, path, breakdown_to=level, chapter="四", **options))


_reg("em_frontline", _("应急一线人员"), _("名"), _responders(ResponderKind.FRONTLINE))
_reg("em_cadres", _("下沉干部(志愿者)"), _("名"), _responders(ResponderKind.CADRE))
_reg("em_groups_normal", _("平时工作小组(已编组)"), _("个"), _groups(Mode.NORMAL))
_reg("em_groups_emergency", _("战时工作小组(已编组)"), _("个"), _groups(Mode.EMERGENCY))
_reg(
    "em_required",
    _("战时编制"),
    _("人"),
    lambda: Readiness.objects.for_indicator().all(),
    sum_field="required",
)
_reg(
    "em_staffed",
    _("战时可到岗"),
    _("人"),
    lambda: Readiness.objects.for_indicator().all(),
    sum_field="staffed",
)
_reg(
    "em_readiness",
    _("战备率"),
    "%",
    path="",
    kind="share",
    numerator="em_staffed",
    denominator="em_required",
    higher_is_better=True,
    target=100,
)
_reg(
    "check_not_ready",
    _("战时编组不能满员的社区"),
    _("个"),
    lambda: Readiness.objects.for_indicator().filter(staffed__lt=F("required")),
    description=_("按当前可用的应急人员,战时工作小组不能全部配齐的社区"),
    higher_is_better=False,
    target=0,
)
