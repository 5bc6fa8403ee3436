import django_filters
from django.utils.translation import gettext_lazy as _

from .scope import subtree_q


class AreaSubtreeFilterSet(django_filters.FilterSet):
    """`?area=<id>` narrows any scoped model to that area's subtree (an area the user cannot see gives nothing)."""

    area = django_filters.NumberFilter(label=_("区域"), method="filter_area")

    def filter_area(self, qs, name, value):
        from gridgov.areas.models import Area

        user = self.request.user if self.request else None
        area = Area.objects.visible_to(user).filter(pk=value).first()
        if area is None:
            return qs.none()
        return qs.filter(subtree_q(qs.model.scope_field, area.path))
