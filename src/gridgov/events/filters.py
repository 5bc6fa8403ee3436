"""Filters of work orders and patrol logs: one FilterSet for the API list and the queue page."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget

from gridgov.areas.filters import AreaSubtreeFilterSet

from .models import OPEN_STATES, Event, PatrolLog, State


class EventFilter(AreaSubtreeFilterSet):
    class Meta:
        model = Event
        fields = ["state", "category", "source", "overdue", "assignee_kind", "assignee_id"]


class QueueFilter(EventFilter):
    """The queue page: unfinished orders unless a state (or 全部) is chosen; an unknown state is treated as
    未办结, as the page always did. `overdue=1` keeps the overdue ones; `mine=1` (for handlers) keeps the
    dispatched ones."""

    state = django_filters.CharFilter(label=_("状态"), method="filter_state")
    overdue = django_filters.BooleanFilter(label=_("仅超时"), widget=BooleanWidget, method="filter_overdue")
    mine = django_filters.BooleanFilter(label=_("本单位承办"), widget=BooleanWidget, method="filter_mine")

    def __init__(self, data=None, *args, **kwargs):
        # always bound: no query at all still means "unfinished orders"
        super().__init__(data if data is not None else {}, *args, **kwargs)

    @property
    def chosen_state(self) -> str:
        value = self.form.cleaned_data.get("state") if self.is_valid() else None
        return value if value == "all" or value in State.values else "open"

    def filter_queryset(self, queryset):
        qs = super().filter_queryset(queryset)
        return qs if self.form.cleaned_data.get("state") else qs.filter(state__in=OPEN_STATES)

    def filter_state(self, qs, name, value):
        if value == "all":
            return qs
        if value in State.values:
            return qs.filter(state=value)
        return qs.filter(state__in=OPEN_STATES)

    def filter_overdue(self, qs, name, value):
        return qs.filter(overdue=True) if value else qs

    def filter_mine(self, qs, name, value):
        user = self.request.user if self.request else None
        if value and user is not None and not user.has_perm("events.dispatch_event"):
            return qs.exclude(assignee_kind="")
        return qs


class PatrolFilter(AreaSubtreeFilterSet):
    class Meta:
        model = PatrolLog
        fields = ["kind"]
