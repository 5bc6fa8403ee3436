"""Workforce checks (successors, 一网一员, staffing against quota) and the ladder figures."""

from __future__ import annotations

import datetime as dt

import pytest

from gridgov.core import indicators
from gridgov.core.scope import OutOfScope
from gridgov.core.services import ServiceError
from gridgov.workforce import queries, services
from gridgov.workforce.models import GridAssignment, PositionRecord, QuotaRule

from ..factories import make_child
from .conftest import SYSTEM


def run(code, user, root):
    return list(queries.CHECKS[code].run(user, root.path, {}))


def test_crew_satisfies_successor_and_grid_checks(city, users, crew):
    for code in ("no_successor", "grids_without_worker", "workers_without_grid"):
        assert run(code, users["city_admin"], city.city) == [], code


def test_community_without_successor_is_listed(city, users, crew):
    community = make_child(city.streets[0], "新建社区")
    assert run("no_successor", users["street"], city.streets[0]) == [community]
    assert run("no_successor", users["community_secretary"], city.communities[0]) == []


def test_one_grid_one_worker_and_reassignment_history(city, users, crew):
    user = users["community_secretary"]
    worker = crew.grid_workers[city.grid_b.pk]
    with pytest.raises(ServiceError, match="一网一员"):
        services.assign_grid(SYSTEM, worker, city.grid_a)
    services.unassign_grid(SYSTEM, worker, reason="脱产培训")
    assert run("grids_without_worker", user, city.communities[0]) == [city.grid_b]
    assert [s.pk for s in run("workers_without_grid", user, city.communities[0])] == [worker.pk]
    new_grid = make_child(city.communities[0], "新网格")
    services.assign_grid(SYSTEM, worker, new_grid, reason="补充新网格")
    assert run("grids_without_worker", user, city.communities[0]) == [city.grid_b]
    assert run("workers_without_grid", user, city.communities[0]) == []
    history = GridAssignment.objects.unscoped("test").filter(staff=worker).order_by("started_on", "id")
    assert [(a.grid_id, a.ended_on is None) for a in history] == [
        (city.grid_b.pk, False),
        (new_grid.pk, True),
    ]


def test_assignment_outside_scope_or_community_is_refused(city, users, crew):
    worker = crew.grid_workers[city.grid_a.pk]
    with pytest.raises(OutOfScope):
        services.unassign_grid(users["community_secretary"], crew.grid_workers[city.grids[2].pk], reason="x")
    with pytest.raises(ServiceError, match="所在社区内"):
        services.assign_grid(SYSTEM, worker, city.grids[2])


def test_staffing_against_quota(city, users, crew):
    QuotaRule.objects.all().delete()
    QuotaRule.objects.create(
        name="测试",
        effective_from=dt.date(2020, 1, 1),
        base=1,
        households_per_worker=1,
        minimum=0,
        maximum=99,
    )
    # Each community: 2 households → quota 1 + 2 = 3; staffed (grid workers apart): secretary + deputy = 2.
    under = run("understaffed", users["street"], city.streets[0])
    assert [s.community for s in under] == city.communities[:2]
    assert (under[0].quota, under[0].staffed, under[0].households) == (3, 2, 2)
    assert run("overstaffed", users["street"], city.streets[0]) == []
    QuotaRule.objects.update(base=0, households_per_worker=100)
    assert [s.community for s in run("overstaffed", users["street"], city.streets[0])] == city.communities[:2]
    assert run("understaffed", users["street"], city.streets[0]) == []


def _figure(code, area):
    return indicators.get(code).value(area.path)


def test_two_committee_figure_reads_position_history(city, crew):
    worker = crew.grid_workers[city.grid_a.pk]
    assert _figure("wf_two_committees", city.city) == 0
    # worker → party-affairs worker → deputy secretary: entered the two committees (the grid worker
    # joins the corps on a 称职 evaluation).
    services.evaluate(SYSTEM, worker, year=2018, fit_score="80", satisfaction="85", outcome="competent")
    services.change_post(SYSTEM, worker, post="party_affairs", on=dt.date(2019, 1, 1))
    assert _figure("wf_two_committees", city.city) == 0
    services.change_post(SYSTEM, worker, post="deputy_secretary", on=dt.date(2022, 1, 1))
    assert _figure("wf_two_committees", city.city) == 1
    assert _figure("wf_two_committees", city.communities[1]) == 0
    # A deputy who started as deputy did not enter from a worker's post.
    assert (
        PositionRecord.objects.unscoped("test").filter(staff=crew.deputies[city.communities[0].pk]).count()
        == 1
    )


