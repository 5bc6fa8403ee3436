"""A community secretary appoints a red building leader and records a 双报到 service through the party
pages' forms, and sees both listed. Names are read from the database only to know what to type."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from .conftest import login, screenshot

pytestmark = pytest.mark.browser

# A resident of the secretary's community who is not the red building leader of their building and whose
# name is unique there (so typing the name finds them), with the building's label as the form shows it.
FIND_RESIDENT = """
from collections import Counter
from gridgov.accounts.models import User
from gridgov.areas.models import Area, Level
from gridgov.party.models import BuildingLeader
from gridgov.people.models import Resident
u = User._default_manager.select_related('area').get(username='secretary')
result = None
for b in Area.objects.visible_to(u).filter(level=Level.BUILDING, is_active=True).select_related('parent').order_by('path'):
    people = list(Resident.objects.visible_to(u).in_area(b.path).filter(is_active=True, birth_date__year__lt=2000))
    names = Counter(r.name for r in people)
    led = set(BuildingLeader.objects.visible_to(u).filter(area=b, is_active=True).values_list('resident_id', flat=True))
    pick = next((r for r in people if names[r.name] == 1 and r.pk not in led), None)
    if pick is not None:
        result = {'name': pick.name, 'building': f'{b.parent.name} / {b.name}'}
        break
"""


def test_secretary_appoints_a_leader_and_records_a_dual_service(page, demo_site):
    target = demo_site.read(FIND_RESIDENT)
    assert target, "the secretary's community has residents"
    login(page, demo_site.url, "secretary")
    page.click("nav.nav a:text-is('党组织')")
    page.wait_for_load_state("networkidle")

    # 1. Appoint a red building leader through the form.
    page.locator("[data-testid=party-work]").get_by_role("link", name="红色楼长/单元长").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_have_text("红色楼长/单元长")
    page.click("[data-testid=appoint-leader]")
    page.wait_for_load_state("networkidle")
    page.select_option("select[name=kind]", label="红色楼长")
    page.select_option("select[name=area]", label=target["building"])
    page.fill("input[name=resident]", "无此居民")
    page.click("[data-testid=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-testid=error-resident]")).to_contain_text("没有名为“无此居民”的在册居民")
    expect(page.locator("select[name=area] option:checked")).to_have_text(target["building"])  # kept
    page.fill("input[name=resident]", target["name"])
    page.click("[data-testid=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".messages")).to_contain_text("已选聘")
    row = (
        page.locator("[data-testid=leaders] tbody tr")
        .filter(has_text=target["name"])
        .filter(has_text=target["building"].split(" / ")[1])
    )
    expect(row.first).to_contain_text("在任")
    screenshot(page, "party-leader-appointed")

    # 2. Record a 双报到 service through the form and find it in the list.
    content = f"陪同独居老人就医 {uuid.uuid4().hex[:6]}"
    page.click("nav.chips a:text-is('双报到服务')")
    page.wait_for_load_state("networkidle")
    page.click("[data-testid=record-dual]")
    page.wait_for_load_state("networkidle")
    member = page.locator("select[name=member] option").nth(1).inner_text()
    page.select_option("select[name=member]", index=1)
    page.select_option("select[name=category]", label="关爱帮扶")
    page.fill("input[name=hours]", "30")
    page.fill("textarea[name=content]", content)
    page.click("[data-testid=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-testid=form-errors]")).to_contain_text("不超过 24 小时")
    expect(page.locator("textarea[name=content]")).to_have_value(content)
    page.fill("input[name=hours]", "2.5")
    page.click("[data-testid=submit]")
    page.wait_for_load_state("networkidle")
    row = page.locator("[data-testid=dual-services] tbody tr").filter(has_text=content)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("2.5")
    expect(row).to_contain_text(member.split("(")[0])
    screenshot(page, "party-dual-service-recorded")
