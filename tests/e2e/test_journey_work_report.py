"""工作报告 as a street administrator makes it: from 指标总表 (navigation) to 生成工作报告, submit the form, read
the HTML report (chapters, figures, a chart) and download the Word file, which python-docx opens with the same
figures."""

from __future__ import annotations

import io

import pytest
from docx import Document
from playwright.sync_api import expect

from .conftest import login, screenshot

pytestmark = pytest.mark.browser

CHAPTERS = ["三、锻造过硬队伍", "四、激活红色治理", "五、建强红色阵地"]


def _go(page, locator) -> None:
    with page.expect_navigation():
        locator.click()
    page.wait_for_load_state("networkidle")


def test_street_user_generates_reads_and_downloads_the_work_report(demo_site, page):
    login(page, demo_site.url, "street")
    _go(page, page.get_by_role("navigation", name="主导航").get_by_role("link", name="指标总表", exact=True))
    _go(page, page.get_by_test_id("work-report-link"))
    expect(page.get_by_role("heading", level=1)).to_have_text("工作报告")
    form = page.get_by_test_id("work-report-form")
    street_name = page.get_by_test_id("work-report-area").locator("option:checked").inner_text().strip()
    assert street_name.endswith("(街道)")
    street_name = street_name.removesuffix("(街道)")
    page.get_by_test_id("work-report-period").fill("")  # the current figures
    _go(page, form.get_by_test_id("generate-work-report"))

    report = page.get_by_test_id("work-report")
    expect(report.get_by_role("heading", level=1)).to_contain_text(f"{street_name}党建引领基层治理工作报告")
    for chapter in CHAPTERS:
        expect(report.get_by_role("heading", level=2, name=chapter)).to_be_visible()
    residents = page.locator("tr[data-indicator=residents] td[data-value]")
    expect(residents).to_have_count(1)
    shown = residents.inner_text()
    assert shown.isdigit() and int(shown) > 0
    chart = page.get_by_test_id("chart").first
    expect(chart).to_be_visible()
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0")  # the PNG loaded
    screenshot(page, "work-report")

    report_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    kept = demo_site.read(
        "from gridgov.reports.models import WorkReport\n"
        f"r = WorkReport.objects.unscoped('test: read the report just made').get(pk={report_id})\n"
        "result = {'values': r.figures['values'], 'title': r.title}"
    )
    assert shown == str(int(kept["values"]["residents"]))

    with page.expect_download() as info:
        page.get_by_test_id("download-docx").click()
    download = info.value
    assert download.suggested_filename.endswith(".docx")
    with open(download.path(), "rb") as handle:
        doc = Document(io.BytesIO(handle.read()))
    assert doc.paragraphs[0].text == kept["title"]
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert all(chapter in headings for chapter in CHAPTERS)
    figures = {
        row.cells[0].text: row.cells[1].text
        for table in doc.tables
        if table.rows[0].cells[0].text == "指标"
        for row in table.rows[1:]
    }
    assert figures["居民数"] == shown
    assert len(doc.inline_shapes) >= 1
