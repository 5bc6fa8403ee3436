"""One FilterSet per list, shared by the page (core.pages.ScopedListView) and the API (ScopedFilterBackend),
which both pass it through core.api_fields.scope_filterset."""

import django_filters
from django.utils.translation import gettext_lazy as _

from gridgov.areas.filters import AreaSubtreeFilterSet

from .models import (
    BuildingLeader,
    CentralHousehold,
    DualReportService,
    GridFund,
    LeaderKind,
    MutualAidGroup,
    OrgKind,
    PartyMember,
    PartyOrg,
    ServiceCategory,
)


class PartyOrgFilter(AreaSubtreeFilterSet):
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=OrgKind.choices)
    q = django_filters.CharFilter(label=_("名称"), field_name="name", lookup_expr="contains")
    active = django_filters.BooleanFilter(label=_("有效"), field_name="is_active")

    class Meta:
        model = PartyOrg
        fields = ["area", "kind", "q", "active"]


class PartyMemberFilter(AreaSubtreeFilterSet):
    q = django_filters.CharFilter(label=_("姓名"), field_name="resident__name", lookup_expr="contains")
    # Choices in the requester's scope (core.api_fields.scope_filterset): another area's id is refused.
    org = django_filters.ModelChoiceFilter(label=_("党组织"), queryset=PartyOrg.objects.all())
    in_service = django_filters.BooleanFilter(label=_("在职党员"))

    class Meta:
        model = PartyMember
        fields = ["area", "q", "org", "in_service"]


class CentralHouseholdFilter(AreaSubtreeFilterSet):
    group = django_filters.ModelChoiceFilter(
        label=_("楼院党小组"), queryset=PartyOrg.objects.filter(kind=OrgKind.BUILDING_GROUP)
    )

    class Meta:
        model = CentralHousehold
        fields = ["area", "group"]


class BuildingLeaderFilter(AreaSubtreeFilterSet):
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=LeaderKind.choices)
    active = django_filters.BooleanFilter(label=_("在任"), field_name="is_active")

    class Meta:
        model = BuildingLeader
        fields = ["area", "kind", "active"]


class DualServiceFilter(AreaSubtreeFilterSet):
    q = django_filters.CharFilter(
        label=_("姓名"), field_name="member__resident__name", lookup_expr="contains"
    )
    member = django_filters.ModelChoiceFilter(label=_("在职党员"), queryset=PartyMember.objects.all())
    category = django_filters.ChoiceFilter(label=_("服务类别"), choices=ServiceCategory.choices)
    since = django_filters.DateFilter(label=_("起始日期"), field_name="served_on", lookup_expr="gte")
    until = django_filters.DateFilter(label=_("截止日期"), field_name="served_on", lookup_expr="lte")

    class Meta:
        model = DualReportService
        fields = ["area", "q", "member", "category", "since", "until"]


class MutualAidFilter(AreaSubtreeFilterSet):
    q = django_filters.CharFilter(label=_("名称"), field_name="name", lookup_expr="contains")
    active = django_filters.BooleanFilter(label=_("有效"), field_name="is_active")

    class Meta:
        model = MutualAidGroup
        fields = ["area", "q", "active"]


class GridFundFilter(AreaSubtreeFilterSet):
    year = django_filters.NumberFilter(label=_("年度"))

    class Meta:
        model = GridFund
        fields = ["area", "year"]
