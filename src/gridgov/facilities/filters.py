"""One FilterSet per list, shared by the pages and the API."""

import django_filters
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridgov.areas.filters import AreaSubtreeFilterSet

from .models import BuildingAccess, CandidateSite, Facility, FacilityKind, HostType
from .queries import kind_field


class FacilityFilter(AreaSubtreeFilterSet):
    q = django_filters.CharFilter(label=_("搜索"), method="filter_q", help_text=_("名称、地址或承载单位"))
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=FacilityKind.choices)
    host_type = django_filters.ChoiceFilter(label=_("用房类型"), choices=HostType.choices)
    unified_sign = django_filters.BooleanFilter(label=_("统一标识"))
    shared_use = django_filters.BooleanFilter(label=_("开放共用"))
    is_active = django_filters.BooleanFilter(label=_("在用"))

    class Meta:
        model = Facility
        fields = ["q", "area", "kind", "host_type", "unified_sign", "shared_use", "is_active"]

    def filter_q(self, qs, name, value):
        value = (value or "").strip()
        if not value:
            return qs
        return qs.filter(Q(name__contains=value) | Q(address__contains=value) | Q(host_name__contains=value))


class CandidateSiteFilter(AreaSubtreeFilterSet):
    room_type = django_filters.ChoiceFilter(label=_("用房类型"), choices=HostType.choices)
    is_available = django_filters.BooleanFilter(label=_("可用"))

    class Meta:
        model = CandidateSite
        fields = ["area", "room_type", "is_available"]


class BuildingAccessFilter(AreaSubtreeFilterSet):
    uncovered = django_filters.BooleanFilter(label=_("未覆盖"), method="filter_uncovered")
    kind = django_filters.ChoiceFilter(
        label=_("阵地类型"), choices=FacilityKind.choices, method="filter_noop"
    )

    class Meta:
        model = BuildingAccess
        fields = ["area", "uncovered", "kind"]

    def filter_noop(self, qs, name, value):
        return qs  # read by filter_uncovered

    def filter_uncovered(self, qs, name, value):
        if value is None:
            return qs
        field = kind_field(self.data.get("kind") or None)
        within = Q(**{f"{field}__lte": settings.GRIDGOV_CIRCLE_MINUTES})
        return qs.exclude(within) if value else qs.filter(within)
