"""The account pages not covered by the generic list/detail/write classes of test_pages.py, in the scope
matrix: the new-account form, the export and the password reset (scoped to the managers' subtree)."""

from __future__ import annotations

import pytest

from gridgov.accounts.models import User

from ..base import ObjectPage, ObjectPageTests, Page, PageMatrixTests
from .test_pages import _far_away

pytestmark = pytest.mark.django_db

MANAGE = ("accounts.manage_user",)


class TestAccountCollectionPages(PageMatrixTests):
    pages = {
        "accounts:user_create": Page(MANAGE),
        "accounts:user_export": Page(MANAGE, audited=True),
    }


class TestPasswordPage(ObjectPageTests):
    model = User
    object_pages = {
        "accounts:user_password": ObjectPage(MANAGE),
        "accounts:user_reset_2fa": ObjectPage(MANAGE, method="post"),
    }

    def in_scope(self, city, user):
        return User.objects.get(username="grid_worker")

    def out_of_scope(self, city, user):
        return _far_away(city)
