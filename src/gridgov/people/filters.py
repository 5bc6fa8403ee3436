"""One FilterSet serves the resident list page, its export and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from gridgov.areas.filters import AreaSubtreeFilterSet
from gridgov.core.filters import IdFilter

from . import queries
from .models import Household, Relation, Resident, Sex, Tag

MAX_AGE = 150
WHOLE_ID_BY_POST = _(
    "完整的身份证号或手机号不能放在网址中查询:请在搜索框中输入(页面以 POST 提交),或调用 POST /api/residents/search/"
)


@extend_schema_field(OpenApiTypes.STR)
class TagCodeFilter(django_filters.ModelMultipleChoiceFilter):
    """Tags by their code (`?tag=veteran&tag=elderly`); the schema says each item is a code, not an id."""


class ResidentFilter(AreaSubtreeFilterSet):
    q = django_filters.CharFilter(
        label=_("搜索"),
        method="filter_q",
        max_length=50,
        help_text=_("姓名、拼音、首字母、身份证号后几位"),
    )
    # By tag code (`?tag=veteran`); several tags mean "has all of them".
    tag = TagCodeFilter(
        label=_("标签"),
        field_name="tags__code",
        to_field_name="code",
        queryset=Tag.objects.all(),
        conjoined=True,
    )
    sex = django_filters.ChoiceFilter(label=_("性别"), choices=Sex.choices)
    relation = django_filters.ChoiceFilter(label=_("与户主关系"), choices=Relation.choices)
    min_age = django_filters.NumberFilter(
        label=_("最小年龄"), method="filter_min_age", min_value=0, max_value=MAX_AGE, decimal_places=0
    )
    max_age = django_filters.NumberFilter(
        label=_("最大年龄"), method="filter_max_age", min_value=0, max_value=MAX_AGE, decimal_places=0
    )
    household = IdFilter(label=_("户"), field_name="household_id")

    class Meta:
        model = Resident
        fields = ["q", "area", "tag", "sex", "relation", "min_age", "max_age", "household"]

    def filter_q(self, qs, name, value):
        return queries.search_residents(qs, value)

    def is_valid(self) -> bool:
        """A whole ID or phone number in an address (a GET) is refused rather than searched: the search box
        sends it by POST (docs/hardening.md)."""
        valid = super().is_valid()
        request = getattr(self, "request", None)
        if (
            valid
            and getattr(request, "method", None) == "GET"
            and queries.is_whole_identifier(self.form.cleaned_data.get("q") or "")
        ):
            self.form.add_error("q", WHOLE_ID_BY_POST)
            return False
        return valid

    def filter_min_age(self, qs, name, value):
        return queries.filter_age(qs, int(value), None)

    def filter_max_age(self, qs, name, value):
        return queries.filter_age(qs, None, int(value))


class HouseholdFilter(AreaSubtreeFilterSet):
    number = django_filters.CharFilter(label=_("户号"), lookup_expr="startswith", max_length=20)
    unit = IdFilter(label=_("单元"), field_name="unit_id")

    class Meta:
        model = Household
        fields = ["area", "number", "unit"]