def test_qualified_share_reads_certificates(city, crew):
    # Corps = everyone but grid workers: 4 secretaries + 4 deputies in the city (other city apart).
    assert _figure("wf_corps", city.city) == 8
    services.add_certificate(
        SYSTEM,
        crew.deputies[city.communities[0].pk],
        kind="assistant_social_worker",
        issued_on=dt.date(2024, 1, 1),
    )
    services.add_certificate(
        SYSTEM, crew.deputies[city.communities[1].pk], kind="social_worker", issued_on=dt.date(2024, 1, 1)
    )
    services.add_certificate(
        SYSTEM,
        crew.deputies[city.communities[1].pk],
        kind="assistant_social_worker",
        issued_on=dt.date(2023, 1, 1),
    )
    services.add_certificate(
        SYSTEM,
        crew.grid_workers[city.grid_a.pk],
        kind="assistant_social_worker",
        issued_on=dt.date(2024, 1, 1),
    )
    assert _figure("wf_qualified", city.city) == 2  # people, not certificates; grid workers not in the corps
    with pytest.raises(ServiceError):
        services.add_certificate(
            SYSTEM, crew.deputies[city.communities[1].pk], kind="social_worker", issued_on=dt.date(2024, 1, 1)
        )


def test_social_work_ladder(city, crew):
    grid_worker = crew.grid_workers[city.grid_a.pk]
    services.evaluate(SYSTEM, grid_worker, year=2019, fit_score="90", satisfaction="90", outcome="excellent")
    worker = services.change_post(SYSTEM, grid_worker, post="community_worker", on=dt.date(2020, 1, 1))
    services.add_certificate(SYSTEM, worker, kind="assistant_social_worker", issued_on=dt.date(2021, 6, 1))
    services.change_post(SYSTEM, worker, post="assistant_social_worker", on=dt.date(2022, 1, 1))
    services.add_certificate(SYSTEM, worker, kind="social_worker", issued_on=dt.date(2023, 6, 1))
    services.change_post(SYSTEM, worker, post="social_worker", on=dt.date(2024, 1, 1))
    posts = list(
        PositionRecord.objects.unscoped("test")
        .filter(staff=worker)
        .order_by("started_on")
        .values_list("post", flat=True)
    )
    assert posts == ["grid_worker", "community_worker", "assistant_social_worker", "social_worker"]
    assert not GridAssignment.objects.unscoped("test").filter(staff=worker, ended_on__isnull=True).exists()
    with pytest.raises(ServiceError, match="早于"):
        services.change_post(SYSTEM, worker, post="party_affairs", on=dt.date(2023, 1, 1))


def test_replacement_record_and_figure(city, crew):
    community = city.communities[0]
    secretary, deputy = crew.secretaries[community.pk], crew.deputies[community.pk]
    with pytest.raises(ServiceError, match="说明"):
        services.replace_secretary(SYSTEM, secretary, reason="other", incoming=deputy)
    services.evaluate(SYSTEM, secretary, year=2024, fit_score="55.5", satisfaction="48", outcome="basic")
    replacement = services.replace_secretary(
        SYSTEM, secretary, reason="low_satisfaction", incoming=deputy, note="群众满意度低"
    )
    assert _figure("wf_replaced", city.city) == 1
    deputy.refresh_from_db()
    secretary.refresh_from_db()
    assert deputy.post == "secretary" and deputy.category == "lead"
    assert not secretary.is_active
    assert replacement.outgoing == secretary
    # The successor who took over is no longer a reserve: the community has none left.
    assert [a.pk for a in run("no_successor", None or _admin(city), city.communities[0])] == [community.pk]


def _admin(city):
    from ..factories import UserFactory

    return UserFactory(role="city_admin", area=city.city)


def test_training_rules(city, crew):
    s = crew.secretaries[city.communities[0].pk]
    with pytest.raises(ServiceError, match="挂职城市"):
        services.record_training(SYSTEM, s, kind="secondment", started_on=dt.date(2024, 1, 1))
    services.record_training(
        SYSTEM,
        s,
        kind="secondment",
        started_on=dt.date(2024, 1, 1),
        ended_on=dt.date(2024, 7, 1),
        host_city="成都",
    )
    assert _figure("wf_seconded", city.city) == 1
    # a deputy's secondment is a training, not a seconded secretary
    services.record_training(
        SYSTEM,
        crew.deputies[city.communities[0].pk],
        kind="secondment",
        started_on=dt.date(2024, 1, 1),
        ended_on=dt.date(2024, 7, 1),
        host_city="成都",
    )
    assert _figure("wf_seconded", city.city) == 1
