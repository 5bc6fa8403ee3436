"""The data hub as its people use it: a civil-affairs clerk uploads the month's death register through the
upload form; the city runs the collision and it flags an allowance still paid to someone now dead; the
street sends it to the grid worker, who verifies it on a phone; the street records the outcome. What each
person sees is asserted on the rendered pages (and the public-security clerk sees none of it)."""

from __future__ import annotations

import csv
import io
import re
import uuid

import pytest
from playwright.sync_api import expect

from .conftest import login, screenshot

pytestmark = pytest.mark.browser

# A resident of the demo grid worker's grid, paid the subsistence allowance and not yet registered dead,
# with the current death register (read only: the test builds the file the clerk uploads from it).
PICK = """
from gridgov.accounts.models import User
from gridgov.core import pii
from gridgov.datahub.models import CaDeath, CaSubsistence, Source
from gridgov.people.models import ID_PURPOSE, Resident
grid = User.objects.get(username="grid").area.path
deaths = CaDeath.objects.unscoped("e2e expectation: the current death register").filter(
    batch_id=Source.objects.get(code="ca_death").current_batch_id)
dead = set(deaths.values_list("id_index", flat=True))
paid = CaSubsistence.objects.unscoped("e2e expectation: who is paid").filter(
    batch_id=Source.objects.get(code="ca_subsistence").current_batch_id, status="paying").exclude(id_index__in=dead)
person = Resident.objects.unscoped("e2e expectation: a paid resident of the grid").filter(
    is_active=True, area_path__startswith=grid, id_index__in=list(paid.values_list("id_index", flat=True))
).order_by("pk").first()
result = {
    "name": person.name,
    "id": person.reveal_id_number(),
    "index": person.id_index,
    "community": person.area_path[:12],
    "register": [[d.name, d.reveal_id_number(), d.death_date.isoformat(), d.community_code, d.certificate_no]
                 for d in deaths.order_by("line")],
}
"""


def _nav(page, label: str) -> None:
    with page.expect_navigation():
        page.locator("nav a", has_text=label).first.click()
    page.wait_for_load_state("networkidle")


def test_death_register_to_verified_finding(page, phone_page, demo_site, tmp_path):
    person = demo_site.read(PICK)
    certificate = f"SW-{uuid.uuid4().hex[:8]}"
    masked = person["id"][:6] + "********" + person["id"][14:]

    # 1. the civil-affairs clerk: the month's register (last month's rows and one new death), in GBK
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["姓名", "身份证号", "死亡日期", "户籍社区代码", "死亡证明编号"])
    writer.writerows(person["register"])
    writer.writerow([person["name"], person["id"], "2024/5/3", person["community"], certificate])
    register = tmp_path / "死亡登记-2024-05.csv"
    register.write_bytes(out.getvalue().encode("gbk"))
    login(page, demo_site.url, "civil")
    assert page.locator("[data-testid=sources]").is_visible()  # the clerk lands on the exchange page
    sources = page.locator("[data-testid=sources]").inner_text()
    assert "死亡登记" in sources and "车辆登记" not in sources  # only civil affairs' own sources
    with page.expect_navigation():
        page.locator("tr", has_text="死亡登记").get_by_role("link", name="上传").click()
    page.set_input_files("input[name=file]", str(register))
    page.fill("input[name=batch_id]", f"deaths-{certificate}")
    with page.expect_navigation():
        page.get_by_role("button", name="上传并校验").click()
    assert "已接收死亡登记" in page.locator(".messages").inner_text()
    assert page.get_by_test_id("batch-status").inner_text() == "已接收"
    screenshot(page, "datahub-upload")

    # 2. the city administrator runs the collision (the allowance rule) and waits for the progress bar
    login(page, demo_site.url, "city")
    _nav(page, "碰撞比对")
    with page.expect_navigation():
        page.locator("a", has_text="比对运行").first.click()
    page.locator("input[name=rules][value=deceased_allowance]").check()
    with page.expect_navigation():
        page.get_by_test_id("start-run").click()
    expect(page.get_by_test_id("run-status")).to_have_text("已完成", timeout=60_000)
    # a high-severity finding goes to the grid worker at once (GRIDGOV_DATAHUB_AUTO_DISPATCH)
    assert "已自动派发网格员核实" in page.get_by_test_id("run-dispatched").inner_text()
    finding_id = demo_site.read(
        "from gridgov.datahub.models import Finding\n"
        f"result = Finding.objects.unscoped('e2e expectation').get(rule='deceased_allowance', subject_key='pid:{person['index']}').pk"
    )

    # 3. the street sees the finding in its list, already sent to the grid worker
    login(page, demo_site.url, "street")
    _nav(page, "碰撞比对")
    page.select_option("select[name=rule]", "deceased_allowance")
    with page.expect_navigation():
        page.get_by_role("button", name="筛选", exact=True).click()
    with page.expect_navigation():
        page.get_by_role("link", name=f"#{finding_id}", exact=True).click()
    records = page.get_by_test_id("records").inner_text()
    assert masked in records and person["id"] not in records  # masked for the street until it asks
    assert page.get_by_test_id("finding-status").inner_text() == "核实中"
    assert page.get_by_role("button", name="派发核实工单给网格员").count() == 0
    work_order = page.get_by_test_id("work-order").inner_text()
    assert "已派遣" in work_order

    # 4. the grid worker, on a phone: the list of checks, the finding, the report from the spot
    login(phone_page, demo_site.url, "grid")
    _nav(phone_page, "数据核实")
    with phone_page.expect_navigation():
        phone_page.get_by_test_id("my-checks").locator("a", has_text=f"#{finding_id}").click()
    panel = phone_page.get_by_test_id("finding-panel").inner_text()
    assert "已故人员仍在领取补贴" in panel and "核实中" in panel
    phone_records = phone_page.get_by_test_id("records").inner_text()
    assert person["id"] not in phone_records and masked in phone_records
    assert (
        phone_page.get_by_role("button", name=re.compile("查看完整身份证号")).count() == 0
    )  # may not unmask
    phone_page.fill("textarea[name=v-note]", "上门核实:本人已于5月3日去世,家属仍在领取低保金")
    with phone_page.expect_navigation():
        phone_page.get_by_role("button", name="提交核实情况").click()
    assert "核实情况已提交" in phone_page.locator(".messages").inner_text()
    assert "已处置" in phone_page.get_by_test_id("work-order").inner_text()
    screenshot(phone_page, "datahub-phone-verify")

    # 5. the street reads the report and confirms
    page.reload()
    assert "家属仍在领取低保金" in page.get_by_test_id("verification-note").inner_text()
    page.select_option("select[name=d-outcome]", "confirmed")
    page.fill("textarea[name=d-note]", "属实,已通知民政停发")
    with page.expect_navigation():
        page.get_by_role("button", name="记录结论").click()
    assert page.get_by_test_id("finding-status").inner_text() == "属实"
    assert "已结案" in page.get_by_test_id("work-order").inner_text()
    assert "属实,已通知民政停发" in page.get_by_test_id("outcome-note").inner_text()

    # 6. the clerk sees the outcome; the public-security clerk does not see the finding at all
    login(page, demo_site.url, "civil")
    page.goto(f"{demo_site.url}/datahub/findings/{finding_id}/")
    assert page.get_by_test_id("finding-status").inner_text() == "属实"
    login(page, demo_site.url, "police")
    response = page.goto(f"{demo_site.url}/datahub/findings/{finding_id}/")
    assert response is not None and response.status == 404
