"""The emergency pages in the scope matrix: the console, the readiness page and its refresh (for an area
of the user's, 404 for another), the responder's phone page, the command board and its actions, the
groups page and its party-member import on one community (404 outside the user's scope), and the
acknowledgement of a post (a responder's own only)."""

from __future__ import annotations

import pytest

from gridgov.areas.models import Area
from gridgov.emergency.models import Activation, Post

from ..base import ObjectPage, ObjectPageTests, Page, PageMatrixTests
from ..conftest import ROLES
from .test_scope_api import VIEWERS, _module_scoped, scoped  # noqa: F401 - the shared emergency fixtures

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("scoped")]

ACTIVATE = ("emergency.activate_emergency",)


class TestEmergencyCollectionPages(PageMatrixTests):
    pages = {
        "emergency:console": Page(ACTIVATE),
        "emergency:me": Page((), roles=tuple(ROLES)),  # a login's own posts (none for these)
        "emergency:readiness": Page(("emergency.view_readiness",)),
        "emergency:readiness_refresh": Page(
            ("emergency.view_readiness",), method="post", area=True, passed=302, audited=True
        ),
    }


class TestBoardPages(ObjectPageTests):
    model = Activation
    object_pages = {
        # a grid worker sees the activations covering its community
        "emergency:board": ObjectPage(("emergency.view_activation",)),
        "emergency:board_action": ObjectPage(
            ACTIVATE,
            method="post",
            extra_args=lambda t, o: ["deactivate"],
            data=lambda t, c, u, o: {"note": "x"},
        ),
    }

    def in_scope(self, city, user):
        return Activation.objects.unscoped("test").get(area_path=city.communities[0].path)

    def out_of_scope(self, city, user):
        return Activation.objects.unscoped("test").get(area_path=city.other_city[3].path)


class TestGroupPages(ObjectPageTests):
    """The pages of one community's groups: a grid worker may view groups, but the community sits above its
    grid (404)."""

    model = Area
    object_pages = {
        "emergency:groups": ObjectPage(("emergency.view_workgroup",), sees=VIEWERS),
        "emergency:import_party": ObjectPage(("emergency.add_responder",), method="post"),
    }

    def in_scope(self, city, user):
        return city.communities[0]

    def out_of_scope(self, city, user):
        return city.unit_outside(user).parent.parent.parent


class TestAcknowledgePage(ObjectPageTests):
    """Only the responder posted may acknowledge a post: another's post answers like a missing one (back to
    the phone page with the same message) and changes nothing."""

    model = Post
    object_pages = {"emergency:acknowledge": ObjectPage((), method="post", roles=tuple(ROLES), elsewhere=302)}

    def in_scope(self, city, user):
        return Post.objects.unscoped("test").order_by("pk").first()

    out_of_scope = in_scope
