import django_filters
from django.utils.translation import gettext_lazy as _

from gridgov.core.filters import AreaSubtreeFilterSet

from . import queries
from .models import Area, Level


class AreaFilter(AreaSubtreeFilterSet):
    q = django_filters.CharFilter(
        label=_("搜索"), method="filter_q", help_text=_("名称、拼音、首字母或代码前缀")
    )
    level = django_filters.ChoiceFilter(label=_("层级"), choices=Level.choices)
    parent = django_filters.NumberFilter(label=_("上级"), field_name="parent_id")
    is_active = django_filters.BooleanFilter(label=_("启用"))

    class Meta:
        model = Area
        fields = ["q", "area", "level", "parent", "is_active"]

    def filter_q(self, qs, name, value):
        return queries.search(qs, value)
