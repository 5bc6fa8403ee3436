import django_filters
from django.utils.translation import gettext_lazy as _

from gridgov.core.filters import IdFilter, StrictFilterSet
from gridgov.core.scope import subtree_q

from . import queries
from .models import Area, Level


class AreaSubtreeFilterSet(StrictFilterSet):
    """`?area=<id>` narrows any scoped model to that area's subtree (an area the user cannot see gives
    nothing); blank and invalid fields behave as in `core.filters.StrictFilterSet`."""

    area = IdFilter(label=_("区域"), method="filter_area")

    def filter_area(self, qs, name, value: int):
        user = self.request.user if self.request else None
        area = Area.objects.visible_to(user).filter(pk=value).first()
        if area is None:
            return qs.none()
        return qs.filter(subtree_q(qs.model.scope_field, area.path))


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
