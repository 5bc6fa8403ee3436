"""The career ladders as rules, grid workers joining the corps, the quota rule, and the pages for writes
that were API-only (quota rule, competition and studio edits, rounds, secondments, studio members,
salon attendance)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.core.models import AuditEvent
from gridgov.core.services import ServiceError
from gridgov.workforce import services
from gridgov.workforce.models import (
    Competition,
    CompetitionRound,
    PositionRecord,
    QuotaRule,
    Staff,
    Studio,
    Training,
)

from ..base import WritePageTests, state_of
from .conftest import SYSTEM
from .test_api import WF_DENIED, WF_VIEW_ROLES, StaffObjects


def _posts(staff):
    return list(
        PositionRecord.objects.unscoped("test")
        .filter(staff=staff)
        .order_by("started_on", "id")
        .values_list("post", flat=True)
    )


# --- ladders ---------------------------------------------------------------------------------------------
def test_party_ladder_refuses_a_skipped_rung(city, crew):
    worker = crew.grid_workers[city.grid_a.pk]
    services.add_certificate(SYSTEM, worker, kind="assistant_social_worker", issued_on=dt.date(2018, 1, 1))
    with pytest.raises(ServiceError, match="不能越级"):
        services.change_post(SYSTEM, worker, post="deputy_secretary", on=dt.date(2020, 1, 1))
    services.change_post(SYSTEM, worker, post="party_affairs", on=dt.date(2020, 1, 1))
    with pytest.raises(ServiceError, match="副书记"):
        services.change_post(SYSTEM, worker, post="secretary", on=dt.date(2021, 1, 1))
    services.change_post(SYSTEM, worker, post="deputy_secretary", on=dt.date(2022, 1, 1))
    # a step down is a reassignment, allowed and recorded
    services.change_post(SYSTEM, worker, post="community_worker", on=dt.date(2023, 1, 1))
    assert _posts(worker) == ["grid_worker", "party_affairs", "deputy_secretary", "community_worker"]


def test_secretary_only_from_deputy_when_the_seat_is_free(city, crew):
    community = city.communities[0]
    secretary, deputy = crew.secretaries[community.pk], crew.deputies[community.pk]
    with pytest.raises(ServiceError, match="调整撤换"):
        services.change_post(SYSTEM, deputy, post="secretary", on=dt.date(2024, 1, 1))
    services.replace_secretary(SYSTEM, secretary, reason="other", note="调任", on=dt.date(2024, 1, 1))
    services.change_post(SYSTEM, deputy, post="secretary", on=dt.date(2024, 2, 1))
    assert Staff.objects.unscoped("test").get(pk=deputy.pk).post == "secretary"


def test_social_work_titles_need_the_certificate_and_no_skip(city, crew):
    deputy = crew.deputies[city.communities[0].pk]
    services.change_post(SYSTEM, deputy, post="community_worker", on=dt.date(2020, 1, 1))
    with pytest.raises(ServiceError, match="职业资格"):
        services.change_post(SYSTEM, deputy, post="assistant_social_worker", on=dt.date(2021, 1, 1))
    services.add_certificate(SYSTEM, deputy, kind="social_worker", issued_on=dt.date(2020, 6, 1))
    with pytest.raises(ServiceError, match="助理社会工作师晋升"):
        services.change_post(SYSTEM, deputy, post="social_worker", on=dt.date(2021, 1, 1))
    services.change_post(SYSTEM, deputy, post="assistant_social_worker", on=dt.date(2021, 1, 1))
    services.change_post(SYSTEM, deputy, post="social_worker", on=dt.date(2022, 1, 1))
    assert _posts(deputy)[-2:] == ["assistant_social_worker", "social_worker"]


def test_certificate_issued_after_the_date_does_not_count(city, crew):
    deputy = crew.deputies[city.communities[0].pk]
    services.change_post(SYSTEM, deputy, post="community_worker", on=dt.date(2020, 1, 1))
    services.add_certificate(SYSTEM, deputy, kind="assistant_social_worker", issued_on=dt.date(2022, 1, 1))
    with pytest.raises(ServiceError, match="职业资格"):
        services.change_post(SYSTEM, deputy, post="assistant_social_worker", on=dt.date(2021, 1, 1))


def test_grid_workers_join_the_corps_by_the_rule(city, users, crew):
    worker = crew.grid_workers[city.grid_a.pk]  # hired 2015
    today = dt.date.today()
    assert "称职" in services.corps_refusal(worker, today)
    eligible = lambda: set(  # noqa: E731
        services.eligible_grid_workers(Staff.objects.visible_to(users["city_admin"]), today).values_list(
            "pk", flat=True
        )
    )
    assert eligible() == set()
    with pytest.raises(ServiceError, match="称职"):
        services.join_corps(SYSTEM, worker)
    services.evaluate(
        SYSTEM, worker, year=today.year - 1, fit_score="85", satisfaction="90", outcome="competent"
    )
    assert services.corps_refusal(worker, today) is None
    assert eligible() == {worker.pk}
    # a later 基本称职 evaluation outweighs the earlier one
    other = crew.grid_workers[city.grid_b.pk]
    services.evaluate(
        SYSTEM, other, year=today.year - 2, fit_score="85", satisfaction="90", outcome="excellent"
    )
    services.evaluate(SYSTEM, other, year=today.year - 1, fit_score="60", satisfaction="60", outcome="basic")
    assert eligible() == {worker.pk}
    services.add_certificate(SYSTEM, other, kind="assistant_social_worker", issued_on=dt.date(2020, 1, 1))
    assert eligible() == {worker.pk, other.pk}
    joined = services.join_corps(SYSTEM, worker)
    assert joined.post == "community_worker" and _posts(worker) == ["grid_worker", "community_worker"]
    with pytest.raises(ServiceError, match="只有专职网格员"):
        services.join_corps(SYSTEM, worker)


def test_the_eligibility_check_takes_its_day(city, users, crew):
    """The check (page and generator) and `corps_refusal` (the staff page, join_corps) answer for the same
    day: the check's `on` defaults to today in the platform's time zone and can be given, as the generator's
    fixed day is."""
    from gridgov.workforce import queries
    from gridgov.workforce.services.ladders import corps_refusal

    worker = crew.grid_workers[city.grid_a.pk]
    services.add_certificate(SYSTEM, worker, kind="assistant_social_worker", issued_on=dt.date(2016, 6, 1))
    user = users["city_admin"]

    def check(on=None):
        return set(
            queries.grid_workers_eligible(user, user.area.path, {}, on=on).values_list("pk", flat=True)
        )

    for day in (dt.date(2016, 5, 31), dt.date(2016, 6, 1), dt.date(2017, 2, 28), timezone.localdate()):
        assert (worker.pk in check(day)) == (corps_refusal(worker, day) is None), day
    assert worker.pk not in check(dt.date(2016, 5, 31))  # the certificate did not exist yet
    assert worker.pk in check() and worker.pk in check(timezone.localdate())


def test_years_of_service_rule(city, crew):
    from gridgov.workforce.services.ladders import corps_refusal

    worker = crew.grid_workers[city.grid_a.pk]
    services.add_certificate(SYSTEM, worker, kind="assistant_social_worker", issued_on=dt.date(2015, 6, 1))
    assert "满 2 年" in corps_refusal(worker, dt.date(2017, 2, 28))
    assert corps_refusal(worker, dt.date(2017, 3, 1)) is None


def test_join_corps_page(city, client_for, crew):
    worker = crew.grid_workers[city.grid_a.pk]
    client = client_for("community_secretary")
    page = client.get(reverse("workforce:staff_detail", args=[worker.pk])).content.decode()
    assert 'data-testid="join-corps"' in page and "称职" in page
    bad = client.post(reverse("workforce:staff_join_corps", args=[worker.pk]), {"note": "我的备注"})
    assert (
        bad.status_code == 200 and "我的备注" in bad.content.decode() and "errorlist" in bad.content.decode()
    )
    assert Staff.objects.unscoped("test").get(pk=worker.pk).post == "grid_worker"
    services.evaluate(SYSTEM, worker, year=2024, fit_score="90", satisfaction="90", outcome="excellent")
    ok = client.post(reverse("workforce:staff_join_corps", args=[worker.pk]), {"note": ""})
    assert ok.status_code == 302
    assert Staff.objects.unscoped("test").get(pk=worker.pk).post == "community_worker"


def test_change_post_page_shows_the_ladder_message(city, client_for, crew):
    worker = crew.grid_workers[city.grid_a.pk]
    client = client_for("community_secretary")
    response = client.post(
        reverse("workforce:staff_change_post", args=[worker.pk]), {"post": "deputy_secretary"}, follow=True
    )
    assert "称职" in response.content.decode() or "不能越级" in response.content.decode()
    assert Staff.objects.unscoped("test").get(pk=worker.pk).post == "grid_worker"


# --- quota rule ------------------------------------------------------------------------------------------
def test_set_quota_rule_versions_and_refusals(city, users, scale):
    audit_rows = AuditEvent.objects.filter(action="workforce.set_quota_rule").count()
    rule = services.set_quota_rule(
        users["city_admin"],
        name="2026 版",
        effective_from=dt.date(2026, 1, 1),
        base=6,
        households_per_worker=250,
        minimum=8,
        maximum=30,
    )
    assert QuotaRule.objects.get(pk=rule.pk).households_per_worker == 250
    again = services.set_quota_rule(
        users["city_admin"],
        name="2026 版(修订)",
        effective_from=dt.date(2026, 1, 1),
        base=6,
        households_per_worker=260,
        minimum=8,
        maximum=30,
    )
    assert again.pk == rule.pk and QuotaRule.objects.get(pk=rule.pk).households_per_worker == 260
    assert AuditEvent.objects.filter(action="workforce.set_quota_rule").count() == audit_rows + 2
    count = QuotaRule.objects.count()
    good = {"name": "x", "effective_from": dt.date(2027, 1, 1), "base": 5, "households_per_worker": 300}
    for bad, message in (
        ({"minimum": 9, "maximum": 8}, "不能大于"),
        ({"minimum": -1, "maximum": 8}, "最少人数"),
        ({"minimum": "abc", "maximum": 8}, "整数"),
        ({"minimum": 1, "maximum": 8, "households_per_worker": 0}, "服务户数"),
        ({"minimum": 1, "maximum": 8, "name": " "}, "名称"),
    ):
        with pytest.raises(ServiceError, match=message):
            services.set_quota_rule(users["city_admin"], **{**good, **bad})
    with pytest.raises(ServiceError, match="市级"):
        services.set_quota_rule(users["district"], **good, minimum=1, maximum=8)
    assert QuotaRule.objects.count() == count


QUOTA = {
    "name": "新规则",
    "effective_from": "2026-07-01",
    "base": "4",
    "households_per_worker": "280",
    "minimum": "7",
    "maximum": "35",
}


def test_quota_page(city, client_for, scale):
    url = reverse("workforce:quota")
    client = client_for("city_admin")
    page = client.get(url).content.decode()
    assert 'data-testid="quota-form"' in page and 'data-testid="current-rule"' in page
    count = QuotaRule.objects.count()
    bad = client.post(url, {**QUOTA, "minimum": "50", "name": "我的规则名"})
    assert (
        bad.status_code == 200 and "不能大于" in bad.content.decode() and "我的规则名" in bad.content.decode()
    )
    assert QuotaRule.objects.count() == count
    assert client.post(url, {**QUOTA, "base": "abc"}).status_code == 200
    assert QuotaRule.objects.count() == count
    assert client.post(url, QUOTA).status_code == 302
    assert QuotaRule.objects.get(effective_from=dt.date(2026, 7, 1)).households_per_worker == 280
    # readers see the rule without the form; they may not post
    for role in ("district", "street", "community_secretary"):
        reader = client_for(role)
        html = reader.get(url).content.decode()
        assert "新规则" in html and 'data-testid="quota-form"' not in html
        assert reader.post(url, {**QUOTA, "effective_from": "2026-08-01"}).status_code == 403
    for role in WF_DENIED:
        assert client_for(role).get(url).status_code == 403
    assert QuotaRule.objects.count() == count + 1


def test_quota_admin_is_read_only(city, users, scale, rf):
    from django.contrib.admin.sites import site

    admin = site._registry[QuotaRule]
    request = rf.get("/")
    request.user = users["city_admin"]
    assert not admin.has_change_permission(request) and not admin.has_add_permission(request)


# --- competitions, rounds, studios -----------------------------------------------------------------------
@pytest.fixture
def competition(city, crew):
    return services.create_competition(SYSTEM, city.districts[0], title="东城区擂台赛", year=2025)


def test_competition_edit_page(city, client_for, competition):
    url = reverse("workforce:competition_edit", args=[competition.pk])
    client = client_for("district")
    assert "东城区擂台赛" in client.get(url).content.decode()
    bad = client.post(url, {"title": "新名称", "year": "1999"})
    assert bad.status_code == 200 and "新名称" in bad.content.decode()
    assert Competition.objects.unscoped("test").get(pk=competition.pk).title == "东城区擂台赛"
    assert client.post(url, {"title": "新名称", "year": "2025"}).status_code == 302
    assert Competition.objects.unscoped("test").get(pk=competition.pk).title == "新名称"
    other = services.create_competition(SYSTEM, city.districts[1], title="西城区擂台赛", year=2025)
    out = client.post(reverse("workforce:competition_edit", args=[other.pk]), {"title": "x", "year": "2025"})
    assert out.status_code == 404
    assert client_for("street").get(url).status_code == 403
    assert client_for("community_secretary").post(url, {"title": "y", "year": "2025"}).status_code == 403


def test_round_page_shows_errors_on_the_form(city, client_for, competition):
    url = reverse("workforce:competition_add_round", args=[competition.pk])
    client = client_for("district")
    bad = client.post(url, {"number": "3", "held_on": "2024-05-01"})
    assert bad.status_code == 200 and "2025" in bad.content.decode() and 'value="3"' in bad.content.decode()
    assert not CompetitionRound.objects.unscoped("test").filter(competition=competition).exists()
    assert client.post(url, {"held_on": "2025-05-01"}).status_code == 302
    assert CompetitionRound.objects.unscoped("test").filter(competition=competition).count() == 1
    assert client_for("street").post(url, {"held_on": "2025-05-01"}).status_code == 403


def test_studio_edit_page(city, client_for, crew):
    community = city.communities[0]
    studio = services.create_studio(
        SYSTEM, community, name="东一书记工作室", lead=crew.secretaries[community.pk]
    )
    url = reverse("workforce:studio_edit", args=[studio.pk])
    client = client_for("district")
    assert "东一书记工作室" in client.get(url).content.decode()
    deputy = crew.deputies[community.pk]
    bad = client.post(url, {"name": "改名工作室", "lead": deputy.pk})  # not a secretary: not a choice
    assert bad.status_code == 200 and "改名工作室" in bad.content.decode()
    assert Studio.objects.unscoped("test").get(pk=studio.pk).name == "东一书记工作室"
    ok = client.post(
        url, {"name": "改名工作室", "lead": crew.secretaries[community.pk].pk, "training_base": "基地"}
    )
    assert ok.status_code == 302
    assert Studio.objects.unscoped("test").get(pk=studio.pk).training_base == "基地"
    assert client_for("street").get(url).status_code == 403
    far = services.create_studio(SYSTEM, city.communities[2], name="西一书记工作室")
    assert client.get(reverse("workforce:studio_edit", args=[far.pk])).status_code == 404


# --- secondment, studio membership, salon attendance from the secretary's page ----------------------------
def test_secondment_studio_salon_pages(city, client_for, crew):
    community = city.communities[0]
    secretary = crew.secretaries[community.pk]
    studio = services.create_studio(SYSTEM, city.communities[2], name="市级示范工作室")
    salon = services.create_salon(SYSTEM, city.city, title="书记沙龙第1期", held_on=dt.date(2025, 3, 1))
    client = client_for("community_secretary")
    page = client.get(reverse("workforce:staff_detail", args=[secretary.pk])).content.decode()
    for marker in ("secondment-form", "studio-member-form", "salon-form"):
        assert f'data-testid="{marker}"' in page
    trainings = lambda: Training.objects.unscoped("test").filter(staff=secretary)  # noqa: E731
    url = reverse("workforce:staff_secondment", args=[secretary.pk])
    bad = client.post(url, {"host_city": "杭州", "started_on": "2025-03-01", "ended_on": "2025-01-01"})
    assert bad.status_code == 200 and "杭州" in bad.content.decode() and "早于" in bad.content.decode()
    assert not trainings().exists()
    ok = client.post(url, {"host_city": "杭州", "started_on": "2025-03-01", "ended_on": "2025-09-01"})
    assert ok.status_code == 302
    url = reverse("workforce:staff_studio_member", args=[secretary.pk])
    assert client.post(url, {"studio": studio.pk, "started_on": "2025-04-01"}).status_code == 302
    url = reverse("workforce:staff_salon_attendance", args=[secretary.pk])
    assert client.post(url, {"salon": salon.pk}).status_code == 302
    again = client.post(url, {"salon": salon.pk, "note": "再次"})
    assert again.status_code == 200 and "已登记参加" in again.content.decode()
    assert sorted(trainings().values_list("kind", flat=True)) == ["salon", "secondment", "studio"]
    assert trainings().get(kind="salon").started_on == dt.date(2025, 3, 1)


class TestSecondmentPage(StaffObjects, WritePageTests):
    writer_roles = WF_VIEW_ROLES

    def post(self, client, obj):
        return client.post(
            reverse("workforce:staff_secondment", args=[obj.pk]),
            {"host_city": "杭州", "started_on": "2025-03-01", "ended_on": "2025-09-01"},
        )

    @pytest.mark.parametrize("role", WF_DENIED)
    def test_denied_403(self, city, users, client_for, role):
        obj = self.in_scope(city, users[role])
        before = state_of(obj)
        assert self.post(client_for(role), obj).status_code == 403
        assert state_of(obj) == before


def test_eligible_grid_workers_check_page(city, client_for, crew):
    worker = crew.grid_workers[city.grid_a.pk]
    services.evaluate(SYSTEM, worker, year=2024, fit_score="90", satisfaction="90", outcome="excellent")
    client = client_for("community_secretary")
    html = client.get(reverse("workforce:check", args=["grid_workers_eligible"])).content.decode()
    assert worker.resident.name in html
    assert crew.grid_workers[city.grid_b.pk].resident.name not in html
