"""Filters of companies and estates (one FilterSet for the API list and the page), and the companies a user
may name in a form, a body or a filter."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget

from gridgov.areas.filters import AreaSubtreeFilterSet
from gridgov.areas.models import PATH_LENGTH
from gridgov.core.scope import OutOfScope, subtree_q, user_scope_path

from . import queries
from .models import Estate, PropertyCompany


def nameable_companies(user):
    """The companies `user` may name: registered in the user's subtree or on an area above it (a street's
    company serves the community's estates), or serving an estate the user sees. Wider than what the user
    lists (visible_to), narrow enough that an id of another city is "not a valid choice"; the service then
    checks its exact rule (services.serves_in_scope, _check_company_reach, check_path)."""
    companies = PropertyCompany.objects.unscoped(
        "companies a user may name: its subtree, above it, its estates"
    )
    try:
        root = user_scope_path(user)
    except OutOfScope:
        return companies.none()
    if root is None:
        return companies
    above = [root[:n] for n in PATH_LENGTH.values() if n < len(root)]
    serving = Estate.objects.visible_to(user).filter(company__isnull=False).values("company_id")
    return companies.filter(subtree_q("area_path", root) | Q(area_path__in=above) | Q(pk__in=serving))


def scoreable_companies(user):
    """The active companies `user` scores (services.serves_in_scope): registered in the user's subtree,
    or serving an estate the user sees (a community scores the street's company serving its estates)."""
    companies = PropertyCompany.objects.unscoped("companies a user scores: its subtree and its estates")
    try:
        root = user_scope_path(user)
    except OutOfScope:
        return companies.none()
    companies = companies.filter(is_active=True)
    if root is None:
        return companies
    serving = Estate.objects.visible_to(user).filter(company__isnull=False).values("company_id")
    return companies.filter(subtree_q("area_path", root) | Q(pk__in=serving))


class NameableCompanyFilter(django_filters.ModelChoiceFilter):
    """A company choice resolved with `nameable_companies` of the requester (no request: none)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", PropertyCompany.objects.all())
        super().__init__(*args, **kwargs)

    def get_queryset(self, request):
        return nameable_companies(getattr(request, "user", None))


class CompanyFilter(AreaSubtreeFilterSet):
    q = django_filters.CharFilter(label=_("名称"), field_name="name", lookup_expr="contains", max_length=100)
    public = django_filters.BooleanFilter(
        label=_("仅公益性物业组织"), widget=BooleanWidget, method="filter_public"
    )
    in_alliance = django_filters.BooleanFilter(
        label=_("加入红色物业党建联盟"), widget=BooleanWidget, method="filter_in_alliance"
    )

    class Meta:
        model = PropertyCompany
        fields = ["q", "public", "is_public_interest", "in_alliance", "party_status", "is_active"]

    def filter_in_alliance(self, qs, name, value):
        if value is None:
            return qs
        member = queries.alliance_member_q()
        return qs.filter(member) if value else qs.exclude(member)

    def filter_public(self, qs, name, value):
        return qs.filter(is_public_interest=True) if value else qs


class EstateFilter(AreaSubtreeFilterSet):
    company = NameableCompanyFilter(label=_("物业服务企业"))
    no_service = django_filters.BooleanFilter(
        label=_("仅无物业服务"), widget=BooleanWidget, method="filter_no_service"
    )

    class Meta:
        model = Estate
        fields = ["coverage_model", "company", "no_service"]

    def filter_no_service(self, qs, name, value):
        return queries.estates_without_service(qs) if value else qs
