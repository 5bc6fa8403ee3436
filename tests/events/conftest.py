"""Events on the shared city: a property company (the `property` user's) serving an estate of building A."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.core.actors import SystemActor
from gridgov.events import services
from gridgov.events.models import Category
from gridgov.property import services as property_services

# The actor of the fixtures' own writes (setting the scene is no user's action).
SYSTEM = SystemActor("tests")

# Wednesday 10:00 local time: inside working hours.
NOW = timezone.make_aware(dt.datetime(2026, 3, 4, 10, 0))


@pytest.fixture
def loop(city, users):
    category = Category.objects.get(code="property.repair")
    company = property_services.create_company(SYSTEM, name="青山物业", area=city.streets[0])
    other_company = property_services.create_company(SYSTEM, name="远方物业", area=city.streets[1])
    property_services.create_estate(
        SYSTEM, name="东一小区", area=city.communities[0], company=company, buildings=[city.building_a]
    )
    property_services.link_account(SYSTEM, users["property"], company)
    return {"category": category, "company": company, "other_company": other_company}


def report(users, city, loop, who="resident", area=None, now=NOW):
    return services.report_event(
        users[who], category=loop["category"], title="楼道灯坏了", area=area or city.unit_a, now=now
    )


def to_state(users, city, loop, state: str, now=NOW):
    """An event walked through the loop up to `state` by the right people."""
    event = report(users, city, loop, now=now)
    steps = [
        ("accepted", lambda e: services.accept(users["community_worker"], e, now=now)),
        (
            "dispatched",
            lambda e: services.dispatch(
                users["community_worker"],
                e,
                assignee_kind="property",
                assignee_id=loop["company"].pk,
                now=now,
            ),
        ),
        ("handling", lambda e: services.start(users["property"], e, now=now)),
        ("handled", lambda e: services.finish(users["property"], e, result="已更换灯泡", now=now)),
        ("verified", lambda e: services.verify(users["community_worker"], e, now=now)),
        ("closed", lambda e: services.close(users["community_worker"], e, now=now)),
        ("rated", lambda e: services.rate(users["resident"], e, rating=5, now=now)),
    ]
    for _name, step in steps:
        if event.state == state:
            break
        event = step(event)
    assert event.state == state
    return event
