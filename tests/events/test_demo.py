"""The generator's events and property steps on a tiny city: volumes, trails that agree with the state
machine, ratings only on rated events, meetings whose decisions are work orders, the demo property login's
company account, and twelve months of scores that the ranking reads."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from django.utils import timezone

from gridgov.accounts.models import User
from gridgov.events import machine
from gridgov.events.models import Event, EventTransition, GridCouncil, PatrolLog, State
from gridgov.property import queries
from gridgov.property.models import (
    CompanyAccount,
    CoverageModel,
    Estate,
    MeetingDecision,
    MonthlyScore,
    PropertyCompany,
    RoundTable,
    StandardsCheck,
    Talk,
)
from tests.helpers import generated_city

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def _generated_once(django_db_setup, django_db_blocker):
    with generated_city(django_db_blocker, scale=0.008, seed=5):
        yield


@pytest.fixture
def generated(_generated_once, db):
    """The generated city, once for the module (both tests only read it)."""


def test_events_follow_the_state_machine(generated):
    events = dict(Event.objects.unscoped("t").values_list("pk", "state"))
    assert len(events) >= 480  # ctx.scaled(60_000) at 0.008, plus meeting decisions
    trails = defaultdict(list)
    for event_id, action, a, b in EventTransition.objects.order_by("created_at", "id").values_list(
        "event_id", "action", "from_state", "to_state"
    ):
        trails[event_id].append((action, a, b))
    for pk, state in events.items():
        rows = trails[pk]
        assert rows[0][0] == "report"
        current = State.REPORTED
        for action, a, b in rows[1:]:
            rule = machine.target(a, action)
            assert a == current and rule is not None and (rule[0] or a) == b, (pk, rows)
            current = b
        assert current == state
    states = set(events.values())
    assert {State.CLOSED, State.RATED} <= states and states & {
        State.REPORTED,
        State.ACCEPTED,
        State.DISPATCHED,
        State.HANDLING,
        State.HANDLED,
    }
    rated = Event.objects.unscoped("t").filter(state=State.RATED)
    assert rated.exists() and not rated.filter(rating__isnull=True).exists()
    assert not Event.objects.unscoped("t").exclude(state=State.RATED).filter(rating__isnull=False).exists()
    assert PatrolLog.objects.unscoped("t").exists() and GridCouncil.objects.unscoped("t").exists()


def test_property_data_and_demo_login(generated):
    estates = Estate.objects.unscoped("t")
    models = set(estates.values_list("coverage_model", flat=True))
    assert {CoverageModel.INTRODUCED, CoverageModel.SOCIAL_ORG} <= models
    assert not estates.filter(company__isnull=True).exclude(coverage_model=CoverageModel.NONE).exists()
    assert PropertyCompany.objects.unscoped("t").filter(is_public_interest=True).exists()
    assert estates.filter(buildings__isnull=False).exists()
    user = User.objects.get(username="property")
    account = CompanyAccount.objects.get(user=user)
    visible = Event.objects.visible_to(user).filter(assignee_kind="property", assignee_id=account.company_id)
    assert visible.exists()
    meeting = RoundTable.objects.unscoped("t").first()
    assert meeting is not None
    decision = MeetingDecision.objects.filter(meeting=meeting).select_related("event").first()
    assert decision.event.origin == f"roundtable:{meeting.pk}" and decision.event.source == "meeting"
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    # January of last year to last month, entered through the services (property/demo.py, issue #12)
    today = timezone.localdate()
    assert MonthlyScore.objects.unscoped("t").values("month").distinct().count() == 12 + today.month - 1
    professional = MonthlyScore.objects.unscoped("t").filter(scorer="professional", detail__finished__gt=0)
    assert professional.exists() and "response_hours" in professional.first().detail
    assert Talk.objects.unscoped("t").exists() and StandardsCheck.objects.unscoped("t").exists()
    assert queries.monthly_ranking(None, last_month)
