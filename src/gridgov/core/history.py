"""Rows that end rather than disappear, and who recorded a row.

`Membership` is the abstract base of a membership whose ended rows are its history (a resident in a
mutual-aid group, a company in a party organisation): `joined_on`, `left_on` (empty while it lasts).
The subclass adds its two parties, its `area_path` and the constraint that one of them is current once:

    class GroupMember(ScopedModel, Membership):
        group = models.ForeignKey(Group, …)
        resident = models.ForeignKey("people.Resident", …)
        area_path = models.CharField(…)

        class Meta:
            constraints = [
                models.UniqueConstraint(fields=["group", "resident"], condition=Membership.CURRENT, name=…)
            ]

`recorder_field(_("登记人"))` is the optional link to the user who recorded a row (`recorded_by`,
`checked_by`, …): kept when the user is not (PROTECT), no reverse accessor on the user.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .services import ServiceError


def recorder_field(verbose_name: Any) -> Any:
    """A nullable foreign key to the user who recorded the row (null for rows of a system job)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )


class Membership(models.Model):
    """A membership from `joined_on` until `left_on`; leaving ends the row, which stays as history."""

    # The rows that have not ended: for filters and the subclass's one-current-row constraint.
    CURRENT = Q(left_on__isnull=True)

    joined_on = models.DateField(_("加入日期"))
    left_on = models.DateField(_("退出日期"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_current(self) -> bool:
        return self.left_on is None

    def leave(self, on: dt.date | None = None) -> dt.date:
        """End the membership on `on` (today by default), between the joining and today. The caller has
        locked the row and saves `left_on`, in its transaction."""
        today = timezone.localdate()
        on = on or today
        if on < self.joined_on or on > today:
            raise ServiceError(_("退出日期须在加入日期与今天之间"))
        self.left_on = on
        return on
