"""Generic scope tests (tests/base.py) for every emergency endpoint: lists and details show exactly the
user's subtree, actions refuse other roles with 403 and out-of-scope objects with the 404 of a missing id,
collection calls follow the role matrix."""

from __future__ import annotations

import pytest

from gridgov.emergency import services
from gridgov.emergency.models import Activation, EmployerUnit, Post, Readiness, Responder, WorkGroup

from ..base import (
    Action,
    ActionAPITests,
    Call,
    DetailAPITests,
    EndpointMatrixTests,
    ListAPITests,
    PlatformAPITests,
)
from ..conftest import ROLES
from ..module_shared import refetched, usable
from .conftest import SYSTEM, build, register

# grid workers may view responders, groups and readiness, but those rows sit on community paths above a
# grid: their lists are empty, so they are neither "allowed" (an object in scope) nor "denied" (403)
VIEWERS = ("city_admin", "district", "street", "community_secretary", "community_worker")
NO_VIEW = ("property", "resident")


def _build_scoped(city):
    """The emergency fixture, plus a responder, groups and an activation in the other city (out of every
    user's scope) and an activation of 东一 (in scope of everyone from its community up)."""
    data = build(city, cadres=12)
    other_city, other_community = city.other_city[0], city.other_city[3]
    services.ensure_city_templates(SYSTEM, other_city)
    register(other_community, data.employer, skills=("general",), x=0.0, y=0.0)
    services.form_groups(SYSTEM, [other_community])
    services.refresh_readiness([c.path for c in city.communities] + [other_community.path])
    services.activate(SYSTEM, communities=[city.communities[0]], level=4, reason="演练一", is_drill=True)
    services.activate(SYSTEM, communities=[other_community], level=4, reason="演练二", is_drill=True)
    return data


@pytest.fixture(scope="module")
def _module_scoped(_module_city, django_db_blocker):
    """`_build_scoped` once for the module (tests/module_shared.py)."""
    if _module_city is None:
        yield None
        return
    with django_db_blocker.unblock():
        built = _build_scoped(_module_city[0])
    yield built


@pytest.fixture
def scoped(request, city, _module_scoped):
    if usable(request, _module_scoped):
        return refetched(_module_scoped)
    return _build_scoped(city)


class _Scoped:
    @pytest.fixture(autouse=True)
    def _data(self, scoped):
        return scoped

    def in_scope(self, city, user):
        return self.model.objects.unscoped("test oracle").filter(area_path=city.communities[0].path).first()

    def out_of_scope(self, city, user):
        return self.model.objects.unscoped("test oracle").filter(area_path=city.other_city[3].path).first()


class TestEmployerAPI(PlatformAPITests):
    basename = "emergency-employer"
    model = EmployerUnit
    allowed_roles = VIEWERS
    denied_roles = ("grid_worker", *NO_VIEW)

    @pytest.fixture(autouse=True)
    def _data(self, scoped):
        return scoped


class TestResponderAPI(_Scoped, ListAPITests, DetailAPITests, ActionAPITests):
    basename = "emergency-responder"
    model = Responder
    allowed_roles = VIEWERS
    denied_roles = NO_VIEW
    actions = {"emergency-responder-availability": Action(perms=("emergency.change_responder",))}


class TestWorkGroupAPI(_Scoped, ListAPITests, DetailAPITests):
    basename = "emergency-group"
    model = WorkGroup
    allowed_roles = VIEWERS
    denied_roles = NO_VIEW


class TestReadinessAPI(_Scoped, ListAPITests, DetailAPITests):
    basename = "emergency-readiness"
    model = Readiness
    allowed_roles = VIEWERS
    denied_roles = NO_VIEW


class TestActivationAPI(_Scoped, ListAPITests, DetailAPITests, ActionAPITests):
    basename = "emergency-activation"
    model = Activation
    allowed_roles = (*VIEWERS, "grid_worker")  # a grid worker sees the activations covering its community
    denied_roles = NO_VIEW
    actions = {
        "emergency-activation-board": Action(perms=("emergency.view_activation",), method="get"),
        "emergency-activation-tasks": Action(perms=("emergency.view_activation",), method="get"),
        "emergency-activation-deactivate": Action(perms=("emergency.activate_emergency",)),
        "emergency-activation-reassign": Action(
            perms=("emergency.activate_emergency", "emergency.reassign_post")
        ),
    }

    def expected_visible_pks(self, user) -> set[int]:
        """The activation's own subtree, or one of the communities it covers is in the user's subtree or is
        the community the user works in."""
        root = user.area.path
        rows = Activation.objects.unscoped("test oracle").prefetch_related("communities")
        return {
            a.pk
            for a in rows
            if a.area_path.startswith(root)
            or any(c.path.startswith(root) or root.startswith(c.path) for c in a.communities.all())
        }


def _drill(test, city):
    return {"communities": [city.communities[1].pk], "level": 4, "reason": "矩阵演练", "is_drill": True}


def _a_post(test, city):
    return [
        Post.objects.unscoped("test oracle").filter(activation__isnull=False).values_list("pk", flat=True)[0]
    ]


def _an_employer(test, city):
    return [EmployerUnit.objects.order_by("pk").values_list("pk", flat=True)[0]]


class TestEmergencyCalls(EndpointMatrixTests):
    @pytest.fixture(autouse=True)
    def _data(self, scoped):
        return scoped

    calls = {
        "emergency-responder-import-xlsx": Call(
            perms=("emergency.add_responder", "emergency.import_responder"),
            method="post",
            multipart=True,
            passed=400,
        ),
        "emergency-responder-export-xlsx": Call(perms=("emergency.export_responder",), audited=True),
        "emergency-employer-register-staff": Call(
            perms=("emergency.import_responder",),
            method="post",
            multipart=True,
            passed=400,
            args=_an_employer,
        ),
        "emergency-group-form": Call(
            perms=("emergency.form_workgroup",),
            method="post",
            audited=True,
            data=lambda test, city: {"communities": [city.communities[0].pk]},
        ),
        "emergency-readiness-refresh": Call(
            perms=("emergency.view_readiness",),
            method="post",
            audited=True,
            data=lambda test, city: {"area": city.grid_a.pk},
        ),
        "emergency-activation-preview": Call(
            perms=("emergency.activate_emergency",), method="post", data=_drill
        ),
        "emergency-activation-activate": Call(
            perms=("emergency.activate_emergency",), method="post", data=_drill, passed=201, audited=True
        ),
        "emergency-responder-import-party": Call(
            perms=("emergency.add_responder",),
            method="post",
            passed=201,
            audited=True,
            data=lambda test, city: {"community": city.communities[0].pk},
        ),
        # a responder's own posts: every login may ask; none of the test users holds this post
        "emergency-my-post-list": Call(perms=(), roles=tuple(ROLES)),
        "emergency-my-post-acknowledge": Call(
            perms=(), roles=tuple(ROLES), method="post", args=_a_post, passed=400
        ),
    }
