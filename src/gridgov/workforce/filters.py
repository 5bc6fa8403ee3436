"""One FilterSet per list, shared by the page and the API; both pass it through
core.api_fields.scope_filterset (choices over scoped models in the requester's scope, numbers bounded)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from gridgov.areas.filters import AreaSubtreeFilterSet

from .models import GridAssignment, GridLink, Payroll, Post, Staff, Training, TrainingKind


class StaffFilter(AreaSubtreeFilterSet):
    q = django_filters.CharFilter(label=_("姓名"), field_name="resident__name", lookup_expr="contains")
    post = django_filters.ChoiceFilter(label=_("岗位"), choices=Post.choices)
    active = django_filters.BooleanFilter(label=_("在岗"), field_name="is_active")

    class Meta:
        model = Staff
        fields = ["area", "q", "post", "active"]


class TrainingFilter(AreaSubtreeFilterSet):
    kind = django_filters.ChoiceFilter(label=_("培训类型"), choices=TrainingKind.choices)
    staff = django_filters.ModelChoiceFilter(label=_("人员"), queryset=Staff.objects.all())

    class Meta:
        model = Training
        fields = ["area", "kind", "staff"]


class GridAssignmentFilter(AreaSubtreeFilterSet):
    current = django_filters.BooleanFilter(label=_("当前"), field_name="ended_on", lookup_expr="isnull")
    staff = django_filters.ModelChoiceFilter(label=_("人员"), queryset=Staff.objects.all())

    class Meta:
        model = GridAssignment
        fields = ["area", "current", "staff"]


class GridLinkFilter(AreaSubtreeFilterSet):
    current = django_filters.BooleanFilter(label=_("当前"), field_name="ended_on", lookup_expr="isnull")
    staff = django_filters.ModelChoiceFilter(label=_("人员"), queryset=Staff.objects.all())

    class Meta:
        model = GridLink
        fields = ["area", "current", "staff"]


class PayrollFilter(AreaSubtreeFilterSet):
    month = django_filters.DateFilter(label=_("月份"))

    class Meta:
        model = Payroll
        fields = ["area", "month"]
